"""pending sign-offs: who each open review waits for, kept by the authority rules

My approvals took the first open reviews and filtered them for the user, and left out the
others. This table holds one row per (open review, person, role, on whose behalf), written
by the authority rules in the transaction of every change that can alter it, and read alone
by My approvals (an index serves "this user's rows, overdue first"). A database upgraded
from 0004 gets its rows from workflows.store.schema.upgrade, which rebuilds them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

USERS = "users.id"


def upgrade() -> None:
    op.create_table(
        "pending_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=80), nullable=False),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=True),
        sa.Column("part", sa.String(length=20), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("waiting_for", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["on_behalf_of_id"], [USERS], name=op.f("fk_pending_signoffs_on_behalf_of_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_pending_signoffs_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_pending_signoffs_review_id_reviews")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], [USERS], name=op.f("fk_pending_signoffs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_signoffs")),
    )
    op.create_index(
        "ix_pending_signoffs_inbox",
        "pending_signoffs",
        ["user_id", "part", "lead", "due_at", "submitted_at", "review_id"],
    )
    op.create_index("ix_pending_signoffs_project_id", "pending_signoffs", ["project_id"])
    op.create_index("ix_pending_signoffs_review_user", "pending_signoffs", ["review_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_pending_signoffs_review_user", table_name="pending_signoffs")
    op.drop_index("ix_pending_signoffs_project_id", table_name="pending_signoffs")
    op.drop_index("ix_pending_signoffs_inbox", table_name="pending_signoffs")
    op.drop_table("pending_signoffs")
