"""Read models of the admin pages: users with their global roles, one user's role grants
(global and per project, current and ended) and delegations, and the roles one can grant."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, literal, or_, select
from sqlalchemy.orm import aliased

from gates.duties import role_conflicts
from gates.model import GLOBAL_ROLES, SPONSOR
from policies.model import MANAGER_ROLE
from workflows.store.records import Delegation, PolicyVersion, Project, RoleGrant, User
from workflows.store.uow import UnitOfWork
from workflows.verbs.users import find_user


@dataclass(frozen=True)
class UserRow:
    """A user and the global roles they hold now."""

    user: User
    roles: tuple[str, ...]


def user_list(uow: UnitOfWork) -> list[UserRow]:
    """Every user by username, with their current global roles (two queries)."""
    users = uow.session.execute(select(User).order_by(User.username)).scalars().all()
    grants = select(RoleGrant.user_id, RoleGrant.role).where(
        RoleGrant.project_id.is_(None), RoleGrant.revoked_at.is_(None)
    )
    held: dict[int, set[str]] = defaultdict(set)
    for user_id, role in uow.session.execute(grants):
        held[user_id].add(role)
    return [UserRow(user, tuple(sorted(held[user.id]))) for user in users]


@dataclass(frozen=True)
class GrantRow:
    """One role grant: global when `project_key` is None; ended when `revoked_at` is set."""

    role: str
    project_key: str | None
    project_name: str | None
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class DelegationRow:
    """Signing authority passed between two users for a period."""

    delegator: str
    delegate: str
    role: str
    project_key: str | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    revoked_at: datetime | None

    def current(self, now: datetime) -> bool:
        """True while the delegation is in force."""
        return self.revoked_at is None and self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class UserDetail:
    """One user as an admin sees them."""

    user: User
    global_grants: list[GrantRow]
    project_grants: list[GrantRow]
    ended: list[GrantRow]
    delegations: list[DelegationRow]

    @property
    def global_roles(self) -> set[str]:
        """The global roles held now."""
        return {grant.role for grant in self.global_grants}


def user_detail(uow: UnitOfWork, username: str) -> UserDetail:
    """The user's grants (current and ended) and delegations, given or received; NotFound."""
    user = find_user(uow, username)
    query = (
        select(RoleGrant, Project.key, Project.name)
        .outerjoin(Project, Project.id == RoleGrant.project_id)
        .where(RoleGrant.user_id == user.id)
        .order_by(Project.key.is_not(None), Project.key, RoleGrant.role, RoleGrant.granted_at)
    )
    rows = [
        GrantRow(g.role, key, name, g.granted_by, g.granted_at, g.revoked_at)
        for g, key, name in uow.session.execute(query).unique()
    ]
    return UserDetail(
        user=user,
        global_grants=[r for r in rows if r.project_key is None and r.revoked_at is None],
        project_grants=[r for r in rows if r.project_key is not None and r.revoked_at is None],
        ended=sorted((r for r in rows if r.revoked_at), key=lambda r: r.revoked_at or r.granted_at),
        delegations=_delegations(uow, user),
    )


def _delegations(uow: UnitOfWork, user: User) -> list[DelegationRow]:
    delegator, delegate = aliased(User), aliased(User)
    query = (
        select(Delegation, delegator.username, delegate.username, Project.key)
        .join(delegator, delegator.id == Delegation.delegator_id)
        .join(delegate, delegate.id == Delegation.delegate_id)
        .outerjoin(Project, Project.id == Delegation.project_id)
        .where(or_(Delegation.delegator_id == user.id, Delegation.delegate_id == user.id))
        .order_by(Delegation.starts_at.desc())
    )
    return [
        DelegationRow(giver, taker, d.role, key, d.starts_at, d.ends_at, d.reason, d.revoked_at)
        for d, giver, taker, key in uow.session.execute(query).unique()
    ]


def project_role_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """The roles one can hold on a project: sponsor and every sign-off role of the published
    policies that is not a global role, as (id, title), sponsor first then by title."""
    titles = {SPONSOR: "Project sponsor"}
    for row in uow.session.execute(select(PolicyVersion)).scalars():
        for role in uow.workspace.policy(row).roles:
            titles.setdefault(role.id, role.title)
    choices = [(k, v) for k, v in titles.items() if k not in GLOBAL_ROLES]
    return sorted(choices, key=lambda c: (c[0] != SPONSOR, c[1]))


# Every request of a signed-in person runs it: built once.
_SIGNED_IN = (
    select(User, RoleGrant.role)
    .outerjoin(
        RoleGrant,
        (RoleGrant.user_id == User.id)
        & RoleGrant.project_id.is_(None)
        & RoleGrant.revoked_at.is_(None),
    )
    .where(User.id == bindparam("user_id"))
)


def signed_in_user(uow: UnitOfWork, user_id: int) -> tuple[User | None, set[str]]:
    """The user with this id and their global roles, in one query (every request asks)."""
    rows = uow.session.execute(_SIGNED_IN, {"user_id": user_id}).all()
    if not rows:
        return None, set()
    return rows[0][0], {role for _, role in rows if role is not None}


@dataclass(frozen=True)
class GrantConflict:
    """Grants in force that break a rule of segregation of duties made after they were
    given: they are listed for an admin to resolve, never revoked silently."""

    username: str
    project_key: str | None
    roles: tuple[str, ...]
    rule: str
    words: str


def grant_conflicts(uow: UnitOfWork) -> list[GrantConflict]:
    """Every person holding, on one project, two roles its policy makes incompatible
    (managing it counts as the project_manager role), and every role granted by its holder
    to themselves. Read in two statements: people with two or more roles on a project
    (grouped in the database), and self-grants."""
    grants, projects = RoleGrant.__table__.c, Project.__table__.c
    held = (
        select(grants.project_id, grants.user_id, grants.role)
        .where(grants.revoked_at.is_(None), grants.project_id.is_not(None))
        .union_all(
            select(projects.id, projects.manager_id, literal(MANAGER_ROLE)),
        )
        .subquery()
    )
    several = (
        select(held.c.project_id, held.c.user_id)
        .group_by(held.c.project_id, held.c.user_id)
        .having(func.count() > 1)
        .subquery()
    )
    rows = uow.session.execute(
        select(Project, User.username, held.c.role)
        .join(several, several.c.project_id == Project.id)
        .join(
            held,
            (held.c.project_id == several.c.project_id) & (held.c.user_id == several.c.user_id),
        )
        .join(User, User.id == several.c.user_id)
        .order_by(Project.key, User.username)
    )
    roles: dict[tuple[str, str], set[str]] = defaultdict(set)
    projects_by_key: dict[str, Project] = {}
    for project, username, role in rows.unique():
        roles[(project.key, username)].add(role)
        projects_by_key[project.key] = project
    found = []
    for (key, username), held_roles in roles.items():
        pairs = uow.workspace.policy(projects_by_key[key].policy_version).incompatible_roles
        for refusal in role_conflicts(username, held_roles, pairs):
            found.append(
                GrantConflict(username, key, tuple(sorted(held_roles)), refusal.rule, refusal.text)
            )
    selves = uow.session.execute(
        select(User.username, RoleGrant.role, Project.key)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .outerjoin(Project, Project.id == RoleGrant.project_id)
        .where(RoleGrant.revoked_at.is_(None), RoleGrant.granted_by == User.username)
        .order_by(User.username, RoleGrant.role)
    )
    for username, role, key in selves:
        words = f"{username} granted the {role} role to themselves."
        found.append(GrantConflict(username, key, (role,), "sod.self_grant", words))
    return found
