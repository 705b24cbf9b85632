"""Appending one event to the audit chain, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gates.chain import GENESIS, ChainedEvent, ChainHead, canonical_bytes, chain_next
from workflows.store.records import AuditEvent, table_of
from workflows.store.records import ChainHead as ChainHeadRow

# Built once: both run on every verb. The events table is written through Core: an event is
# never read back as an ORM object, so the session's bookkeeping of one would be pure cost.
_HEAD = table_of(ChainHeadRow)
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
_APPEND = insert(table_of(AuditEvent))
_SEED_HEAD = insert(_HEAD)


def append(
    session: Session,
    actor: str,
    action: str,
    project_key: str | None,
    at: datetime,
    data: dict[str, Any],
) -> ChainedEvent:
    """Seal one event onto the chain in `session`'s transaction and return it.

    The chain head row is locked first (FOR UPDATE on PostgreSQL; a writing SQLite
    transaction already holds the database's write lock), so appends have one total order.
    The database moves the head to the new event as part of the INSERT (a trigger, migration
    0004): the event and the head commit or roll back together, with the caller's change.
    """
    head = lock_head(session)
    body = canonical_bytes(
        {"action": action, "actor": actor, "at": at, "project": project_key, "data": data}
    )
    sealed = chain_next(head if head.seq else None, body)
    session.execute(
        _APPEND,
        {
            "seq": sealed.seq,
            "prev_hash": sealed.prev_hash,
            "hash": sealed.hash,
            "body": sealed.body,
            "at": at,
            "actor": actor,
            "action": action,
            "project_key": project_key,
            "rule": _first_rule(action, data),
        },
    )
    return sealed


def _first_rule(action: str, data: dict[str, Any]) -> str | None:
    """The rule a refusal names first, kept beside the event for reports (else None)."""
    rules = data.get("rules") if action == "action.refused" else None
    return str(rules[0])[:80] if rules else None


def lock_head(session: Session) -> ChainHead:
    """Lock the chain head row (appends wait until this transaction ends) and return it."""
    found = session.execute(_LOCK_HEAD).first()
    if found is None:  # a schema made without the migration that seeds the head row
        session.execute(_SEED_HEAD, {"id": 1, "seq": 0, "hash": GENESIS})
        return ChainHead(0, GENESIS)
    return ChainHead(found.seq, found.hash)
