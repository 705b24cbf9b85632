"""the positions report reads the advisory and consulted signatures by an index of them alone

Advisory and consulted sign-offs record a position (support, disagree_but_support, object) or
a comment in the signature's decision column, beside the decisions of blocking ones. The
compliance report of positions lists those given in a period; a partial index holds only them,
so it never reads the portfolio's other signatures.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# The positions as they were when this revision was written (policies.model.Position).
POSITIONED = sa.text("decision IN ('support', 'disagree_but_support', 'object', 'comment')")


def upgrade() -> None:
    op.create_index("ix_signatures_positions_signed_at", "signatures", ["signed_at"],
                    postgresql_where=POSITIONED, sqlite_where=POSITIONED)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_signatures_positions_signed_at", table_name="signatures")
