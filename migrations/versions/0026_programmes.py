"""programmes: a project may belong to a programme, whose aggregates the policy reads

A `programmes` table (key, name, sponsor, who created it and when), a nullable link from each
project to its programme, and a change request's `membership` (a move into or out of a
programme that re-tiers projects under change control). On a database that had events this
appends the trail's baseline (0017, 0019, 0020, 0021, 0024, 0025: it moves to the newest
revision that changes a reconciled table, because it reads every one of them, these too),
now that every table it reconciles exists; nothing when the last event is one.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from workflows.verbs.reconcile import append_baseline

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
    _link_projects()
    op.create_index(op.f("ix_projects_programme_id"), "projects", ["programme_id"], unique=False)
    with op.batch_alter_table("change_requests") as batch:
        batch.add_column(sa.Column("membership", sa.JSON(), nullable=True))
    append_baseline(op.get_bind())


_FK = "fk_projects_programme_id_programmes"


def _link_projects() -> None:
    """projects.programme_id, a foreign key to programmes, added in place. Not in a batch: on
    SQLite a batch adding a constraint copies the table, and the copy loses the triggers
    that keep the portfolio counts (0006)."""
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a nullable REFERENCES column
        op.execute(
            f"ALTER TABLE projects ADD COLUMN programme_id INTEGER CONSTRAINT {_FK} "
            "REFERENCES programmes (id)"
        )
        return
    op.add_column("projects", sa.Column("programme_id", sa.Integer(), nullable=True))
    op.create_foreign_key(_FK, "projects", "programmes", ["programme_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("change_requests") as batch:
        batch.drop_column("membership")
    op.drop_index(op.f("ix_projects_programme_id"), table_name="projects")
    if op.get_bind().dialect.name == "sqlite":  # in place (SQLite 3.35+), as it was added
        op.execute("ALTER TABLE projects DROP COLUMN programme_id")
    else:
        op.drop_constraint(_FK, "projects", type_="foreignkey")
        op.drop_column("projects", "programme_id")
    op.drop_table("programmes")
