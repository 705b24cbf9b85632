"""A project as it was at a moment, rebuilt from its audit events (gates.history): what
`lockgate project show KEY --as-of` and the project page's "view as of" show."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import select

from gates.authority import READ
from gates.history import ProjectHistory
from workflows.identity import Actor
from workflows.refusal_log import refusals_recorded
from workflows.state import authority_on, load_project, require
from workflows.store.records import AuditEvent, table_of
from workflows.store.uow import UnitOfWork

_EVENTS = table_of(AuditEvent)


@refusals_recorded
def project_as_of(uow: UnitOfWork, actor: Actor, key: str, moment: datetime) -> ProjectHistory:
    """Project `key` as its events up to `moment` describe it (anyone who may read the
    project). Reads the project's events by its indexed key, in seq order."""
    project = load_project(uow, key)
    require(authority_on(uow, actor.username, project), READ, "see this project")
    return replay_project(uow, key, moment)


def replay_project(uow: UnitOfWork, key: str, moment: datetime | None = None) -> ProjectHistory:
    """The replay itself, with no permission asked: for the engine's own checks."""
    query = select(_EVENTS.c.body).where(_EVENTS.c.project_key == key)
    if moment is not None:
        query = query.where(_EVENTS.c.at <= moment)
    history = ProjectHistory(key)
    for (body,) in uow.session.execute(query.order_by(_EVENTS.c.seq)):
        event = orjson.loads(body)
        history.apply(event["action"], event["actor"], event["at"], event["data"])
    return history
