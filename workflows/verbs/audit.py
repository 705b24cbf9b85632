"""The audit trail store: verify the chain, write signed checkpoints, export, and read events."""

from __future__ import annotations

import base64
import csv
import os
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import starmap
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson
from sqlalchemy import Select, select

from gates.authority import AUDIT, authority
from gates.chain import (
    ChainHead,
    SignedSize,
    Verification,
    check_head,
    check_tree_heads,
    verify_chain,
)
from gates.checkpoints import CheckpointError, checkpoint_from_json
from gates.merkle import (
    ProofError,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from gates.notes import (
    NoteError,
    TreeCheckpoint,
    check_checkpoint_format,
    checkpoint_text,
    consistency_text,
    open_checkpoint,
    proof_text,
    sign_note,
)
from gates.refusals import Refusal
from gates.replay import Mismatch, Replayed
from workflows.authority import person_on
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import Actor
from workflows.refusal_log import refusals_recorded
from workflows.store.audit_keys import (
    AuditKeyError,
    configured_signer,
    verifier_keys,
    verify_ed25519,
)
from workflows.store.audit_log import lock_head
from workflows.store.audit_tree import StoredNodes, TrailGap, extend_tiles, head_of, stored_tiles
from workflows.store.db import instance_path
from workflows.store.records import AuditEvent
from workflows.store.records import ChainHead as ChainHeadRow
from workflows.store.uow import UnitOfWork
from workflows.verbs.reconcile import differences, replaying

BATCH = 10_000


def require_auditor(uow: UnitOfWork, actor: Actor, action: str) -> None:
    """Raise Refused unless the actor may read the audit trail."""
    granted = authority(person_on(uow, actor.username, None))
    if not granted.may(AUDIT):
        raise Refused(action, granted.refusals(AUDIT, action))


def key_path() -> Path:
    """The key of the HMAC checkpoints written before signed tree heads:
    LOCKGATE_CHECKPOINT_KEY, else instance/checkpoint.key. Only verifies old checkpoints."""
    configured = os.environ.get("LOCKGATE_CHECKPOINT_KEY")
    return Path(configured) if configured else instance_path() / "checkpoint.key"


def load_key() -> bytes:
    """The HMAC key that checks an old checkpoint; Refused when there is none."""
    path = key_path()
    if not path.exists():
        text = f"No key for this older (HMAC) checkpoint at {path}: set LOCKGATE_CHECKPOINT_KEY."
        raise Refused("verify against a checkpoint", [Refusal("audit.no_key", None, text)])
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
    *,
    checkpoints: Sequence[str] = (),
    keys: Sequence[str] = (),
    each: Callable[[bytes], None] | None = None,
) -> Verification:
    """Verify the whole chain, its head, and the trail against each checkpoint given (its
    text): a signed tree head (checked with `keys`, see audit_keys.verifier_keys; the
    Merkle root recomputed in the same pass as the chain) or an older HMAC checkpoint
    (checked with LOCKGATE_CHECKPOINT_KEY). `each` is given every event's stored bytes, in
    seq order, in the same pass. Raises CheckpointError for a checkpoint that is malformed
    or whose signature does not hold."""
    texts = [t for t in (checkpoint_text, *checkpoints) if t]
    legacy = [t for t in texts if is_hmac_checkpoint(t)]
    if len(legacy) > 1:
        raise CheckpointError("Give one HMAC checkpoint at a time (or any number of signed ones).")
    hmac_checkpoint = checkpoint_from_json(legacy[0], load_key()) if legacy else None
    signed = open_checkpoints([t for t in texts if not is_hmac_checkpoint(t)], keys)
    tree, bad_tiles = None, list[tuple[int, int]]()
    if signed:
        stored = stored_tiles(uow)

        def compare(height: int, index: int, value: bytes) -> None:
            if not bad_tiles and stored.get((height, index), value) != value:
                bad_tiles.append((height, index))

        tree = TreeBuilder(compare, marks={c.size for c in signed})
    rows = _chain_rows(uow)
    try:
        result = verify_chain(rows if each is None else _tapped(rows, each), hmac_checkpoint,
                              progress, tree)  # fmt: skip
    finally:
        rows.close()  # closes the cursor even when verification stopped early
    head = uow.session.execute(select(ChainHeadRow).where(ChainHeadRow.id == 1)).scalar_one()
    result = check_head(result, ChainHead(head.seq, head.hash))
    if tree is None:
        return result
    sizes = [SignedSize(c.size, c.head.root, c.signed_by.name) for c in signed]
    return check_tree_heads(result, tree.heads, sizes, bad_tiles[0] if bad_tiles else None)


def verify_deep(
    uow: UnitOfWork,
    progress: Callable[[int], None] | None = None,
    *,
    checkpoints: Sequence[str] = (),
    keys: Sequence[str] = (),
) -> tuple[Verification, list[Mismatch]]:
    """`verify`, replaying the trail in the same pass (each event read once), then, on an
    intact trail, reconcile the governance tables with the replay
    (workflows.verbs.reconcile): every row without its event, event without its row and
    value that differs."""
    replayed = Replayed()
    result = verify(
        uow, None, progress, checkpoints=checkpoints, keys=keys, each=replaying(replayed)
    )
    if not result.ok:
        return result, []
    return result, differences(uow.session.connection(), replayed)


