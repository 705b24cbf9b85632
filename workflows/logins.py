"""Logging in: password check with throttling per account and per address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from workflows.errors import AuthenticationFailed, Refused
from workflows.passwords import check_password
from workflows.records import LoginFailure, User
from workflows.uow import UnitOfWork

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20
_WRONG = "The username or password is not correct."


def _recent(uow: UnitOfWork, column: InstrumentedAttribute[str], value: str) -> int:
    query = (
        select(func.count())
        .select_from(LoginFailure)
        .where(
            column == value,
            LoginFailure.at > uow.now - WINDOW,
        )
    )
    return uow.session.execute(query).scalar() or 0


def log_in(uow: UnitOfWork, username: str, password: str, address: str) -> User:
    """The user, when the password matches and the account is active.

    Raises Refused while too many recent failures came from this account or address, and
    AuthenticationFailed (after committing the failure, so throttling counts it) otherwise.
    """
    username = username.strip().lower()
    if (
        _recent(uow, LoginFailure.username, username) >= MAX_PER_ACCOUNT
        or _recent(uow, LoginFailure.address, address) >= MAX_PER_ADDRESS
    ):
        raise Refused("log in", ["Too many failed attempts: wait 15 minutes and try again."])
    user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is not None and user.active and check_password(user.password_hash, password):
        uow.record(username, "user.logged_in", None, address=address)
        return user
    uow.session.add(LoginFailure(username=username, address=address[:64], at=uow.now))
    uow.commit()
    raise AuthenticationFailed(_WRONG)


def log_out(uow: UnitOfWork, user: User) -> None:
    """End every session of the user: a copied cookie is refused from now on."""
    user.session_version += 1
    uow.record(user.username, "user.logged_out", None)
