"""four-eyes policy publication: a PMO member proposes a policy version, another approves it

Publishing was one person's act. A version is now first a proposal (its exact source and
digest, who proposed it, its status: proposed, approved, rejected or withdrawn, who decided
and why); approving it publishes it, and the published version names its approver.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("policy_versions", sa.Column("approved_by", sa.String(length=80), nullable=True))
    op.create_table(
        "policy_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=80), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_proposals")),
    )
    op.create_index(
        "ix_policy_proposals_policy_status", "policy_proposals", ["policy_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_policy_proposals_policy_status", table_name="policy_proposals")
    op.drop_table("policy_proposals")
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), as in 0008.
    op.execute(sa.text("ALTER TABLE policy_versions DROP COLUMN approved_by"))
