"""Who is acting: the one place an `Actor` is made, by authenticating a person.

Every verb that acts as someone takes an `Actor`, never a bare user name, so no channel (the
portal, the command line, a script) can act as a person it has not authenticated: a password
(with throttling), a personal access token, or a portal session that a password began.
`system()` is the engine itself (publishing the shipped policies at `lockgate init`), never
reachable from a command's options.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, func, select

from gates.refusals import Refusal
from workflows.errors import AuthenticationFailed, NotFound, Refused
from workflows.inputs import USERNAME
from workflows.store.passwords import check_password, hash_password
from workflows.store.records import AccessToken, LoginFailure, User, table_of
from workflows.store.uow import UnitOfWork

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20
TOKEN_PREFIX = "lgt_"
SYSTEM = "system"
ANONYMOUS = "anonymous"  # the actor of a failed login: nobody was authenticated
_WRONG = "The username or password is not correct."
_SEAL = object()  # only this module holds it: an Actor made elsewhere is refused at once

# A password check for a name that has no account, so that an unknown, a disabled and a real
# user take the same time to be refused (no one learns which names exist by timing).
_NOBODY = hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Actor:
    """A person authenticated on some channel (`via`: password, token, session), or the
    system. Only the functions of this module make one."""

    user_id: int | None
    username: str
    via: str
    _seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("An Actor is made only by authenticating (workflows.identity).")

    @property
    def is_system(self) -> bool:
        return self.user_id is None


def _actor(user_id: int | None, username: str, via: str) -> Actor:
    return Actor(user_id, username, via, _SEAL)


def system() -> Actor:
    """The engine acting on its own: publishing the shipped library at `lockgate init`,
    creating the first admin. Recorded in the trail as `system`."""
    return _actor(None, SYSTEM, "system")


# -- passwords ---------------------------------------------------------------------------------

_USERS = table_of(User)
_ACCOUNT = select(_USERS.c.id, _USERS.c.active, _USERS.c.password_hash).where(
    _USERS.c.username == bindparam("username")
)
_FAILURES_SINCE = {
    name: select(func.count())
    .select_from(LoginFailure)
    .where(column == bindparam("value"), LoginFailure.at > bindparam("since"))
    for name, column in (("username", LoginFailure.username), ("address", LoginFailure.address))
}
_PAIR_FAILURES_SINCE = select(func.count()).where(
    LoginFailure.username == bindparam("username"),
    LoginFailure.address == bindparam("address"),
    LoginFailure.at > bindparam("since"),
)


class Failures(NamedTuple):
    """Recent failed logins (in the throttling window) of an account and of an address."""

    account: int
    address: int

    @property
    def throttled(self) -> bool:
        return self.account >= MAX_PER_ACCOUNT or self.address >= MAX_PER_ADDRESS


def _failures(uow: UnitOfWork, username: str, address: str, since: datetime) -> Failures:
    count = uow.session.execute
    by_account = count(_FAILURES_SINCE["username"], {"value": username, "since": since})
    by_address = count(_FAILURES_SINCE["address"], {"value": address, "since": since})
    return Failures(by_account.scalar_one(), by_address.scalar_one())


def authenticate(uow: UnitOfWork, username: str, password: str, address: str) -> Actor:
    """The person, when the password matches and the account is active.

    Raises Refused while too many recent failures came from this account or address, and
    AuthenticationFailed (after committing the failure, so throttling counts it) otherwise.
    The counts and the password hash are read, and the slow password check (scrypt) runs,
    before `uow` writes anything: on SQLite no login holds the write lock while it hashes.
    The counts are read again in the writing transaction, where logins are serialized: a
    guess that raced others past the first count learns nothing once they reach the limit.
    An unknown or disabled account costs the same password check as a real one.
    """
    username, address = username.strip().lower()[:USERNAME], address[:64]
    since = uow.now - WINDOW
    with uow.workspace.unit_of_work(read_only=True) as reader:
        throttled = _failures(reader, username, address, since).throttled
        account = reader.session.execute(_ACCOUNT, {"username": username}).first()
    user_id, active, stored = account if account is not None else (None, False, _NOBODY)
    matches = check_password(stored, password) and active and not throttled
    failures = _failures(uow, username, address, since)
    if throttled or failures.throttled:
        text = "Too many failed attempts: wait 15 minutes and try again."
        raise Refused("log in", [Refusal("login.throttled", None, text)])
    if matches and user_id is not None:
        return _actor(user_id, username, "password")
    # Kept as long as the columns: no user has a longer name, and the failure must count.
    _record_failure(uow, username, address, failures)
    uow.session.add(LoginFailure(username=username, address=address, at=uow.now))
    uow.commit()
    raise AuthenticationFailed(_WRONG)


def _record_failure(uow: UnitOfWork, username: str, address: str, before: Failures) -> None:
    """Audit failed logins without letting guessing grow the trail: one `login.failed` per
    account and address per throttling window (its first failure), and one `login.locked`
    when the account's or the address's failures reach the limit (with the count)."""
    since = uow.now - WINDOW
    pair = uow.session.execute(
        _PAIR_FAILURES_SINCE, {"username": username, "address": address, "since": since}
    ).scalar_one()
    if pair == 0:
        uow.record(ANONYMOUS, "login.failed", None, username=username, address=address)
    for scope, count, limit in (
        ("account", before.account + 1, MAX_PER_ACCOUNT),
        ("address", before.address + 1, MAX_PER_ADDRESS),
    ):
        if count == limit:
            until = uow.now + WINDOW
            uow.record(
                ANONYMOUS,
                "login.locked",
                None,
                username=username,
                address=address,
                scope=scope,
                failures=count,
                until=until,
            )


# -- portal sessions ---------------------------------------------------------------------------


def from_session(record: User, session_version: int) -> Actor | None:
    """The person a portal session cookie names, while the account is active and the cookie's
    session version is current (a logout, a disable or a password change bumps it)."""
    if not record.active or record.session_version != session_version:
        return None
    return _actor(record.id, record.username, "session")


# -- personal access tokens --------------------------------------------------------------------


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (a token carries 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """A fresh token, its digest, and the hint that names it in lists (not a secret)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token), token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8]


