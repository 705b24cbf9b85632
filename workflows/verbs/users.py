"""Users, roles and delegations: add, grant, revoke, delegate, disable."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, select

from gates.authority import ADMINISTER, GRANT, Permission, authority
from gates.delegations import DelegationRequest, delegation_refusals, revoke_refusals
from gates.model import ADMIN, GLOBAL_ROLES, PROJECT_MANAGER
from gates.refusals import Refusal
from workflows.authority import person_on
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import Actor
from workflows.inputs import ROLE, long_text, short_text, short_text_problem
from workflows.pending import refresh_pending, touched_by
from workflows.refusal_log import refusals_recorded
from workflows.state import policy_of, require
from workflows.store.passwords import hash_password
from workflows.store.records import (
    Delegation,
    PolicyVersion,
    Project,
    RoleGrant,
    User,
    table_of,
)
from workflows.store.uow import UnitOfWork

UNUSABLE_PASSWORD = "!"  # no password matches it: the person sets theirs through a link
_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 8


_USER = select(User).where(User.username == bindparam("username"))


# Credentials are read as values, not records: a Core statement on the table (see table_of).
_USERS = table_of(User)
_CREDENTIALS = select(
    _USERS.c.id,
    _USERS.c.username,
    _USERS.c.display_name,
    _USERS.c.active,
    _USERS.c.password_hash,
    _USERS.c.signing_locked_until,
    _USERS.c.failed_sign_attempts,
).where(_USERS.c.username == bindparam("username"))


class Person(NamedTuple):
    """Who someone is, as a signature prints them: a delegator, a signer."""

    id: int
    username: str
    display_name: str


class Credentials(NamedTuple):
    """What re-authenticating a signer reads about them."""

    person: Person
    active: bool
    password_hash: str
    locked_until: datetime | None
    failed_attempts: int


def _no_user(username: str) -> NotFound:
    return NotFound(f"There is no user '{username}'.")


def find_user(uow: UnitOfWork, username: str) -> User:
    """The user with this username; raises NotFound."""
    user = uow.session.execute(_USER, {"username": username}).scalar_one_or_none()
    if user is None:
        raise _no_user(username)
    return user


def credentials(uow: UnitOfWork, username: str) -> Credentials:
    """The user's identity, password hash and signing lock, as values; raises NotFound.

    Read in a read-only unit of work before the signing transaction begins, so the slow
    password check that follows holds no write lock.
    """
    found = uow.session.execute(_CREDENTIALS, {"username": username}).first()
    if found is None:
        raise _no_user(username)
    user_id, name, display_name, active, password_hash, locked_until, failed = found
    return Credentials(
        Person(user_id, name, display_name), active, password_hash, locked_until, failed
    )


def global_roles(uow: UnitOfWork, user: User) -> set[str]:
    """The global roles the user holds now (pmo, auditor, admin, project_manager)."""
    query = select(RoleGrant.role).where(
        RoleGrant.user_id == user.id, RoleGrant.project_id.is_(None), RoleGrant.revoked_at.is_(None)
    )
    return set(uow.session.execute(query).scalars())


@refusals_recorded
def require_permission(uow: UnitOfWork, actor: Actor, permission: Permission, action: str) -> None:
    """Raise Refused (and record it) unless the actor's global roles grant `permission`."""
    require(authority(person_on(uow, actor.username, None)), permission, action)


def _admins(uow: UnitOfWork) -> list[int]:
    """The ids of the active users holding the admin role."""
    query = (
        select(User.id)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            RoleGrant.role == ADMIN,
            RoleGrant.project_id.is_(None),
            RoleGrant.revoked_at.is_(None),
            User.active.is_(True),
        )
    )
    return list(uow.session.execute(query).scalars())


def _refresh_for(uow: UnitOfWork, user: User, project: Project | None) -> None:
    """What waits for whom changes with a person's grants, delegations and active flag."""
    refresh_pending(uow, project.id if project is not None else touched_by(user.id))


