"""Logging in: password check with throttling per account and per address."""

from __future__ import annotations

from workflows.identity import Actor, authenticate, user_of
from workflows.store.uow import UnitOfWork


def log_in(uow: UnitOfWork, username: str, password: str, address: str) -> Actor:
    """Authenticate a person at the portal's login (workflows.identity.authenticate: throttled,
    the same time for unknown, disabled and real accounts) and record the login."""
    actor = authenticate(uow, username, password, address)
    uow.record(actor.username, "user.logged_in", None, address=address)
    return actor


def log_out(uow: UnitOfWork, actor: Actor) -> None:
    """End every session of the user: a copied cookie is refused from now on."""
    user = user_of(uow, actor)
    user.session_version += 1
    uow.record(user.username, "user.logged_out", None)
