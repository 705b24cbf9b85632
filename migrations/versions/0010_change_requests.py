"""change control on facts: change requests and the approval of each approver role

After a project's first gate, a change of its facts that moves the tier, drops a requirement
or moves money beyond the policy's threshold is proposed as a change request; every approver
role (by default the sponsor and the PMO) approves it once, and then it is applied.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("impact", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("proposed_by", sa.String(length=80), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=80), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_change_requests_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
    )
    op.create_index(
        "ix_change_requests_project_status", "change_requests", ["project_id", "status"]
    )
    op.create_index(op.f("ix_change_requests_status"), "change_requests", ["status"])
    op.create_table(
        "change_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_request_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=80), nullable=False),
        sa.Column("approver", sa.String(length=80), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_request_id"],
            ["change_requests.id"],
            name=op.f("fk_change_approvals_change_request_id_change_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_approvals")),
        sa.UniqueConstraint(
            "change_request_id", "role", name=op.f("uq_change_approvals_change_request_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("change_approvals")
    op.drop_index(op.f("ix_change_requests_status"), table_name="change_requests")
    op.drop_index("ix_change_requests_project_status", table_name="change_requests")
    op.drop_table("change_requests")