@refusals_recorded
def add_user(
    uow: UnitOfWork,
    actor: Actor,
    username: str,
    display_name: str,
    password: str | None = None,
    email: str = "",
    roles: tuple[str, ...] = (),
) -> User:
    """Create a user with global `roles` (admins; the system creates the first admin).

    Without a password the user sets their own through an enrollment link
    (password_links.issue_link). A password an admin chooses must be changed at the next
    login; only the first admin, created by the system with the password its owner typed at
    `lockgate init`, keeps theirs.
    """
    if not actor.is_system:
        require_permission(uow, actor, ADMINISTER, "add users")
    elif _admins(uow):
        text = "The system creates only the first admin: ask an admin to add users."
        raise Refused("add users", [Refusal("user.first_admin_only", None, text)])
    problems = _user_problems(uow, username, display_name, password, roles)
    email_problem = short_text_problem(email, missing=None)
    if email_problem is not None:
        problems["email"] = email_problem
    if problems:
        raise InvalidInput("The user cannot be added", problems)
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=email.strip(),
        password_hash=hash_password(password) if password is not None else UNUSABLE_PASSWORD,
        created_at=uow.now,
        signing_locked_until=None,
        must_change_password=password is not None and not actor.is_system,
    )
    uow.session.add(user)
    uow.session.flush()
    for role in roles:
        uow.session.add(_grant(user, role, None, actor, uow.now))
    if roles:
        _refresh_for(uow, user, None)
    uow.record(
        actor.username,
        "user.added",
        None,
        username=username,
        display_name=user.display_name,
        roles=sorted(roles),
    )
    return user


def _user_problems(
    uow: UnitOfWork,
    username: str,
    display_name: str,
    password: str | None,
    roles: tuple[str, ...],
) -> dict[str, str]:
    problems = {}
    if not isinstance(username, str) or not _USERNAME.fullmatch(username):
        problems["username"] = "use 2-40 lower-case letters, digits, '.', '_' or '-'"
    elif uow.session.execute(select(User.id).where(User.username == username)).first():
        problems["username"] = f"'{username}' is taken"
    name_problem = short_text_problem(
        display_name, missing="the printed name is required (it appears on signatures)"
    )
    if name_problem is not None:
        problems["display_name"] = name_problem
    if password is not None and len(password) < MIN_PASSWORD:
        problems["password"] = f"use at least {MIN_PASSWORD} characters"
    unknown = [r for r in roles if r not in GLOBAL_ROLES]
    if unknown:
        problems["roles"] = f"unknown global role(s) {', '.join(unknown)}; use " + ", ".join(
            GLOBAL_ROLES
        )
    return problems


def _grant(
    user: User, role: str, project: Project | None, actor: Actor, now: datetime
) -> RoleGrant:
    return RoleGrant(
        user_id=user.id,
        role=role,
        project_id=project.id if project else None,
        granted_by=actor.username,
        granted_at=now,
        revoked_at=None,
    )


@refusals_recorded
def grant_role(
    uow: UnitOfWork, actor: Actor, username: str, role: str, project: Project | None = None
) -> None:
    """Give `username` a global role, or a role on `project` (sponsor, an approver role)."""
    role = short_text(role, "role", ROLE)
    require_permission(uow, actor, GRANT, "grant roles")
    user = find_user(uow, username)
    holder = person_on(uow, username, project)
    # Segregation of duties (gates.duties): never to oneself; never a pair of roles the
    # project's policy makes incompatible. On no project: a global role, or a standing one.
    pairs = policy_of(uow, project).incompatible_roles if project is not None else ()
    standing = published_roles(uow) if project is None else None
    granter = authority(person_on(uow, actor.username, project))
    refusals = granter.grant(holder, role, pairs, standing)
    if refusals:
        raise Refused("grant roles", refusals)
    if role in (holder.roles if project else holder.global_roles):
        text = f"{username} already holds the {role} role here."
        raise Refused("grant role", [Refusal("grant.already_held", "role", text)])
    uow.session.add(_grant(user, role, project, actor, uow.now))
    _refresh_for(uow, user, project)
    uow.record(
        actor.username,
        "role.granted",
        project.key if project else None,
        username=username,
        role=role,
    )


def published_roles(uow: UnitOfWork) -> frozenset[str]:
    """The roles some published policy version declares."""
    rows = uow.session.execute(select(PolicyVersion)).scalars()
    return frozenset(r.id for row in rows for r in uow.workspace.policy(row).roles)


