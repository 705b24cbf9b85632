"""Personal access tokens: made by their owner, listed, revoked; each creation and revocation
is an audit event. Authenticating with one is workflows.identity.authenticate_token."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from gates.refusals import Refusal
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import Actor, new_token
from workflows.inputs import short_text
from workflows.refusal_log import refusals_recorded
from workflows.store.records import AccessToken
from workflows.store.uow import UnitOfWork

DEFAULT_DAYS = 90
MAX_DAYS = 365


class NewToken(NamedTuple):
    """A token just made: its record, and the token itself, shown this once."""

    record: AccessToken
    token: str


@refusals_recorded
def create_token(uow: UnitOfWork, actor: Actor, name: str, days: int = DEFAULT_DAYS) -> NewToken:
    """A new token for the actor, valid `days` days (1 to MAX_DAYS).

    Refused when the actor authenticated with a token: a token could otherwise renew itself
    forever, so making one needs the password.
    """
    name = short_text(name, "name")
    if actor.via not in ("password", "session"):
        text = (
            "A token cannot make another token: run this with your password "
            "(unset LOCKGATE_TOKEN), or make it in the portal."
        )
        raise Refused("create a token", [Refusal("token.needs_password", None, text)])
    if not 1 <= days <= MAX_DAYS:
        problem = f"give a number of days from 1 to {MAX_DAYS} (a token always expires)"
        raise InvalidInput("The token cannot be created", {"days": problem})
    token, digest, hint = new_token()
    record = AccessToken(
        user_id=actor.user_id,
        name=name,
        digest=digest,
        hint=hint,
        created_at=uow.now,
        expires_at=uow.now + timedelta(days=days),
        revoked_at=None,
    )
    uow.session.add(record)
    uow.session.flush()
    uow.record(
        actor.username,
        "token.created",
        None,
        token=record.id,
        name=name,
        hint=hint,
        expires_at=record.expires_at,
    )
    return NewToken(record, token)


def tokens_of(uow: UnitOfWork, actor: Actor) -> list[AccessToken]:
    """The actor's tokens, newest first, revoked and expired ones included."""
    query = (
        select(AccessToken)
        .where(AccessToken.user_id == actor.user_id)
        .order_by(AccessToken.id.desc())
    )
    return list(uow.session.execute(query).scalars())


@refusals_recorded
def revoke_token(uow: UnitOfWork, actor: Actor, token_id: int) -> AccessToken:
    """Revoke one of the actor's own tokens; it stops working at once."""
    record = uow.session.get(AccessToken, token_id)
    if record is None or record.user_id != actor.user_id:
        raise NotFound(f"You have no token {token_id}: `lockgate token list` shows yours.")
    if record.revoked_at is not None:
        text = f"Token {token_id} was already revoked on {record.revoked_at:%Y-%m-%d}."
        raise Refused("revoke the token", [Refusal("token.revoked", None, text)])
    record.revoked_at = uow.now
    uow.record(actor.username, "token.revoked", None, token=record.id, name=record.name)
    return record


def state_of(record: AccessToken, now: datetime) -> str:
    """'active', 'expired' or 'revoked'."""
    if record.revoked_at is not None:
        return "revoked"
    return "expired" if record.expires_at <= now else "active"
