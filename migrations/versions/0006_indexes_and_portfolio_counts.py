"""the portal at scale: audit log indexes in chain order, overdue reviews, portfolio counts

The audit log is read newest first by one project, actor or action: an index on (column,
seq) hands those events over in chain order, where one on the column alone left the database
to scan the whole trail backwards; a date range is read by (at, seq). Overdue reviews are
read by (state, due_at).

The dashboard's counts per policy version, stage and tier are kept in `portfolio_counts` by
triggers on `projects`, in the transaction of every change, and filled here from the
projects that exist. On PostgreSQL, trigram indexes serve searches inside keys and names.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

REPLACED = {
    # new index: (table, columns, the single-column index it replaces)
    "ix_audit_events_at_seq": ("audit_events", ["at", "seq"], "ix_audit_events_at"),
    "ix_audit_events_project_key_seq": (
        "audit_events",
        ["project_key", "seq"],
        "ix_audit_events_project_key",
    ),
    "ix_audit_events_actor_seq": ("audit_events", ["actor", "seq"], "ix_audit_events_actor"),
    "ix_audit_events_action_seq": ("audit_events", ["action", "seq"], "ix_audit_events_action"),
    "ix_reviews_state_due_at": ("reviews", ["state", "due_at"], "ix_reviews_state"),
}

FILL = """
    INSERT INTO portfolio_counts (policy_version_id, stage, tier, projects)
    SELECT policy_version_id, stage, tier, count(*) FROM projects
    GROUP BY policy_version_id, stage, tier
"""

# A project counts in the cell of its policy version, stage and tier. The UPDATE triggers fire
# only when one of the three changes.
_CHANGED = (
    "OLD.policy_version_id IS NOT NEW.policy_version_id "
    "OR OLD.stage IS NOT NEW.stage OR OLD.tier IS NOT NEW.tier"
)
_ADD_NEW = """
        INSERT INTO portfolio_counts (policy_version_id, stage, tier, projects)
        VALUES (NEW.policy_version_id, NEW.stage, NEW.tier, 1)
        ON CONFLICT (policy_version_id, stage, tier)
        DO UPDATE SET projects = portfolio_counts.projects + 1;
"""
_REMOVE_OLD = """
        UPDATE portfolio_counts SET projects = projects - 1
        WHERE policy_version_id = OLD.policy_version_id AND stage = OLD.stage
        AND tier = OLD.tier;
"""
SQLITE = (
    f"CREATE TRIGGER projects_counted_in AFTER INSERT ON projects BEGIN {_ADD_NEW} END",
    f"""CREATE TRIGGER projects_counted_moved AFTER UPDATE OF policy_version_id, stage, tier
    ON projects WHEN {_CHANGED} BEGIN {_REMOVE_OLD} {_ADD_NEW} END""",
    f"CREATE TRIGGER projects_counted_out AFTER DELETE ON projects BEGIN {_REMOVE_OLD} END",
)
POSTGRESQL = (
    # Every change that moves a count is audited, so its transaction locks the chain head
    # anyway. Locking it first puts every writer of the counts in one order (chain head, then
    # cells): two decisions moving projects between the same two cells cannot deadlock.
    f"""
    CREATE FUNCTION lockgate_count_projects() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM chain_head WHERE id = 1 FOR UPDATE;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {_REMOVE_OLD} END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {_ADD_NEW} END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER projects_counted_in AFTER INSERT ON projects
    FOR EACH ROW EXECUTE FUNCTION lockgate_count_projects()
    """,
    f"""
    CREATE TRIGGER projects_counted_moved AFTER UPDATE OF policy_version_id, stage, tier
    ON projects FOR EACH ROW WHEN ({_CHANGED.replace("IS NOT", "IS DISTINCT FROM")})
    EXECUTE FUNCTION lockgate_count_projects()
    """,
    """
    CREATE TRIGGER projects_counted_out AFTER DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION lockgate_count_projects()
    """,
)
TRIGGERS = ("projects_counted_in", "projects_counted_moved", "projects_counted_out")

# PostgreSQL only: a search for text inside a project's key or name (ILIKE '%...%') reads
# these trigram indexes instead of every project. They need the pg_trgm extension (trusted:
# the database owner may create it); without it, search still works, by reading the table.
# SQLite has no such index and scans its (smaller) portfolio; the models do not declare them.
TRIGRAM_INDEXES = {"ix_projects_key_trgm": "key", "ix_projects_name_trgm": "name"}


def _trigram_indexes() -> None:
    bind = op.get_bind()
    installed = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
    if installed.first() is None:
        available = bind.execute(
            sa.text(
                "SELECT has_database_privilege(current_database(), 'CREATE') "
                "FROM pg_available_extensions WHERE name = 'pg_trgm'"
            )
        ).scalar()
        if not available:
            return
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON projects USING gin ({column} gin_trgm_ops)")


def upgrade() -> None:
    for name, (table, columns, replaced) in REPLACED.items():
        op.create_index(name, table, columns)
        op.drop_index(replaced, table_name=table, if_exists=True)
    op.create_table(
        "portfolio_counts",
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=80), nullable=False),
        sa.Column("tier", sa.String(length=80), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["policy_versions.id"],
            name=op.f("fk_portfolio_counts_policy_version_id_policy_versions"),
        ),
        sa.PrimaryKeyConstraint(
            "policy_version_id", "stage", "tier", name=op.f("pk_portfolio_counts")
        ),
    )
    op.execute(FILL)
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgres else SQLITE:
        op.execute(statement)
    if postgres:
        _trigram_indexes()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER {trigger} ON projects" if postgres else f"DROP TRIGGER {trigger}")
    if postgres:
        op.execute("DROP FUNCTION lockgate_count_projects()")
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_table("portfolio_counts")
    for name, (table, columns, replaced) in REPLACED.items():
        op.create_index(replaced, table, columns[:1])
        op.drop_index(name, table_name=table)
