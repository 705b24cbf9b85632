"""signatures bound to their record: a content hash per signature, a formula per snapshot

A signature row copied from one project's review into another's (both on the same evidence,
so the same snapshot digest) counted there. Each new signature now stores the hash of its
content (project, gate, round, signer, role, principal, meaning, decision, comment digest,
snapshot digest, time), also written into its audit event; and each new review's snapshot
digest covers its project and round (formula 2). Reviews already open keep formula 1 (NULL)
and their signatures; signatures given before this have no content hash.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable): a batch copy of `reviews` would drop a table that
    # signatures reference, which SQLite refuses with foreign keys on.
    op.add_column("reviews", sa.Column("digest_formula", sa.Integer(), nullable=True))
    op.add_column("signatures", sa.Column("content_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("signatures", "content_hash")
    op.drop_column("reviews", "digest_formula")
