"""Every refusal leaves a trace: a verb that refuses records one `action.refused` audit event
naming the rules that refused it (their stable ids), the inputs they concern and their words.

The refused verb's own writes are rolled back first, so the trail holds the attempt and
nothing else of it. A read-only unit of work cannot write, so its refusal is recorded in a
unit of work of its own.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from workflows.errors import Refused
from workflows.identity import Actor
from workflows.store.uow import UnitOfWork

P = ParamSpec("P")
R = TypeVar("R")
REFUSED = "action.refused"


def refusals_recorded(
    verb: Callable[Concatenate[UnitOfWork, Actor, P], R],
) -> Callable[Concatenate[UnitOfWork, Actor, P], R]:
    """`verb`, with each Refused it raises recorded in the audit trail before it propagates."""
    signature = inspect.signature(verb)

    @functools.wraps(verb)
    def run(uow: UnitOfWork, actor: Actor, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return verb(uow, actor, *args, **kwargs)
        except Refused as error:
            if not error.recorded:  # a verb refused inside another is recorded once
                bound = signature.bind_partial(uow, actor, *args, **kwargs).arguments
                record_refusal(uow, actor, error, error.project_key or _project_key(bound))
            raise

    return run


def record_refusal(uow: UnitOfWork, actor: Actor, error: Refused, project_key: str | None) -> None:
    """Roll back what the refused attempt wrote, then record the refusal, committed."""
    error.recorded = True
    uow.rollback()
    data: dict[str, Any] = {
        "attempted": error.action,
        "rules": [r.rule for r in error.refusals],
        "fields": [r.field for r in error.refusals],
        "reasons": error.reasons,
    }
    if uow.read_only:
        with uow.workspace.unit_of_work() as writer:
            writer.record(actor.username, REFUSED, project_key, **data)
            writer.commit()
        return
    uow.record(actor.username, REFUSED, project_key, **data)
    uow.commit()


def _project_key(arguments: dict[str, Any]) -> str | None:
    """The project the attempt concerned: a `key` argument, or a `project` record's key."""
    key = arguments.get("key")
    if isinstance(key, str):
        return key[:40]
    project = arguments.get("project")
    found = getattr(project, "key", None)
    return found if isinstance(found, str) else None
