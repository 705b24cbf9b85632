"""waivers are requested, then approved or denied by another person, and may be revoked

One person used to grant a waiver alone. A waiver is now requested (with a justification and
an expiry) by whoever may submit the gate, and decided by a holder of a waiving role who is
neither the requester nor the project manager; an approved waiver may be revoked. Who granted
it (granted_by, granted_role, granted_at) is known only once it is approved, so those become
optional. Every waiver that exists when this runs was granted by one person: it becomes an
approved one (revoked if it was), requested and decided by its granter.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("waivers") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=10), nullable=False, server_default="approved")
        )
        batch.add_column(sa.Column("requested_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("requested_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("decided_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("decided_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("revoke_reason", sa.Text(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE waivers SET requested_by = granted_by, requested_at = granted_at, "
            "decided_by = granted_by, decided_at = granted_at, "
            "status = CASE WHEN revoked_at IS NULL THEN 'approved' ELSE 'revoked' END"
        )
    )
    with op.batch_alter_table("waivers") as batch:
        batch.alter_column("requested_by", existing_type=sa.String(length=80), nullable=False)
        batch.alter_column("requested_at", existing_type=_WHEN, nullable=False)
        batch.alter_column("granted_by", existing_type=sa.String(length=80), nullable=True)
        batch.alter_column("granted_role", existing_type=sa.String(length=80), nullable=True)
        batch.alter_column("granted_at", existing_type=_WHEN, nullable=True)
        # The portfolio's waivers page: one status, newest first, paged by id.
        batch.create_index("ix_waivers_status_id", ["status", "id"])


def downgrade() -> None:
    # A waiver that was only requested or denied never existed before this revision.
    op.execute(sa.text("DELETE FROM waivers WHERE status IN ('requested', 'denied')"))
    with op.batch_alter_table("waivers") as batch:
        batch.drop_index("ix_waivers_status_id")
        batch.alter_column("granted_by", existing_type=sa.String(length=80), nullable=False)
        batch.alter_column("granted_role", existing_type=sa.String(length=80), nullable=False)
        batch.alter_column("granted_at", existing_type=_WHEN, nullable=False)
        for column in (
            "revoke_reason",
            "revoked_by",
            "decision_reason",
            "decided_at",
            "decided_by",
            "requested_at",
            "requested_by",
            "status",
        ):
            batch.drop_column(column)
