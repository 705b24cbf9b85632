"""audit events: the database moves the chain head with every appended event

Each append locked the chain head, inserted the event, then updated the head: three
statements. A trigger now updates the head as part of the insert (bench/engine.py: two
statements fewer per gate passed). The head row is still locked first, so appends keep one
total order.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQLITE = (
    """
    CREATE TRIGGER audit_events_advance_chain_head AFTER INSERT ON audit_events
    BEGIN
        UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    END
    """,
)
POSTGRESQL = (
    """
    CREATE FUNCTION lockgate_advance_chain_head() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER audit_events_advance_chain_head
    AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION lockgate_advance_chain_head()
    """,
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgres else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_advance_chain_head ON audit_events")
        op.execute("DROP FUNCTION lockgate_advance_chain_head()")
    else:
        op.execute("DROP TRIGGER audit_events_advance_chain_head")
