"""The audit trail store: verify the chain, write signed checkpoints, export, and read events."""

from __future__ import annotations

import csv
import os
import secrets
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import starmap
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson
from sqlalchemy import Select, select

from gates.authority import AUDIT, authority
from gates.chain import ChainHead, Verification, check_head, verify_chain
from gates.checkpoints import Checkpoint, CheckpointError, checkpoint_from_json, sign_checkpoint
from gates.refusals import Refusal
from workflows.authority import person_on
from workflows.errors import InvalidInput, Refused
from workflows.identity import Actor
from workflows.refusal_log import refusals_recorded
from workflows.store.db import instance_path
from workflows.store.records import AuditEvent
from workflows.store.records import ChainHead as ChainHeadRow
from workflows.store.uow import UnitOfWork

BATCH = 10_000


def require_auditor(uow: UnitOfWork, actor: Actor, action: str) -> None:
    """Raise Refused unless the actor may read the audit trail."""
    granted = authority(person_on(uow, actor.username, None))
    if not granted.may(AUDIT):
        raise Refused(action, granted.refusals(AUDIT, action))


def key_path() -> Path:
    """The checkpoint signing key: LOCKGATE_CHECKPOINT_KEY, else instance/checkpoint.key.
    Keep it away from the database: whoever can rewrite both can forge a checkpoint."""
    configured = os.environ.get("LOCKGATE_CHECKPOINT_KEY")
    return Path(configured) if configured else instance_path() / "checkpoint.key"


def load_key(create: bool = False) -> bytes:
    """Read the signing key; with `create`, make a new random one if none exists."""
    path = key_path()
    if not path.exists():
        if not create:
            text = f"No checkpoint key at {path}: set LOCKGATE_CHECKPOINT_KEY."
            raise Refused("verify against a checkpoint", [Refusal("audit.no_key", None, text)])
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def stream_events(uow: UnitOfWork, query: Select[Any] | None = None) -> Iterator[AuditEvent]:
    """Every audit event in chain order, fetched in batches."""
    query = query if query is not None else select(AuditEvent).order_by(AuditEvent.seq)
    result = uow.session.execute(query.execution_options(yield_per=BATCH))
    for event in result.scalars():
        yield event
        uow.session.expunge(event)


class _ChainRow(NamedTuple):
    seq: int
    prev_hash: str
    hash: str
    body: bytes


_CHAIN_SQL = "SELECT seq, prev_hash, hash, body FROM audit_events ORDER BY seq"


def _chain_rows(uow: UnitOfWork) -> Generator[_ChainRow, None, None]:
    # The four columns the chain needs, straight from the driver's cursor in batches: the
    # ORM's row processing cost more than the hashing (measured ~2.3x faster this way). On
    # PostgreSQL a named cursor keeps the rows on the server until they are fetched.
    connection = uow.session.connection().connection.dbapi_connection
    assert connection is not None
    named = uow.session.get_bind().dialect.name == "postgresql"
    cursor = connection.cursor("lockgate_verify") if named else connection.cursor()
    try:
        cursor.execute(_CHAIN_SQL)
        while rows := cursor.fetchmany(BATCH):
            yield from starmap(_ChainRow, rows)
    finally:
        cursor.close()


def verify(
    uow: UnitOfWork,
    checkpoint_text: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Verify the whole chain, and against a checkpoint file's text when given."""
    checkpoint = checkpoint_from_json(checkpoint_text, load_key()) if checkpoint_text else None
    rows = _chain_rows(uow)
    try:
        result = verify_chain(rows, checkpoint, progress)
    finally:
        rows.close()  # closes the cursor even when verification stopped early
    head = uow.session.execute(select(ChainHeadRow).where(ChainHeadRow.id == 1)).scalar_one()
    return check_head(result, ChainHead(head.seq, head.hash))


@refusals_recorded
def checkpoint(uow: UnitOfWork, actor: Actor) -> Checkpoint:
    """A signed checkpoint of the chain as it is now (count and head hash); audited."""
    require_auditor(uow, actor, "write audit checkpoints")
    head = uow.session.execute(select(ChainHeadRow).where(ChainHeadRow.id == 1)).scalar_one()
    signed = sign_checkpoint(ChainHead(head.seq, head.hash), uow.now, load_key(create=True))
    uow.record(
        actor.username,
        "audit.checkpoint_written",
        None,
        count=signed.count,
        head_hash=signed.head_hash,
    )
    return signed


@dataclass(frozen=True)
class EventFilter:
    """Which events to read: by project, actor, action (prefix) and time range."""

    project: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.project:
            query = query.where(AuditEvent.project_key == self.project)
        if self.actor:
            query = query.where(AuditEvent.actor == self.actor)
        if self.action:
            query = query.where(AuditEvent.action.startswith(self.action))
        if self.since:
            query = query.where(AuditEvent.at >= self.since)
        if self.until:
            query = query.where(AuditEvent.at < self.until)
        return query


def export(uow: UnitOfWork, out: IO[str], fmt: str, where: EventFilter | None = None) -> int:
    """Write events as JSON lines ('jsonl') or CSV ('csv'); returns how many were written."""
    query = (where or EventFilter()).apply(select(AuditEvent)).order_by(AuditEvent.seq)
    writer = csv.writer(out) if fmt == "csv" else None
    if writer:
        writer.writerow(["seq", "at", "actor", "action", "project", "data", "prev_hash", "hash"])
    count = 0
    for event in stream_events(uow, query):
        body = orjson.loads(event.body)
        if writer:
            writer.writerow(
                [
                    event.seq,
                    body["at"],
                    event.actor,
                    event.action,
                    event.project_key or "",
                    orjson.dumps(body["data"]).decode(),
                    event.prev_hash,
                    event.hash,
                ]
            )
        else:
            row = {"seq": event.seq, "prev_hash": event.prev_hash, "hash": event.hash, **body}
            out.write(orjson.dumps(row).decode() + "\n")
        count += 1
    return count


@refusals_recorded
def export_events(uow: UnitOfWork, actor: Actor, out: IO[str], fmt: str, where: EventFilter) -> int:
    """Write the matching events to `out` ('csv' or 'jsonl') and record `audit.exported`.

    Returns how many were written; raises Refused unless the actor may read the audit trail.
    The caller commits: the export is on the record only when the file was produced.
    """
    require_auditor(uow, actor, "export the audit trail")
    count = export(uow, out, fmt, where)
    uow.record(
        actor.username,
        "audit.exported",
        where.project,
        format=fmt,
        count=count,
        filters={
            "project": where.project,
            "actor": where.actor,
            "action": where.action,
            "since": where.since,
            "until": where.until,
        },
    )
    return count


@refusals_recorded
def verify_trail(uow: UnitOfWork, actor: Actor, checkpoint_text: str | None = None) -> Verification:
    """Verify the whole chain (and against a checkpoint file's text when given).

    Raises Refused unless the actor may read the audit trail, or when no checkpoint key is
    configured; InvalidInput when the checkpoint file is malformed or its signature is wrong.
    Verifying changes nothing and records nothing.
    """
    require_auditor(uow, actor, "verify the audit trail")
    try:
        return verify(uow, checkpoint_text)
    except CheckpointError as error:
        raise InvalidInput("The checkpoint cannot be used", {"checkpoint": str(error)}) from None
