"""Users, roles and delegations: add, grant, revoke, delegate, disable."""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, bindparam, or_, select

from gates import access
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.inputs import ROLE, long_text, short_text, short_text_problem
from workflows.store.passwords import hash_password
from workflows.store.records import Delegation, Project, RoleGrant, User, table_of
from workflows.store.uow import UnitOfWork

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 8


_USER = select(User).where(User.username == bindparam("username"))


# Role checks read values, not records: Core statements on the tables (see table_of).
_GRANTS, _USERS, _DELEGATIONS = table_of(RoleGrant), table_of(User), table_of(Delegation)


def _in_force(user_id: ColumnElement[int]) -> ColumnElement[bool]:
    """The user's grants in force, global or on the project bound as :project_id."""
    grants = _GRANTS.c
    return and_(
        grants.user_id == user_id,
        or_(grants.project_id.is_(None), grants.project_id == bindparam("project_id")),
        grants.revoked_at.is_(None),
    )


_ROLES_ON_PROJECT = select(_GRANTS.c.role).where(_in_force(bindparam("user_id")))
# The same by username, with the user's id: one row per role, or one with no role.
_ROLES_OF_USERNAME = (
    select(_USERS.c.id, _GRANTS.c.role)
    .outerjoin(_GRANTS, _in_force(_USERS.c.id))
    .where(_USERS.c.username == bindparam("username"))
)
_CREDENTIALS = select(
    _USERS.c.id,
    _USERS.c.username,
    _USERS.c.display_name,
    _USERS.c.active,
    _USERS.c.password_hash,
    _USERS.c.signing_locked_until,
    _USERS.c.failed_sign_attempts,
).where(_USERS.c.username == bindparam("username"))
_DELEGATIONS_TO = (
    select(_DELEGATIONS.c.role, _USERS.c.id, _USERS.c.username, _USERS.c.display_name)
    .join(_USERS, _DELEGATIONS.c.delegator_id == _USERS.c.id)
    .where(
        _DELEGATIONS.c.delegate_id == bindparam("user_id"),
        _DELEGATIONS.c.revoked_at.is_(None),
        _DELEGATIONS.c.starts_at <= bindparam("now"),
        _DELEGATIONS.c.ends_at > bindparam("now"),
        or_(
            _DELEGATIONS.c.project_id.is_(None),
            _DELEGATIONS.c.project_id == bindparam("project_id"),
        ),
    )
)


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


def project_roles(uow: UnitOfWork, user: User | Person, project: Project) -> set[str]:
    """Every role the user holds on `project`: global, granted on it, and as its manager."""
    found = uow.session.execute(
        _ROLES_ON_PROJECT, {"user_id": user.id, "project_id": project.id}
    ).scalars()
    return _as_manager(set(found), user.id, project)


def roles_of(uow: UnitOfWork, username: str, project: Project) -> set[str]:
    """project_roles of the user with this username, in one query; raises NotFound."""
    found = uow.session.execute(
        _ROLES_OF_USERNAME, {"username": username, "project_id": project.id}
    ).all()
    if not found:
        raise _no_user(username)
    return _as_manager({role for _, role in found if role}, found[0][0], project)


def _as_manager(roles: set[str], user_id: int, project: Project) -> set[str]:
    # The project manager role counts on the projects the user manages, and only there.
    if project.manager_id == user_id:
        roles.add(access.PROJECT_MANAGER)
    else:
        roles.discard(access.PROJECT_MANAGER)
    return roles


def delegated_roles(uow: UnitOfWork, user: User | Person, project: Project) -> dict[str, Person]:
    """Roles the user may sign as on `project` by delegation now: role -> the delegator.

    A delegation counts only while its delegator still holds the role on the project.
    """
    found = uow.session.execute(
        _DELEGATIONS_TO, {"user_id": user.id, "now": uow.now, "project_id": project.id}
    )
    delegated = {}
    for role, delegator_id, username, display_name in found:
        person = Person(delegator_id, username, display_name)
        if role in project_roles(uow, person, project):
            delegated[role] = person
    return delegated


def _require_admin(uow: UnitOfWork, actor: str, action: str) -> User:
    user = find_user(uow, actor)
    if not access.can_administer(global_roles(uow, user)):
        raise Refused(action, [access.refusal(action, "an admin")])
    return user


