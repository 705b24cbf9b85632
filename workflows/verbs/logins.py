"""Logging in: password check with throttling per account and per address."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select

from gates.refusals import Refusal
from workflows.errors import AuthenticationFailed, NotFound, Refused
from workflows.inputs import USERNAME
from workflows.store.passwords import check_password
from workflows.store.records import LoginFailure, User
from workflows.store.uow import UnitOfWork
from workflows.verbs.users import credentials, find_user

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20
_WRONG = "The username or password is not correct."


# Read before the password check, on a read connection: see log_in.
_FAILURES_SINCE = {
    name: select(func.count())
    .select_from(LoginFailure)
    .where(column == bindparam("value"), LoginFailure.at > bindparam("since"))
    for name, column in (("username", LoginFailure.username), ("address", LoginFailure.address))
}


def _throttled(uow: UnitOfWork, username: str, address: str, since: datetime) -> bool:
    """True while too many recent failures came from this account or this address."""
    count = uow.session.execute
    by_account = count(_FAILURES_SINCE["username"], {"value": username, "since": since})
    by_address = count(_FAILURES_SINCE["address"], {"value": address, "since": since})
    return by_account.scalar_one() >= MAX_PER_ACCOUNT or by_address.scalar_one() >= MAX_PER_ADDRESS


def log_in(uow: UnitOfWork, username: str, password: str, address: str) -> User:
    """The user, when the password matches and the account is active.

    Raises Refused while too many recent failures came from this account or address, and
    AuthenticationFailed (after committing the failure, so throttling counts it) otherwise.
    The counts and the password hash are read, and the slow password check (scrypt) runs,
    before `uow` writes anything: on SQLite no login holds the write lock while it hashes.
    The counts are read again in the writing transaction, where logins are serialized: a
    guess that raced others past the first count learns nothing once they reach the limit.
    """
    username = username.strip().lower()
    since = uow.now - WINDOW
    with uow.workspace.unit_of_work(read_only=True) as reader:
        throttled = _throttled(reader, username, address, since)
        try:
            account = None if throttled else credentials(reader, username)
        except NotFound:  # said as a wrong password: the form never tells which part was wrong
            account = None
    if account is not None and not (
        account.active and check_password(account.password_hash, password)
    ):
        account = None
    if throttled or _throttled(uow, username, address, since):
        text = "Too many failed attempts: wait 15 minutes and try again."
        raise Refused("log in", [Refusal("login.throttled", None, text)])
    if account is not None:
        user = uow.session.get_one(User, account.person.id)
        uow.record(username, "user.logged_in", None, address=address)
        return user
    # Kept as long as the columns: no user has a longer name, and the failure must count.
    failure = LoginFailure(username=username[:USERNAME], address=address[:64], at=uow.now)
    uow.session.add(failure)
    uow.commit()
    raise AuthenticationFailed(_WRONG)


def log_out(uow: UnitOfWork, username: str) -> None:
    """End every session of the user: a copied cookie is refused from now on."""
    user = find_user(uow, username)
    user.session_version += 1
    uow.record(user.username, "user.logged_out", None)
