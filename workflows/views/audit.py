"""Read models of the audit pages: the trail page by page, newest first, with each event's data
decoded for reading; verification; and the audited export of a filtered trail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import ceil
from typing import Any

import orjson
from sqlalchemy import func, select

from workflows.store.records import AuditEvent
from workflows.store.uow import UnitOfWork
from workflows.verbs.audit import EventFilter

PAGE_SIZE = 100
MAX_VALUE_CHARS = 300
SHORT_DIGEST = 12
_DIGEST = re.compile(r"[0-9a-f]{40,128}")
FORMATS = ("csv", "jsonl")


def event_filter(
    project: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> EventFilter:
    """A filter from what a person types: blank means any; `until` includes that whole day (UTC)."""
    return EventFilter(
        project=(project or "").strip() or None,
        actor=(actor or "").strip() or None,
        action=(action or "").strip() or None,
        since=datetime.combine(since, time(), UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
    )


@dataclass(frozen=True)
class EventRow:
    """One audit event as the log shows it."""

    seq: int
    at: datetime
    actor: str
    action: str
    project_key: str | None
    data: tuple[tuple[str, str], ...]
    hash: str


@dataclass(frozen=True)
class EventPage:
    """One page of the filtered trail, newest first."""

    rows: list[EventRow]
    page: int
    pages: int
    total: int


def event_page(
    uow: UnitOfWork, where: EventFilter, page: int = 1, size: int = PAGE_SIZE
) -> EventPage:
    """Page `page` (from 1) of the events matching `where`, newest first."""
    total = uow.session.execute(where.apply(select(func.count(AuditEvent.seq)))).scalar() or 0
    pages = max(1, ceil(total / size))
    page = min(max(page, 1), pages)
    query = where.apply(select(AuditEvent)).order_by(AuditEvent.seq.desc())
    events = uow.session.execute(query.offset((page - 1) * size).limit(size)).scalars()
    return EventPage([_row(event) for event in events], page, pages, total)


def _row(event: AuditEvent) -> EventRow:
    body = orjson.loads(event.body)
    data = body.get("data") or {}
    items = tuple((k, readable(v)) for k, v in sorted(data.items()) if not _empty(v))
    return EventRow(
        event.seq, event.at, event.actor, event.action, event.project_key, items, event.hash
    )


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def readable(value: Any) -> str:
    """A stored value in a few words: lists joined, mappings as key=value, digests shortened
    (the export keeps them whole), long text cut."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = ", ".join(readable(item) for item in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={readable(v)}" for k, v in value.items() if not _empty(v)) or "—"
    elif isinstance(value, str) and _DIGEST.fullmatch(value):
        text = value[:SHORT_DIGEST] + "…"
    else:
        text = "—" if _empty(value) else str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
