"""audit events: the chain head can only name the last event

`UPDATE chain_head SET seq = seq - 3` went unnoticed by `audit verify`, and every later
append then failed on a duplicate seq. Triggers now refuse any head that is not the last
event (or the empty chain's genesis): an update or insert of the head row must name the
newest event's seq and hash, and the head row cannot be deleted. The append's own trigger
(0004) now moves the head only to an event inserted at the end of the trail (the one just
appended, which passes); a row slipped in below the head leaves the head alone, for
`audit verify` to name. `audit verify` also checks the head against the last event, for a
database whose triggers were dropped.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
MESSAGE = "the chain head must name the last audit event"

# True when NEW names the newest event, or the empty chain's genesis when there is none.
_NAMES_LAST = f"""
    (NEW.seq = (SELECT max(seq) FROM audit_events)
     AND NEW.hash = (SELECT hash FROM audit_events WHERE seq = NEW.seq))
    OR (NEW.seq = 0 AND NEW.hash = '{GENESIS}' AND NOT EXISTS (SELECT 1 FROM audit_events))
"""

# 0004's trigger, moving the head only to an event inserted at the end of the trail.
_ADVANCE_SQLITE = """
    CREATE TRIGGER audit_events_advance_chain_head AFTER INSERT ON audit_events
    WHEN NEW.seq = (SELECT max(seq) FROM audit_events)
    BEGIN
        UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    END
"""
_ADVANCE_POSTGRESQL = """
    CREATE OR REPLACE FUNCTION lockgate_advance_chain_head() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.seq = (SELECT max(seq) FROM audit_events) THEN
            UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
        END IF;
        RETURN NULL;
    END $$
"""
_ADVANCE_POSTGRESQL_BEFORE = """
    CREATE OR REPLACE FUNCTION lockgate_advance_chain_head() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
        RETURN NULL;
    END $$
"""
_ADVANCE_SQLITE_BEFORE = """
    CREATE TRIGGER audit_events_advance_chain_head AFTER INSERT ON audit_events
    BEGIN
        UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    END
"""

SQLITE = (
    ["DROP TRIGGER audit_events_advance_chain_head", _ADVANCE_SQLITE]
    + [
        f"""
    CREATE TRIGGER chain_head_{when}_names_last_event BEFORE {when.upper()} ON chain_head
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}') WHERE NOT ({_NAMES_LAST});
    END
    """
        for when in ("insert", "update")
    ]
    + [
        f"""
    CREATE TRIGGER chain_head_is_never_deleted BEFORE DELETE ON chain_head
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}: it cannot be deleted');
    END
    """
    ]
)
POSTGRESQL = [
    _ADVANCE_POSTGRESQL,
    f"""
    CREATE FUNCTION lockgate_chain_head_names_last_event() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION '{MESSAGE}: it cannot be deleted';
        END IF;
        IF NOT ({_NAMES_LAST}) THEN
            RAISE EXCEPTION '{MESSAGE} (seq %, hash %)', NEW.seq, NEW.hash;
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER chain_head_names_last_event
    BEFORE INSERT OR UPDATE OR DELETE ON chain_head
    FOR EACH ROW EXECUTE FUNCTION lockgate_chain_head_names_last_event()
    """,
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgres else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER chain_head_names_last_event ON chain_head")
        op.execute("DROP FUNCTION lockgate_chain_head_names_last_event()")
        op.execute(_ADVANCE_POSTGRESQL_BEFORE)
    else:
        for name in ("insert", "update"):
            op.execute(f"DROP TRIGGER chain_head_{name}_names_last_event")
        op.execute("DROP TRIGGER chain_head_is_never_deleted")
        op.execute("DROP TRIGGER audit_events_advance_chain_head")
        op.execute(_ADVANCE_SQLITE_BEFORE)
