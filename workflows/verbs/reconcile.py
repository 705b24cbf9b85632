"""`audit verify --deep`: replay the trail (gates.replay) and reconcile the governance tables
with it, naming every row without its event, event without its row, and value that differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import orjson
from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from gates.binding import SignatureContent, signature_hash
from gates.replay import (
    Grant,
    Mismatch,
    Replayed,
    SignatureFacts,
    compare_grants,
    compare_signatures,
    compare_values,
)
from workflows.store.records import AuditEvent, Project, Review, RoleGrant, SignatureRecord, User

BATCH = 10_000


@dataclass(frozen=True)
class Rows:
    """The reconciled governance rows as the tables hold them."""

    stages: dict[str, str]
    grants: set[Grant]
    active: dict[str, bool]
    signatures: dict[int, tuple[SignatureFacts, bool, str | None]]


def table_rows(connection: Connection) -> Rows:
    """Read the rows the replay reconciles (also what a baseline event holds)."""
    # .all(): a result has keys(), which dict() would take for a mapping's.
    stages = dict(connection.execute(select(Project.key, Project.stage)).all())
    active = dict(connection.execute(select(User.username, User.active)).all())
    holder, place = aliased(User), aliased(Project)
    grants: set[Grant] = set()
    for username, role, key in connection.execute(
        select(holder.username, RoleGrant.role, place.key)
        .join(holder, holder.id == RoleGrant.user_id)
        .outerjoin(place, place.id == RoleGrant.project_id)
        .where(RoleGrant.revoked_at.is_(None))
    ):
        grants.add((username, role, key))
    signer, principal = aliased(User), aliased(User)
    query = (
        select(
            SignatureRecord.id,
            Project.key,
            Review.gate_id,
            Review.round,
            signer.username,
            SignatureRecord.role,
            principal.username,
            SignatureRecord.decision,
            SignatureRecord.snapshot_digest,
            SignatureRecord.content_hash,
            SignatureRecord.superseded_at,
            SignatureRecord.meaning,
            SignatureRecord.comment,
            SignatureRecord.signed_at,
        )
        .join(Review, Review.id == SignatureRecord.review_id)
        .join(Project, Project.id == Review.project_id)
        .join(signer, signer.id == SignatureRecord.signer_id)
        .outerjoin(principal, principal.id == SignatureRecord.on_behalf_of_id)
    )
    signatures: dict[int, tuple[SignatureFacts, bool, str | None]] = {}
    for row in connection.execute(query):
        number, key, gate, round_, who, role, behalf, decision, digest, stored = row[:10]
        superseded, meaning, comment, signed_at = row[10:]
        facts = SignatureFacts(key, gate, round_, who, role, behalf, decision, digest, stored)
        content = SignatureContent(
            key, gate, round_, who, role, behalf, meaning, decision, comment, digest,
            _utc(signed_at),
        )  # fmt: skip
        signatures[number] = (facts, superseded is not None, signature_hash(content))
    return Rows(stages, grants, active, signatures)


def baseline_data(connection: Connection) -> dict[str, Any]:
    """The data of an `audit.baseline` event: the reconciled rows as they stand now."""
    rows = table_rows(connection)
    return {
        "stages": rows.stages,
        "grants": sorted([list(g) for g in rows.grants], key=str),
        "active": rows.active,
        "signatures": {
            str(number): {name: getattr(facts, name) for name in SignatureFacts.__slots__}
            | {"content_hash": facts.content_hash or recomputed}
            for number, (facts, _, recomputed) in rows.signatures.items()
        },
        "superseded": sorted(n for n, (_, gone, _) in rows.signatures.items() if gone),
    }


def replay(connection: Connection, progress: Callable[[int], None] | None = None) -> Replayed:
    """The rows the trail describes, every event's stored bytes read once, in seq order."""
    replayed = Replayed()
    query = select(AuditEvent.body).order_by(AuditEvent.seq).execution_options(yield_per=BATCH)
    for count, (body,) in enumerate(connection.execute(query), start=1):
        event = orjson.loads(body)
        replayed.apply(event["action"], event["actor"], event["project"], event["data"])
        if progress and count % BATCH == 0:
            progress(count)
    return replayed


def differences(connection: Connection) -> list[Mismatch]:
    """Every difference between the reconciled tables and the trail, table by table."""
    expected, found = replay(connection), table_rows(connection)
    return [
        *compare_values("projects", expected.stages, found.stages, "stage"),
        *compare_grants(expected.grants, found.grants),
        *compare_values("users", expected.active, found.active, "active"),
        *compare_signatures(expected.signatures, expected.superseded, found.signatures),
    ]


def _utc(moment: Any) -> Any:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
