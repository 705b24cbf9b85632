"""passwords belong to their owner: one-time enrollment and reset links; admin-chosen
passwords are changed at the next login

Admins chose new users' passwords, and so knew the password that signs as them. A new user
now sets their own password through a one-time link (72 hours); a reset is a new link. Every
user that exists when this runs had a password an admin chose: each must set a new one at
their next login.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(sa.text("UPDATE users SET must_change_password = :yes").bindparams(yes=True))
    op.create_table(
        "password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_links_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_links")),
        sa.UniqueConstraint("digest", name=op.f("uq_password_links_digest")),
    )
    op.create_index("ix_password_links_user", "password_links", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_password_links_user", table_name="password_links")
    op.drop_table("password_links")
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): rebuilding the users table, as batch
    # mode would, breaks the foreign keys that point at it.
    op.execute(sa.text("ALTER TABLE users DROP COLUMN must_change_password"))
