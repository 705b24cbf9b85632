"""compliance reports: the refusing rule beside each refusal, and the indexes reports read

Reports over a million projects must not read event bodies: each `action.refused` event now
keeps its first rule id in a column (filled in here for the refusals already recorded), and
indexes serve an action's events in a period (with the rule), each actor's latest event,
reviews decided in a period, conditions due and waivers requested in a period.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("rule", sa.String(length=80), nullable=True))
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    if postgres:  # the trail refuses updates; this one fills a copy outside the hashed body
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete")
    refused = connection.execute(
        sa.text("SELECT seq, body FROM audit_events WHERE action = 'action.refused'")
    ).all()
    for seq, body in refused:
        rules = json.loads(bytes(body)).get("data", {}).get("rules") or []
        if rules:
            connection.execute(
                sa.text("UPDATE audit_events SET rule = :rule WHERE seq = :seq"),
                {"rule": str(rules[0])[:80], "seq": seq},
            )
    if postgres:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete")
    op.create_index(
        "ix_audit_events_action_at_rule", "audit_events", ["action", "at", "rule"], unique=False
    )
    op.create_index("ix_audit_events_actor_at", "audit_events", ["actor", "at"], unique=False)
    op.create_index("ix_reviews_decided_at", "reviews", ["decided_at"], unique=False)
    op.create_index("ix_follow_ups_due", "follow_ups", ["due"], unique=False)
    op.create_index("ix_waivers_requested_at", "waivers", ["requested_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_waivers_requested_at", table_name="waivers")
    op.drop_index("ix_follow_ups_due", table_name="follow_ups")
    op.drop_index("ix_reviews_decided_at", table_name="reviews")
    op.drop_index("ix_audit_events_actor_at", table_name="audit_events")
    op.drop_index("ix_audit_events_action_at_rule", table_name="audit_events")
    op.drop_column("audit_events", "rule")
