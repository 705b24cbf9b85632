"""Acting as someone in a test: authenticated the way every channel authenticates."""

from __future__ import annotations

from web.demo import PASSWORD as DEMO_PASSWORD
from workflows.identity import Actor, authenticate
from workflows.store.uow import UnitOfWork


def authenticated(uow: UnitOfWork, who: str | Actor, password: str) -> Actor:
    """`who` authenticated with `password` (workflows.identity.authenticate); an Actor
    passes through."""
    if isinstance(who, Actor):
        return who
    return authenticate(uow, who, password, "tests")


def demo_actor(uow: UnitOfWork, who: str | Actor) -> Actor:
    """A person of the demo portfolio (every one has the demo password)."""
    return authenticated(uow, who, DEMO_PASSWORD)
