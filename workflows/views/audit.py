"""Read models of the audit pages: the trail page by page (by seq), newest first, with each
event's data decoded for reading."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import Select, func, select

from workflows.store.records import AuditEvent
from workflows.store.uow import UnitOfWork
from workflows.verbs.audit import EventFilter
from workflows.views.paging import Cursor, Page, keyset, page_of

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


def event_page(
    uow: UnitOfWork, where: EventFilter, cursor: Cursor[int] | None = None, size: int = PAGE_SIZE
) -> Page[EventRow, int]:
    """The page of the events matching `where` that `cursor` (event numbers) names, newest
    first: by seq, or, within a date range, by time (then seq).

    Paged by key, never counted: a page reads its events through the index of its filter
    (project, actor or action, in chain order; time), at any depth of the trail.
    """
    cursor = cursor or Cursor()
    query = select(AuditEvent)
    if where.action:
        query = query.where(AuditEvent.action.in_(actions_starting(uow, where.action)))
        where = replace(where, action=None)
    query = where.apply(query)
    if where.since is None and where.until is None:
        query = keyset(query, AuditEvent.seq, cursor, size, descending=True)
        found = page_of(list(uow.session.execute(query).scalars()), cursor, size, _seq)
        return Page([_row(event) for event in found.rows], found.previous, found.next)
    return _dated_page(uow, query, cursor, size)


def _dated_page(
    uow: UnitOfWork, query: Select[AuditEvent], cursor: Cursor[int], size: int
) -> Page[EventRow, int]:
    """A page of a date range, newest first by (time, seq). Time follows seq but for
    events stamped by transactions that overlapped; by seq alone, the database would read
    every event newer than the range before reaching it."""
    timed = Cursor(_moment(uow, cursor.after), _moment(uow, cursor.before), cursor.last)
    if timed.at_start and not cursor.at_start:
        return Page([], None, None)  # the cursor names no event
    query = keyset(query, (AuditEvent.at, AuditEvent.seq), timed, size, descending=True)
    found = page_of(list(uow.session.execute(query).scalars()), timed, size, _moment_of)
    return Page(
        [_row(event) for event in found.rows],
        found.previous[1] if found.previous else None,
        found.next[1] if found.next else None,
    )


def _seq(event: AuditEvent) -> int:
    return event.seq


def _moment_of(event: AuditEvent) -> tuple[datetime, int]:
    return (event.at, event.seq)


def _moment(uow: UnitOfWork, seq: int | None) -> tuple[datetime, int] | None:
    if seq is None:
        return None
    at = uow.session.execute(select(AuditEvent.at).where(AuditEvent.seq == seq)).scalar()
    return None if at is None else (at, seq)


def actions_starting(uow: UnitOfWork, prefix: str) -> list[str]:
    """The actions in the trail that start with `prefix`; one statement.

    A prefix condition (LIKE) can use no ordinary index on either database (SQLite's LIKE
    ignores case; PostgreSQL needs the C collation), so a rare prefix would scan the whole
    trail. The trail holds a few dozen distinct actions: they are read by skipping through
    the action index, one probe each, and the page is then read by equality.
    """
    actions = uow.session.execute(_DISTINCT_ACTIONS).scalars()
    return [action for action in actions if action.startswith(prefix)]


def _distinct_actions() -> Select[str]:
    """Every distinct action, read through the index on action: the smallest, then
    repeatedly the smallest greater than the last found."""
    column = AuditEvent.action
    found = select(func.min(column).label("action")).cte("actions", recursive=True)
    greater = select(func.min(column)).where(column > found.c.action).scalar_subquery()
    found = found.union_all(select(greater).where(found.c.action.is_not(None)))
    return select(found.c.action).where(found.c.action.is_not(None))


_DISTINCT_ACTIONS = _distinct_actions()


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