def _tapped(rows: Iterator[_ChainRow], each: Callable[[bytes], None]) -> Iterator[_ChainRow]:
    for row in rows:
        each(row.body)
        yield row


def is_hmac_checkpoint(text: str) -> bool:
    """True for a checkpoint file of the HMAC kind written before signed tree heads (JSON)."""
    return text.lstrip().startswith("{")


def open_checkpoints(texts: Sequence[str], keys: Sequence[str] = ()) -> list[TreeCheckpoint]:
    """The signed checkpoints in `texts`, each opened with a known public key; raises
    CheckpointError naming what is wrong."""
    if not texts:
        return []
    try:
        for text in texts:
            check_checkpoint_format(text)
        known = verifier_keys(keys)
        return [open_checkpoint(text, known, verify_ed25519) for text in texts]
    except (NoteError, AuditKeyError) as error:
        raise CheckpointError(str(error)) from None


@refusals_recorded
def checkpoint(uow: UnitOfWork, actor: Actor) -> str:
    """A checkpoint of the trail as it is now: its Merkle tree head, signed with the key
    LOCKGATE_AUDIT_KEY names, as a C2SP signed note (the text to keep outside the database).
    Extends the stored tree nodes first. Audited: `audit.checkpoint_written` comes after the
    events the checkpoint covers."""
    require_auditor(uow, actor, "write audit checkpoints")
    try:
        signer = configured_signer()
    except AuditKeyError as error:
        text = str(error)
        raise Refused("write audit checkpoints", [Refusal("audit.no_key", None, text)]) from None
    head = lock_head(uow.session)
    extend_tiles(uow, head.seq)
    tree = head_of(uow, head.seq)
    note = sign_note(
        checkpoint_text(signer.name, tree), signer.name, signer.public.public_key, signer.sign
    )
    uow.record(
        actor.username,
        "audit.checkpoint_written",
        None,
        size=tree.size,
        root=base64.b64encode(tree.root).decode(),
        key=signer.public.text(),
        chain_head=head.hash,
        note=note,  # the signed note itself: dossiers pin themselves to the latest one
    )
    return note


@refusals_recorded
def prove(
    uow: UnitOfWork, actor: Actor, seq: int, checkpoint_note: str, keys: Sequence[str] = ()
) -> str:
    """A C2SP tlog-proof that event `seq` is in the tree the checkpoint signed: the event's
    bytes, its index, its inclusion proof and the checkpoint. Raises CheckpointError when
    the checkpoint does not open, does not cover the event, or the trail no longer
    matches it; NotFound for no such event."""
    require_auditor(uow, actor, "prove an audit event")
    [signed] = open_checkpoints([checkpoint_note], keys)
    event = uow.session.get(AuditEvent, seq)
    if event is None:
        raise NotFound(f"There is no audit event #{seq:,}.")
    if seq > signed.size:
        raise CheckpointError(
            f"The checkpoint covers events #1 to #{signed.size:,}: write a newer one "
            f"(lockgate audit checkpoint) to prove event #{seq:,}."
        )
    nodes = StoredNodes(uow)
    try:
        path = inclusion_proof(nodes, seq - 1, signed.size)
        verify_inclusion(seq - 1, signed.size, leaf_hash(event.body), path, signed.head.root)
    except (ProofError, TrailGap):
        raise CheckpointError(
            f"The trail no longer matches the checkpoint of {signed.size:,} events: "
            "run lockgate audit verify with it to find where."
        ) from None
    return proof_text(seq - 1, path, signed.note, bytes(event.body))


@refusals_recorded
def consistency(
    uow: UnitOfWork, actor: Actor, old_note: str, new_note: str, keys: Sequence[str] = ()
) -> str:
    """The proof that the trail the newer checkpoint signed extends the older one's: RFC
    9162 consistency proof hashes, written as lines after the two sizes."""
    require_auditor(uow, actor, "prove audit checkpoints consistent")
    old, new = open_checkpoints([old_note, new_note], keys)
    if old.size > new.size:
        old, new = new, old
    try:
        proof = consistency_proof(StoredNodes(uow), old.size, new.size)
        verify_consistency(old.head, new.head, proof)
    except (ProofError, TrailGap):
        raise CheckpointError(
            f"The trail does not extend the checkpoint of {old.size:,} events to the one of "
            f"{new.size:,}: one of them was signed over a trail since rewritten."
        ) from None
    return consistency_text(old.size, new.size, proof)


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
def verify_trail(
    uow: UnitOfWork, actor: Actor, checkpoint_text: str | None = None, deep: bool = False
) -> tuple[Verification, list[Mismatch]]:
    """Verify the whole chain (and against a checkpoint file's text when given); with `deep`,
    also reconcile the tables with the trail (verify_deep): the verdict and the mismatches.

    Raises Refused unless the actor may read the audit trail; InvalidInput when the
    checkpoint file is malformed or its signature is wrong. Verifying changes nothing and
    records nothing.
    """
    require_auditor(uow, actor, "verify the audit trail")
    checkpoints = [checkpoint_text] if checkpoint_text else []
    try:
        if deep:
            return verify_deep(uow, checkpoints=checkpoints)
        return verify(uow, checkpoints=checkpoints), []
    except CheckpointError as error:
        raise InvalidInput("The checkpoint cannot be used", {"checkpoint": str(error)}) from None
