"""Users, roles and delegations: add, grant, revoke, delegate, disable."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_, select

from gates import access
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.passwords import hash_password
from workflows.records import Delegation, Project, RoleGrant, User
from workflows.uow import UnitOfWork

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 8


def find_user(uow: UnitOfWork, username: str) -> User:
    """The user with this username; raises NotFound."""
    user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"There is no user '{username}'.")
    return user


def global_roles(uow: UnitOfWork, user: User) -> set[str]:
    """The global roles the user holds now (pmo, auditor, admin, project_manager)."""
    query = select(RoleGrant.role).where(
        RoleGrant.user_id == user.id, RoleGrant.project_id.is_(None), RoleGrant.revoked_at.is_(None)
    )
    return set(uow.session.execute(query).scalars())


def project_roles(uow: UnitOfWork, user: User, project: Project) -> set[str]:
    """Every role the user holds on `project`: global, granted on it, and as its manager."""
    query = select(RoleGrant.role).where(
        RoleGrant.user_id == user.id,
        or_(RoleGrant.project_id.is_(None), RoleGrant.project_id == project.id),
        RoleGrant.revoked_at.is_(None),
    )
    roles = set(uow.session.execute(query).scalars())
    if project.manager_id != user.id:
        roles.discard(access.PROJECT_MANAGER)
    else:
        roles.add(access.PROJECT_MANAGER)
    return roles


def delegated_roles(uow: UnitOfWork, user: User, project: Project) -> dict[str, User]:
    """Roles the user may sign as on `project` by delegation now: role -> the delegator."""
    now = uow.now
    query = select(Delegation).where(
        Delegation.delegate_id == user.id,
        Delegation.revoked_at.is_(None),
        Delegation.starts_at <= now,
        Delegation.ends_at > now,
        or_(Delegation.project_id.is_(None), Delegation.project_id == project.id),
    )
    delegated = {}
    for delegation in uow.session.execute(query).scalars():
        if delegation.role in project_roles(uow, delegation.delegator, project):
            delegated[delegation.role] = delegation.delegator
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
    if not _USERNAME.match(username):
        problems["username"] = "use 2-40 lower-case letters, digits, '.', '_' or '-'"
    elif uow.session.execute(select(User.id).where(User.username == username)).first():
        problems["username"] = f"'{username}' is taken"
    if not display_name.strip():
        problems["display_name"] = "the printed name is required (it appears on signatures)"
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
