"""decisions that bind: conditions have a user as owner and are closed with a note; PMO
overrides need a second member

A conditional go's conditions named their owner in free text and could not be closed. Each
now points at a user (existing owners are matched to users by name at `lockgate init`, else
given to the project manager, with an audit event), and records who closed it, with which
note and evidence. An override (a gate forced through with requirements missing) is asked for
by one PMO member and confirmed by another: its row keeps both, and the reason.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("follow_ups") as batch:
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("closed_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("close_note", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("evidence_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_follow_ups_owner_id_users"), "users", ["owner_id"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_follow_ups_evidence_id_artifact_versions"),
            "artifact_versions",
            ["evidence_id"],
            ["id"],
        )
    # An owner's open conditions, soonest due first (their inbox and `reviews overdue`).
    op.create_index("ix_follow_ups_owner_open", "follow_ups", ["owner_id", "done_at", "due"])
    op.create_table(
        "overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.String(length=80), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_overrides_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_overrides_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overrides")),
    )
    op.create_index("ix_overrides_project_id", "overrides", ["project_id"])
    op.create_index("ix_overrides_review_id", "overrides", ["review_id"])


def downgrade() -> None:
    op.drop_index("ix_overrides_review_id", table_name="overrides")
    op.drop_index("ix_overrides_project_id", table_name="overrides")
    op.drop_table("overrides")
    op.drop_index("ix_follow_ups_owner_open", table_name="follow_ups")
    with op.batch_alter_table("follow_ups") as batch:
        batch.drop_constraint(op.f("fk_follow_ups_evidence_id_artifact_versions"), "foreignkey")
        batch.drop_constraint(op.f("fk_follow_ups_owner_id_users"), "foreignkey")
        batch.drop_column("evidence_id")
        batch.drop_column("close_note")
        batch.drop_column("closed_by")
        batch.drop_column("owner_id")
