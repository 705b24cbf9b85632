"""role grants: one index on (user_id, project_id) for role checks, replacing the user_id one

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_role_grants_user_project", "role_grants", ["user_id", "project_id"])
    op.drop_index("ix_role_grants_user_id", table_name="role_grants")


def downgrade() -> None:
    op.create_index("ix_role_grants_user_id", "role_grants", ["user_id"])
    op.drop_index("ix_role_grants_user_project", table_name="role_grants")
