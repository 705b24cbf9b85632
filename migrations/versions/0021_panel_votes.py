"""panel votes: a gate whose go needs a vote of a panel keeps each member's vote

Each vote is a row (one per member and review round) and a `review.voted` event; deep verify
reconciles them with the trail. The trail's baseline is appended by the newest revision that
changes a reconciled table (0026), which reads every one of them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_votes_review_id_reviews")
        ),
        sa.ForeignKeyConstraint(["voter_id"], ["users.id"], name=op.f("fk_votes_voter_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
        sa.UniqueConstraint("review_id", "voter_id", name=op.f("uq_votes_review_id")),
    )
    op.create_index(op.f("ix_votes_review_id"), "votes", ["review_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_votes_review_id"), table_name="votes")
    op.drop_table("votes")
