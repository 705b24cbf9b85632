"""triggered reviews: the reviews a recurring date or an overdue condition opened

`lockgate reviews tick` opens each review a trigger asks for once: a row here (one per
project, gate, kind and cause, unique) and a `review.triggered` event; deep verify reconciles
them with the trail. The trail's baseline is appended by the newest revision that changes a
reconciled table (0026).

Revision ID: 0025
Revises: 0024 (0024, another branch's, comes between when they merge)
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triggered_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("gate_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("cause", sa.String(length=64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_triggered_reviews_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triggered_reviews")),
        sa.UniqueConstraint(
            "project_id", "gate_id", "kind", "cause", name=op.f("uq_triggered_reviews_project_id")
        ),
    )
    op.create_index("ix_triggered_reviews_due_on", "triggered_reviews", ["due_on"])


def downgrade() -> None:
    op.drop_index("ix_triggered_reviews_due_on", table_name="triggered_reviews")
    op.drop_table("triggered_reviews")