@refusals_recorded
def revoke_role(
    uow: UnitOfWork, actor: Actor, username: str, role: str, project: Project | None = None
) -> None:
    """End a role grant (the grant stays in history with its revocation time)."""
    require_permission(uow, actor, GRANT, "revoke roles")
    user = find_user(uow, username)
    query = select(RoleGrant).where(
        RoleGrant.user_id == user.id,
        RoleGrant.role == role,
        RoleGrant.project_id == project.id if project else RoleGrant.project_id.is_(None),
        RoleGrant.revoked_at.is_(None),
    )
    grant = uow.session.execute(query).scalars().first()
    if grant is None:
        text = f"{username} does not hold the {role} role here."
        raise Refused("revoke role", [Refusal("revoke.not_held", "role", text)])
    grant.revoked_at = uow.now
    _refresh_for(uow, user, project)
    uow.record(
        actor.username,
        "role.revoked",
        project.key if project else None,
        username=username,
        role=role,
    )


@refusals_recorded
def set_active(uow: UnitOfWork, actor: Actor, username: str, active: bool) -> None:
    """Enable or disable a user; disabling ends every session at once."""
    require_permission(uow, actor, ADMINISTER, "enable or disable users")
    user = find_user(uow, username)
    if not active and username == actor.username:
        text = (
            "You cannot disable your own account: ask another "
            "admin, so that someone can still administer."
        )
        raise Refused("disable the user", [Refusal("user.disable_self", None, text)])
    if user.active == active:
        return
    user.active = active
    user.session_version += 1
    _refresh_for(uow, user, None)
    uow.record(
        actor.username, "user.enabled" if active else "user.disabled", None, username=username
    )


ATTRIBUTE_TEXT = 120  # users.org_unit, users.team


@refusals_recorded
def set_attributes(
    uow: UnitOfWork,
    actor: Actor,
    username: str,
    org_unit: str | None = None,
    team: str | None = None,
) -> User:
    """Record where a user sits: their organisation unit and team (None: unchanged; '':
    not recorded). Assurance reviewers must be independent of a project's units and teams
    (gates.assurance), so an admin never sets their own: another admin does."""
    refused = authority(person_on(uow, actor.username, None)).record_attributes(username)
    if refused:
        raise Refused("record the user's org unit and team", refused)
    changes = {
        name: short_text(value, name, ATTRIBUTE_TEXT, missing=None)
        for name, value in (("org_unit", org_unit), ("team", team))
        if value is not None
    }
    user = find_user(uow, username)
    was = {"org_unit": user.org_unit, "team": user.team}
    if all(was[name] == value for name, value in changes.items()):
        return user
    for name, value in changes.items():
        setattr(user, name, value)
    uow.record(
        actor.username,
        "user.attributes_changed",
        None,
        username=username,
        org_unit=user.org_unit,
        team=user.team,
        was=was,
    )
    return user


@refusals_recorded
def delegate(
    uow: UnitOfWork,
    actor: Actor,
    delegate_username: str,
    role: str,
    starts_at: datetime,
    ends_at: datetime | None,
    project: Project | None = None,
    reason: str = "",
    budget_limit: Decimal | None = None,
) -> Delegation:
    """Pass the actor's own authority for `role` (on `project`, or wherever they hold it) to
    another user from `starts_at` to `ends_at`, optionally only on projects whose budget is
    at most `budget_limit`; raises Refused with every reason (gates.delegations) when not."""
    role, reason = short_text(role, "role", ROLE), long_text(reason, "reason")
    delegator = find_user(uow, actor.username)
    target = find_user(uow, delegate_username)
    request = DelegationRequest(
        delegator.username,
        target.username,
        target.active,
        role,
        project.key if project else None,
        starts_at,
        ends_at,
        *_holding(uow, delegator, role, project),
        budget_limit=budget_limit,
    )
    problems = delegation_refusals(request, uow.now)
    if problems or ends_at is None:
        raise Refused("delegate", problems)
    delegation = Delegation(
        delegator_id=delegator.id,
        delegate_id=target.id,
        role=role,
        project_id=project.id if project else None,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        created_at=uow.now,
        revoked_at=None,
        budget_limit=budget_limit,
    )
    uow.session.add(delegation)
    uow.session.flush()
    _refresh_for(uow, target, project)
    uow.record(
        actor.username,
        "delegation.created",
        project.key if project else None,
        delegation=delegation.id,
        delegate=delegate_username,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        budget_limit=str(budget_limit) if budget_limit is not None else None,
        reason=reason,
    )
    return delegation


