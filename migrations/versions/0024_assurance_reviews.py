"""independent assurance reviews, and the user attributes their independence is judged by

Users gain an org unit and a team (blank: not recorded), which admins keep; an assurance
reviewer must be independent of the project's manager, sponsors, team and org units as the
policy says. Each assurance review of a review round is a row (rating, summary,
recommendations) and an `assurance.recorded` event; deep verify reconciles both. The trail's
baseline is appended by the newest revision that changes a reconciled table (0026).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place (SQLite too): rebuilding `users` would break the keys that point to it.
    op.add_column("users", sa.Column("org_unit", sa.String(length=120), server_default="",
                                     nullable=False))  # fmt: skip
    op.add_column("users", sa.Column("team", sa.String(length=120), server_default="",
                                     nullable=False))  # fmt: skip
    op.create_table(
        "assurance_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=80), nullable=False),
        sa.Column("rating", sa.String(length=80), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recommendations", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"],
                                name=op.f("fk_assurance_reviews_review_id_reviews")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"],
                                name=op.f("fk_assurance_reviews_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assurance_reviews")),
        sa.UniqueConstraint("review_id", name=op.f("uq_assurance_reviews_review_id")),
    )  # fmt: skip
    op.create_index(op.f("ix_assurance_reviews_recorded_at"), "assurance_reviews",
                    ["recorded_at"], unique=False)  # fmt: skip


def downgrade() -> None:
    op.drop_index(op.f("ix_assurance_reviews_recorded_at"), table_name="assurance_reviews")
    op.drop_table("assurance_reviews")
    op.drop_column("users", "team")
    op.drop_column("users", "org_unit")
