"""programmes: a project may belong to a programme, whose aggregates the policy reads

A `programmes` table (key, name, sponsor, who created it and when), a nullable link from each
project to its programme, and a change request's `membership` (a move into or out of a
programme that re-tiers projects under change control). Nothing older needs a baseline: the
trail before this revision holds no programme, and neither do the tables.

Revision ID: 0026
Revises: 0023 (relinked after 0024 and 0025 at merge)
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sponsor_id"], ["users.id"], name=op.f("fk_programmes_sponsor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("key", name=op.f("uq_programmes_key")),
    )
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("programme_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_projects_programme_id_programmes"), "programmes", ["programme_id"], ["id"]
        )
        batch.create_index(op.f("ix_projects_programme_id"), ["programme_id"], unique=False)
    with op.batch_alter_table("change_requests") as batch:
        batch.add_column(sa.Column("membership", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("change_requests") as batch:
        batch.drop_column("membership")
    with op.batch_alter_table("projects") as batch:
        batch.drop_index(op.f("ix_projects_programme_id"))
        batch.drop_constraint(op.f("fk_projects_programme_id_programmes"), type_="foreignkey")
        batch.drop_column("programme_id")
    op.drop_table("programmes")
