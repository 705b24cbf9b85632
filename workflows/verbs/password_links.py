"""Passwords belong to their owner: an admin issues a one-time link (enrollment for a new
user, or a reset), the person sets their own password through it; a person changes their
own password. Each is an audit event, and every change ends all of that person's sessions.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select, update

from gates.authority import ADMINISTER
from gates.refusals import Refusal
from workflows.errors import AuthenticationFailed, InvalidInput, Refused
from workflows.identity import Actor, token_digest, user_of
from workflows.inputs import SHORT_TEXT
from workflows.refusal_log import refusals_recorded
from workflows.store.passwords import check_password, hash_password
from workflows.store.records import PasswordLink, User
from workflows.store.uow import UnitOfWork
from workflows.verbs.users import MIN_PASSWORD, find_user, require_permission

LINK_LIFETIME = timedelta(hours=72)
ENROLL, RESET = "enroll", "reset"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


class NewLink(NamedTuple):
    """A link just issued: the address to give the person (shown once) and its expiry."""

    url: str
    token: str
    expires_at: datetime


def link_url(token: str) -> str:
    """The portal address of a link: LOCKGATE_BASE_URL (default the local portal)."""
    base = os.environ.get("LOCKGATE_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
    return f"{base}/password/{token}"


@refusals_recorded
def issue_link(uow: UnitOfWork, actor: Actor, username: str, purpose: str = RESET) -> NewLink:
    """A one-time link for `username` to set their password (admins; the system for the
    first admin). Earlier unused links of that person stop working. The link is shown once;
    only its digest is kept."""
    if not actor.is_system:
        require_permission(uow, actor, ADMINISTER, "issue password links")
    user = find_user(uow, username)
    if not user.active:
        text = f"{username} is disabled: enable the account first."
        raise Refused("issue a password link", [Refusal("user.disabled_link", None, text)])
    uow.session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=uow.now)
    )
    token = secrets.token_urlsafe(32)
    link = PasswordLink(
        user_id=user.id,
        purpose=purpose,
        digest=token_digest(token),
        created_by=actor.username,
        created_at=uow.now,
        expires_at=uow.now + LINK_LIFETIME,
        used_at=None,
    )
    uow.session.add(link)
    uow.record(
        actor.username,
        "user.enrollment_issued" if purpose == ENROLL else "user.reset_issued",
        None,
        username=username,
        expires_at=link.expires_at,
    )
    return NewLink(link_url(token), token, link.expires_at)


def link_owner(uow: UnitOfWork, token: str) -> User:
    """The person a link is for, while it is unused, unexpired and they are active; raises
    AuthenticationFailed saying what to do otherwise."""
    return _usable_link(uow, token)[1]


def use_link(uow: UnitOfWork, token: str, new_password: str) -> User:
    """Set the password through a one-time link; the link is used up, every session of the
    person ends. Raises AuthenticationFailed for a link that cannot be used, InvalidInput for
    a password too short."""
    link, user = _usable_link(uow, token)
    _check_new(new_password)
    link.used_at = uow.now
    _set(user, new_password)
    uow.record(user.username, "user.password_set", None, through=link.purpose)
    return user


def _usable_link(uow: UnitOfWork, token: str) -> tuple[PasswordLink, User]:
    found = None
    if 0 < len(token) <= SHORT_TEXT:
        query = select(PasswordLink).where(PasswordLink.digest == token_digest(token))
        found = uow.session.execute(query).scalar_one_or_none()
    if found is None or found.used_at is not None:
        raise AuthenticationFailed("This link is not valid (any more): ask an admin for a new one.")
    if found.expires_at <= uow.now:
        expired = f"{found.expires_at:%Y-%m-%d %H:%M} UTC"
        raise AuthenticationFailed(f"This link expired on {expired}: ask an admin for a new one.")
    user = uow.session.get_one(User, found.user_id)
    if not user.active:
        raise AuthenticationFailed(f"The account '{user.username}' is disabled: ask an admin.")
    return found, user


@refusals_recorded
def change_password(uow: UnitOfWork, actor: Actor, current: str, new_password: str) -> None:
    """The person changes their own password, typing the current one; every session of
    theirs ends (the portal asks them to log in again)."""
    user = user_of(uow, actor)
    if not check_password(user.password_hash, current):
        raise AuthenticationFailed("The current password is not correct: nothing was changed.")
    _check_new(new_password)
    if check_password(user.password_hash, new_password):
        problem = "choose a password different from the current one"
        raise InvalidInput("The password cannot be changed", {"new_password": problem})
    _set(user, new_password)
    uow.record(actor.username, "user.password_changed", None)


def _check_new(password: str) -> None:
    if len(password) < MIN_PASSWORD or len(password) > SHORT_TEXT:
        problem = f"use {MIN_PASSWORD} to {SHORT_TEXT} characters"
        raise InvalidInput("The password cannot be set", {"new_password": problem})


def _set(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.session_version += 1  # every session of theirs ends, copied cookies included