def _holding(
    uow: UnitOfWork, delegator: User, role: str, project: Project | None
) -> tuple[bool, str | None]:
    """Whether the delegator holds `role` themselves (on `project`, or anywhere when None),
    and who delegated it to them when they hold it only that way."""
    if project is not None:
        person = person_on(uow, delegator.username, project)
        return role in person.roles, person.delegations.get(role)
    granted = select(RoleGrant.id).where(
        RoleGrant.user_id == delegator.id, RoleGrant.role == role, RoleGrant.revoked_at.is_(None)
    )
    held = uow.session.execute(granted.limit(1)).first() is not None
    if not held and role == PROJECT_MANAGER:
        manages = select(Project.id).where(Project.manager_id == delegator.id).limit(1)
        held = uow.session.execute(manages).first() is not None
    received = (
        select(User.username)
        .join(Delegation, Delegation.delegator_id == User.id)
        .where(
            Delegation.delegate_id == delegator.id,
            Delegation.role == role,
            Delegation.revoked_at.is_(None),
            Delegation.ends_at > uow.now,
        )
        .limit(1)
    )
    return held, uow.session.execute(received).scalar()


@refusals_recorded
def revoke_delegation(uow: UnitOfWork, actor: Actor, delegation_id: int, reason: str) -> Delegation:
    """End a delegation now: its delegator or an admin, with a reason; raises NotFound for
    an unknown id, InvalidInput without a reason, Refused for anyone else or twice."""
    reason = long_text(reason, "reason")
    if not reason.strip():
        raise InvalidInput("Say why the delegation is revoked (--reason).")
    delegation = uow.session.get(Delegation, delegation_id)
    if delegation is None:
        raise NotFound(f"There is no delegation {delegation_id}: see 'delegation list'.")
    roles = person_on(uow, actor.username, None).global_roles
    problems = revoke_refusals(
        actor.username, roles, delegation.delegator.username, delegation.revoked_at is not None
    )
    if problems:
        raise Refused("revoke a delegation", problems)
    delegation.revoked_at, delegation.revoked_by = uow.now, actor.username
    delegation.revoke_reason = reason
    project = uow.session.get(Project, delegation.project_id) if delegation.project_id else None
    uow.session.flush()
    _refresh_for(uow, delegation.delegate, project)
    uow.record(
        actor.username,
        "delegation.revoked",
        project.key if project else None,
        delegation=delegation.id,
        delegator=delegation.delegator.username,
        delegate=delegation.delegate.username,
        role=delegation.role,
        reason=reason,
    )
    return delegation


@refusals_recorded
def delegations_of(uow: UnitOfWork, actor: Actor, everyone: bool = False) -> list[Delegation]:
    """The delegations the actor gave or received, newest first (`everyone`: all of them,
    for an admin; raises Refused for anyone else)."""
    query = select(Delegation).order_by(Delegation.created_at.desc(), Delegation.id.desc())
    if everyone:
        asker = authority(person_on(uow, actor.username, None))
        refused = asker.refusals(ADMINISTER, "list every delegation")
        if refused:
            raise Refused("list every delegation", refused)
    else:
        user = find_user(uow, actor.username)
        query = query.where(
            (Delegation.delegator_id == user.id) | (Delegation.delegate_id == user.id)
        )
    return list(uow.session.execute(query).scalars().unique())


def delegation_status(delegation: Delegation, now: datetime) -> str:
    """'revoked', 'ended', 'upcoming' or 'active' at `now`."""
    if delegation.revoked_at is not None:
        return "revoked"
    if delegation.ends_at <= now:
        return "ended"
    return "upcoming" if delegation.starts_at > now else "active"
