"""the trail is the record: a baseline event holding the reconciled rows as they stand

`audit verify --deep` rebuilds project stages, role grants in force, users' active flags and
signatures from the audit events, and names every row that disagrees. Events written before
this carry less than replay needs (older signatures have no content hash), so on a database
that already has events this appends one `audit.baseline` event holding those rows as they
are now; replay starts from it for anything older. A new database needs none.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from gates.chain import ChainHead, canonical_bytes, chain_next
from gates.replay import BASELINE

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from workflows.store.records import AuditEvent, table_of
    from workflows.verbs.reconcile import baseline_data

    connection = op.get_bind()
    if connection.execute(sa.text("SELECT count(*) FROM audit_events")).scalar_one() == 0:
        return
    lock = " FOR UPDATE" if connection.dialect.name == "postgresql" else ""
    seq, last = connection.execute(
        sa.text(f"SELECT seq, hash FROM chain_head WHERE id = 1{lock}")
    ).one()
    at = datetime.now(UTC)
    body = canonical_bytes(
        {"action": BASELINE, "actor": "system", "at": at, "project": None,
         "data": baseline_data(connection)}
    )  # fmt: skip
    sealed = chain_next(ChainHead(seq, last), body)
    # The columns as they are at this revision (later ones add more), with the model's types.
    columns = ("seq", "prev_hash", "hash", "body", "at", "actor", "action", "project_key")
    events = sa.table(
        "audit_events", *(sa.column(c, table_of(AuditEvent).c[c].type) for c in columns)
    )
    connection.execute(
        sa.insert(events),
        {"seq": sealed.seq, "prev_hash": sealed.prev_hash, "hash": sealed.hash,
         "body": sealed.body, "at": at, "actor": "system", "action": BASELINE,
         "project_key": None},
    )  # fmt: skip


def downgrade() -> None:
    """The baseline event stays: nothing is removed from the trail."""