def add_user(
    uow: UnitOfWork,
    actor: str,
    username: str,
    display_name: str,
    password: str,
    email: str = "",
    roles: tuple[str, ...] = (),
    *,
    bootstrap: bool = False,
) -> User:
    """Create a user with global `roles`; `bootstrap` lets the first admin be created."""
    if not bootstrap:
        _require_admin(uow, actor, "add users")
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
        password_hash=hash_password(password),
        created_at=uow.now,
        signing_locked_until=None,
    )
    uow.session.add(user)
    uow.session.flush()
    for role in roles:
        uow.session.add(_grant(user, role, None, actor, uow.now))
    uow.record(
        actor,
        "user.added",
        None,
        username=username,
        display_name=user.display_name,
        roles=sorted(roles),
    )
    return user


def _user_problems(
    uow: UnitOfWork, username: str, display_name: str, password: str, roles: tuple[str, ...]
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
    if len(password) < MIN_PASSWORD:
        problems["password"] = f"use at least {MIN_PASSWORD} characters"
    unknown = [r for r in roles if r not in access.GLOBAL_ROLES]
    if unknown:
        problems["roles"] = f"unknown global role(s) {', '.join(unknown)}; use " + ", ".join(
            access.GLOBAL_ROLES
        )
    return problems


def _grant(user: User, role: str, project: Project | None, actor: str, now: datetime) -> RoleGrant:
    return RoleGrant(
        user_id=user.id,
        role=role,
        project_id=project.id if project else None,
        granted_by=actor,
        granted_at=now,
        revoked_at=None,
    )


def grant_role(
    uow: UnitOfWork, actor: str, username: str, role: str, project: Project | None = None
) -> None:
    """Give `username` a global role, or a role on `project` (sponsor, an approver role)."""
    role = short_text(role, "role", ROLE)
    _require_admin(uow, actor, "grant roles")
    user = find_user(uow, username)
    if project is None and role not in access.GLOBAL_ROLES:
        raise InvalidInput("Unknown global role", {"role": f"use {', '.join(access.GLOBAL_ROLES)}"})
    held = project_roles(uow, user, project) if project else global_roles(uow, user)
    if role in held:
        raise Refused("grant role", [f"{username} already holds the {role} role here."])
    uow.session.add(_grant(user, role, project, actor, uow.now))
    uow.record(
        actor, "role.granted", project.key if project else None, username=username, role=role
    )


def revoke_role(
    uow: UnitOfWork, actor: str, username: str, role: str, project: Project | None = None
) -> None:
    """End a role grant (the grant stays in history with its revocation time)."""
    _require_admin(uow, actor, "revoke roles")
    user = find_user(uow, username)
    query = select(RoleGrant).where(
        RoleGrant.user_id == user.id,
        RoleGrant.role == role,
        RoleGrant.project_id == project.id if project else RoleGrant.project_id.is_(None),
        RoleGrant.revoked_at.is_(None),
    )
    grant = uow.session.execute(query).scalars().first()
    if grant is None:
        raise Refused("revoke role", [f"{username} does not hold the {role} role here."])
    grant.revoked_at = uow.now
    uow.record(
        actor, "role.revoked", project.key if project else None, username=username, role=role
    )


def set_active(uow: UnitOfWork, actor: str, username: str, active: bool) -> None:
    """Enable or disable a user; disabling ends every session at once."""
    _require_admin(uow, actor, "enable or disable users")
    user = find_user(uow, username)
    if not active and username == actor:
        raise Refused(
            "disable the user",
            [
                "You cannot disable your own account: ask another "
                "admin, so that someone can still administer."
            ],
        )
    if user.active == active:
        return
    user.active = active
    user.session_version += 1
    uow.record(actor, "user.enabled" if active else "user.disabled", None, username=username)


def end_sessions(uow: UnitOfWork, username: str) -> None:
    """Invalidate every session of the user (logout everywhere)."""
    user = find_user(uow, username)
    user.session_version += 1
    uow.record(username, "user.logged_out", None, username=username)


def delegate(
    uow: UnitOfWork,
    actor: str,
    delegate_username: str,
    role: str,
    starts_at: datetime,
    ends_at: datetime,
    project: Project | None = None,
    reason: str = "",
) -> Delegation:
    """Pass the actor's signing authority for `role` to another user for a period."""
    role, reason = short_text(role, "role", ROLE), long_text(reason, "reason")
    delegator = find_user(uow, actor)
    target = find_user(uow, delegate_username)
    problems = []
    if target.id == delegator.id:
        problems.append("You cannot delegate to yourself.")
    if ends_at <= starts_at:
        problems.append("The delegation must end after it starts.")
    if project is not None and role not in project_roles(uow, delegator, project):
        problems.append(f"You do not hold the {role} role on {project.key}.")
    if problems:
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
    )
    uow.session.add(delegation)
    uow.record(
        actor,
        "delegation.created",
        project.key if project else None,
        delegate=delegate_username,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
    )
    return delegation