_TOKEN = (
    select(
        AccessToken.id,
        AccessToken.expires_at,
        AccessToken.revoked_at,
        _USERS.c.id,
        _USERS.c.username,
        _USERS.c.active,
    )
    .join(_USERS, _USERS.c.id == AccessToken.user_id)
    .where(AccessToken.digest == bindparam("digest"))
)
_HOW_TO = "Create a new one with `lockgate token create` or in the portal (Account)."


def authenticate_token(uow: UnitOfWork, token: str) -> Actor:
    """The owner of a personal access token that exists, is not revoked or expired, and
    whose owner is active; raises AuthenticationFailed saying which and what to do."""
    token = token.strip()
    found = None
    if token.startswith(TOKEN_PREFIX) and len(token) < 200:
        found = uow.session.execute(_TOKEN, {"digest": token_digest(token)}).first()
    if found is None:
        raise AuthenticationFailed(f"The access token is not one Lockgate issued. {_HOW_TO}")
    _, expires_at, revoked_at, user_id, username, active = found
    if revoked_at is not None:
        raise AuthenticationFailed(f"The access token was revoked. {_HOW_TO}")
    if expires_at <= uow.now:
        raise AuthenticationFailed(f"The access token expired on {expires_at:%Y-%m-%d}. {_HOW_TO}")
    if not active:
        raise AuthenticationFailed(f"The account '{username}' is disabled: ask an admin.")
    return _actor(user_id, username, "token")


def user_of(uow: UnitOfWork, actor: Actor) -> User:
    """The actor's user record; raises NotFound for the system, which has none."""
    if actor.user_id is None:
        raise NotFound("The system is not a user.")
    return uow.session.get_one(User, actor.user_id)
