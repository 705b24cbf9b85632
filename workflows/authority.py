"""The one collector of who may do what: what the authority rules (gates.authority) read about
people on projects, read in one statement.

For a person (by username) or for everyone holding given roles, on one project or a batch
of them (one id, or a SELECT of ids: never a list sent back), one UNION ALL reads the user
(active flag), their grants (global, and on the projects), the projects they manage, and
the delegations they received that count there: not revoked, not ended, the delegator still
active and still holding the role on that project, the project within the delegation's
budget limit (gates.delegations.within_budget). Delegations are read with their periods
(a list of pending sign-offs needs the ones still to come); `Roster.person` keeps those
valid at a moment. Role names come from gates constants and policies, never from here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    bindparam,
    exists,
    literal,
    null,
    or_,
    select,
    union_all,
)

from gates.authority import READ
from gates.delegations import names_a_currency, within_budget
from gates.model import PROJECT_MANAGER, Delegated, Person, Profile
from gates.programmes import PROGRAMME_SPONSOR
from policies.money import ExchangeRates
from workflows.errors import NotFound
from workflows.gate_inputs import Batch, Restrict, for_batch
from workflows.store.records import (
    Delegation,
    PolicyVersion,
    Programme,
    Project,
    RoleGrant,
    User,
    table_of,
)
from workflows.store.uow import UnitOfWork

_USERS, _GRANTS = table_of(User), table_of(RoleGrant)
_DELEGATIONS, _PROJECTS = table_of(Delegation), table_of(Project)
_PROGRAMMES = table_of(Programme)
_DELEGATOR = _USERS.alias("delegator")
_HELD = _GRANTS.alias("held")

GRANT, MANAGES, DELEGATION = "grant", "manages", "delegation"

# Who a statement is about: one username, or everyone holding one of given roles.
Who = Callable[[ColumnElement[Any], ColumnElement[Any]], ColumnElement[bool]]


def _by_username(username: ColumnElement[Any], _role: ColumnElement[Any]) -> ColumnElement[bool]:
    return username == bindparam("username")


@cache
def _by_roles(roles: tuple[str, ...]) -> Who:
    """Everyone holding one of `roles`: one statement per set of roles (a gate's), built
    once; an expanding IN would be rendered again at every execution."""

    def who(_username: ColumnElement[Any], role: ColumnElement[Any]) -> ColumnElement[bool]:
        return role.in_([literal(r) for r in roles])

    return who


def _holds(
    delegator: ColumnElement[int], role: ColumnElement[str], project: Any
) -> ColumnElement[bool]:
    """The delegator holds `role` on `project` now: as its manager for the project manager
    role, else by a grant in force, global or on that project."""
    held = _HELD.c
    granted = exists().where(
        held.user_id == delegator,
        held.role == role,
        held.revoked_at.is_(None),
        or_(held.project_id.is_(None), held.project_id == project.c.id),
    )
    manager = literal(PROJECT_MANAGER)
    return or_(
        and_(role == manager, project.c.manager_id == delegator),
        and_(role != manager, granted),
    )


def _in_force(now: Any, *, begun: bool) -> ColumnElement[bool]:
    """A delegation that counts at `now`: not revoked, not ended (with `begun`, started),
    its delegator still active."""
    d = _DELEGATIONS.c
    return and_(
        d.revoked_at.is_(None),
        d.ends_at > now,
        d.starts_at <= now if begun else literal(True),
        _DELEGATOR.c.active.is_(True),
    )


def _roster_statement(who: Who, by_username: bool) -> Callable[[Restrict], CompoundSelect[Any]]:
    """The UNION ALL of grants, managed projects and delegations, for a batch."""

    def build(restrict: Restrict) -> CompoundSelect[Any]:
        users, grants, d = _USERS.c, _GRANTS.c, _DELEGATIONS.c
        person = (users.id, users.username, users.display_name, users.active)
        nothing = (null(),) * 8
        grant_rows = and_(
            grants.user_id == users.id,
            grants.revoked_at.is_(None),
            or_(grants.project_id.is_(None), restrict(grants.project_id)),
        )
        granted = select(literal(GRANT), grants.project_id, *person, grants.role, *nothing)
        if by_username:  # the person's row even without a grant: they exist, active or not
            granted = granted.select_from(_USERS.outerjoin(_GRANTS, grant_rows))
        else:
            granted = granted.select_from(_USERS.join(_GRANTS, grant_rows))
        granted = granted.where(who(users.username, grants.role))
        managed = (
            select(literal(MANAGES), _PROJECTS.c.id, *person, null(), *nothing)
            .select_from(_PROJECTS.join(_USERS, users.id == _PROJECTS.c.manager_id))
            .where(restrict(_PROJECTS.c.id), who(users.username, literal(PROJECT_MANAGER)))
        )
        on_project = or_(d.project_id == _PROJECTS.c.id, d.project_id.is_(None))
        delegated = (
            select(
                literal(DELEGATION),
                _PROJECTS.c.id,
                *person,
                d.role,
                _DELEGATOR.c.id,
                _DELEGATOR.c.username,
                _DELEGATOR.c.display_name,
                d.starts_at,
                d.ends_at,
                d.budget_limit,
                _PROJECTS.c.facts,
                _PROJECTS.c.policy_version_id,
            )
            .select_from(
                _DELEGATIONS.join(_USERS, users.id == d.delegate_id)
                .join(_DELEGATOR, _DELEGATOR.c.id == d.delegator_id)
                .join(_PROJECTS, on_project)
            )
            .where(
                restrict(_PROJECTS.c.id),
                _in_force(bindparam("now"), begun=False),
                _holds(d.delegator_id, d.role, _PROJECTS),
                who(users.username, d.role),
            )
        )
        programmes = _PROGRAMMES.c
        sponsored = (  # the sponsor of a project's programme holds programme_sponsor there
            select(literal(GRANT), _PROJECTS.c.id, *person, literal(PROGRAMME_SPONSOR), *nothing)
            .select_from(
                _PROJECTS.join(_PROGRAMMES, programmes.id == _PROJECTS.c.programme_id).join(
                    _USERS, users.id == programmes.sponsor_id
                )
            )
            .where(restrict(_PROJECTS.c.id), who(users.username, literal(PROGRAMME_SPONSOR)))
        )
        # The delegations first: a UNION's first SELECT gives the result its column types.
        return union_all(delegated, granted, managed, sponsored)

    return build


@cache
def _builder(who: Who, by_username: bool) -> Callable[[Restrict], CompoundSelect[Any]]:
    return _roster_statement(who, by_username)


@dataclass
class Roster:
    """Everyone the collector read on a batch of projects: their global roles, their roles
    and delegations on each project, the projects they manage, and their ids and names."""

    global_roles: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    project_roles: dict[tuple[int, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    delegations: dict[tuple[int, str], list[Delegated]] = field(
        default_factory=lambda: defaultdict(list)
    )
    managers: dict[int, str] = field(default_factory=dict)
    active: dict[str, bool] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    rates_of: Callable[[int], ExchangeRates | None] = lambda _version: None
    """The exchange rates of a policy version: a budget entered in a currency is compared
    with a delegation's limit in the base currency (read only for such budgets)."""

    def profile(self, username: str, project_id: int | None) -> Profile:
        """What the rules read about `username` on the project (None: global roles only)."""
        key = (project_id or 0, username)
        return Profile(
            username,
            self.active.get(username, False),
            frozenset(self.global_roles.get(username, ())),
            frozenset(self.project_roles.get(key, ())),
            project_id is not None and self.managers.get(project_id) == username,
            tuple(self.delegations.get(key, ())),
        )

    def person(self, username: str, project_id: int | None, now: Any) -> Person:
        """`username` on the project at `now` (delegations valid then)."""
        return self.profile(username, project_id).at(now)

    def profiles(self, project_id: int) -> dict[str, Profile]:
        """Everyone read on the project: holders of global roles count on every project."""
        here = {u for p, u in self.project_roles if p == project_id}
        here |= {u for p, u in self.delegations if p == project_id}
        here |= set(self.global_roles) | {self.managers.get(project_id, "")}
        return {u: self.profile(u, project_id) for u in sorted(here - {""})}

    def add(self, row: Any) -> None:
        kind, project_id, user_id, username, name, active = row[:6]
        role, delegator_id, delegator, delegator_name, starts_at, ends_at = row[6:12]
        self.ids[username], self.names[username], self.active[username] = user_id, name, active
        if kind == GRANT and role is not None:
            if project_id is None:
                self.global_roles[username].add(role)
            else:
                self.project_roles[(project_id, username)].add(role)
        elif kind == MANAGES:
            self.managers[project_id] = username
        elif kind == DELEGATION:
            self.ids[delegator], self.names[delegator] = delegator_id, delegator_name
            limit, facts, version = row[12:]
            budget = (facts or {}).get("budget")
            rates = self.rates_of(version) if limit and names_a_currency(budget) else None
            if not within_budget(limit, budget, rates):
                return  # the project is over the delegation's budget limit
            span = Delegated(role, delegator, starts_at, ends_at)
            self.delegations[(project_id, username)].append(span)


def _read(uow: UnitOfWork, batch: Batch | None, who: Who, params: dict[str, Any]) -> Roster:
    by_username = who is _by_username
    # No project (a global action): the one-project statement, bound to no project id.
    query, bound = for_batch(0 if batch is None else batch, _builder(who, by_username))
    values: dict[str, Any] = {**bound, "now": uow.now, **params}
    if batch is None:
        values["project_id"] = None
    roster = Roster(rates_of=lambda version: _rates(uow, version))
    for row in uow.session.execute(query, values):
        roster.add(row)
    return roster


def _rates(uow: UnitOfWork, version_id: int) -> ExchangeRates | None:
    row = uow.session.get(PolicyVersion, version_id)
    return uow.workspace.policy(row).exchange_rates if row is not None else None


def roster_of(uow: UnitOfWork, username: str, batch: Batch | None) -> Roster:
    """What the rules read about one person on a project or a batch of projects (None:
    global roles only), in one statement; raises NotFound for an unknown username."""
    roster = _read(uow, batch, _by_username, {"username": username})
    if username not in roster.ids:
        raise NotFound(f"There is no user '{username}'.")
    return roster


def person_on(uow: UnitOfWork, username: str, project: Project | None) -> Person:
    """`username` on `project` (None: for a global action) now; raises NotFound."""
    project_id = project.id if project is not None else None
    return roster_of(uow, username, project_id).person(username, project_id, uow.now)


def person_on_programme(uow: UnitOfWork, username: str, programme: Programme) -> Person:
    """`username` as the programme's pages and verbs ask: their global roles, and
    programme_sponsor where they sponsor it; raises NotFound."""
    person = person_on(uow, username, None)
    if programme.sponsor.username != username:
        return person
    return replace(person, project_roles=person.project_roles | {PROGRAMME_SPONSOR})


def signers_on(uow: UnitOfWork, batch: Batch, roles: set[str]) -> Roster:
    """Everyone who holds one of `roles` on the projects of `batch` (globally or there), or
    holds one by a delegation that counts there, and each project's manager: the people a
    gate's sign-offs may wait for. One statement. The managers are read so that the rules
    know who manages (segregation of duties), whatever roles are asked for."""
    return _read(uow, batch, _by_roles(tuple(sorted(roles | {PROJECT_MANAGER}))), {})


def visible_projects(uow: UnitOfWork, user_id: int, global_roles: set[str]) -> Select[Any] | None:
    """A SELECT of the ids of the projects the user may see (gates.authority.READ) now; None
    when they see every project. A subquery, never a list of ids."""
    paths = visible_paths(uow, user_id, global_roles)
    if paths is None:
        return None
    union = union_all(*(select(_PROJECTS.c.id).where(path) for path in paths)).subquery()
    return select(union.c[0])


def visible_paths(
    uow: UnitOfWork, user_id: int, global_roles: set[str]
) -> tuple[ColumnElement[bool], ...] | None:
    """The ways the user may see a project now (gates.authority.READ), each a condition on
    the `projects` table: a role granted there, managing it, and one per delegation in force
    that counts there. None when the user sees every project.

    The delegations are read first (a person receives a handful): a condition is made for
    each one that exists, reading from its delegator's rows. A condition for every way a
    delegation could count, asked of every person, left PostgreSQL walking a million
    projects for someone who has none (1.4 s a page). Lists ask the conditions one at a
    time (a page per way, merged): each then uses its own index."""
    holders = READ.holders
    if holders.everywhere(frozenset(global_roles)):
        return None
    grants, projects = _GRANTS.c, _PROJECTS.c
    granted = select(grants.project_id).where(
        grants.user_id == user_id,
        grants.project_id.is_not(None),
        grants.revoked_at.is_(None),
        literal(True) if holders.any_role else grants.role.in_(holders.roles),
    )
    paths: list[ColumnElement[bool]] = [projects.id.in_(granted)]
    if holders.any_role or PROJECT_MANAGER in holders.roles:
        paths.append(projects.manager_id == user_id)
    if holders.delegates:
        delegated = _delegated_paths(uow, user_id)
        if delegated is None:
            return None
        paths.extend(delegated)
    return tuple(paths)


_RECEIVED = (
    select(_DELEGATIONS.c.project_id, _DELEGATIONS.c.role, _DELEGATIONS.c.delegator_id)
    .select_from(_DELEGATIONS.join(_DELEGATOR, _DELEGATOR.c.id == _DELEGATIONS.c.delegator_id))
    .where(
        _DELEGATIONS.c.delegate_id == bindparam("user_id"),
        _in_force(bindparam("now"), begun=True),
    )
)


def _delegated_paths(uow: UnitOfWork, user_id: int) -> list[ColumnElement[bool]] | None:
    """A condition on projects for each delegation the user holds now, where its delegator
    still holds the role; None when one counts on every project (a role held globally)."""
    d, held, projects = _DELEGATIONS.c, _HELD.c, _PROJECTS.c
    received = uow.session.execute(_RECEIVED, {"user_id": user_id, "now": uow.now}).all()
    paths: list[ColumnElement[bool]] = []
    if any(project_id is not None for project_id, _, _ in received):
        # Delegations for one project each: where the delegator still holds the role. (The
        # project is an alias of its own: the subquery must not correlate to the outer list.)
        there = _PROJECTS.alias("there")
        named = (
            select(d.project_id)
            .select_from(
                _DELEGATIONS.join(_DELEGATOR, _DELEGATOR.c.id == d.delegator_id).join(
                    there, there.c.id == d.project_id
                )
            )
            .where(
                d.delegate_id == user_id,
                _in_force(uow.now, begun=True),
                _holds(d.delegator_id, d.role, there),
            )
        )
        paths.append(projects.id.in_(named))
    for project_id, role, delegator_id in received:
        if project_id is not None:
            continue
        if role == PROJECT_MANAGER:  # for every project the delegator manages
            paths.append(projects.manager_id == delegator_id)
            continue
        held_globally = exists().where(
            held.user_id == delegator_id,
            held.role == role,
            held.project_id.is_(None),
            held.revoked_at.is_(None),
        )
        if uow.session.execute(select(held_globally)).scalar():
            return None  # the delegator holds the role everywhere: so, for now, does the user
        # for every project where the delegator holds the role by a grant
        there_held = select(held.project_id).where(
            held.user_id == delegator_id,
            held.role == role,
            held.project_id.is_not(None),
            held.revoked_at.is_(None),
        )
        paths.append(projects.id.in_(there_held))
    return paths
