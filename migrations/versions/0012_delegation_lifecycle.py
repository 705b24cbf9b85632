"""delegations have a lifecycle: a budget limit, and who revoked one and why

Delegations could only be created from Python and never revoked with a reason. People now
create and revoke them in the portal and the CLI: a delegation may be limited to projects
within a budget, and a revocation records who revoked it and why.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("delegations", sa.Column("budget_limit", sa.Numeric(18, 2), nullable=True))
    op.add_column("delegations", sa.Column("revoked_by", sa.String(length=80), nullable=True))
    op.add_column("delegations", sa.Column("revoke_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), as in 0008.
    for column in ("revoke_reason", "revoked_by", "budget_limit"):
        op.execute(sa.text(f"ALTER TABLE delegations DROP COLUMN {column}"))
