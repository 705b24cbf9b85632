"""audit trail: stored nodes of its Merkle tree, for checkpoints and inclusion proofs

Checkpoints are now signed tree heads (RFC 6962 Merkle roots, C2SP tlog-checkpoint); a proof
needs the hashes of a few complete subtrees. The complete subtrees at heights 8, 16, 24 and
32 are stored as they are first computed (by `lockgate audit checkpoint`), so a proof reads at
most a few hundred rows per level instead of the whole trail. They are derived data: verify
recomputes them from the events and names any that disagree.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_tree_tiles",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_audit_tree_tiles")),
    )


def downgrade() -> None:
    op.drop_table("audit_tree_tiles")
