"""Migration 0006 counts the projects a database already holds, and can be undone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, inspect, text

from workflows.store.db import make_engine
from workflows.store.schema import alembic_config, head_revision, upgrade

ROWS = (
    "INSERT INTO users (id, username, display_name, email, password_hash, active, "
    "session_version, failed_sign_attempts, created_at) "
    "VALUES (1, 'ada', 'Ada', '', 'x', 1, 1, 0, '2026-01-01 00:00:00')",
    "INSERT INTO policy_versions (id, policy_id, version, title, digest, source, "
    "published_by, published_at) VALUES (1, 'standard', 1, 'Standard', 'd', '', 'ada', "
    "'2026-01-01 00:00:00')",
)
PROJECT = (
    "INSERT INTO projects (key, name, policy_version_id, stage, tier, facts, manager_id, "
    "created_at, updated_at, version) VALUES (:key, 'P', 1, :stage, :tier, '{}', 1, "
    "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
)
COUNTS = "SELECT stage, tier, projects FROM portfolio_counts ORDER BY stage, tier"


def migrate(engine: Engine, revision: str, downgrade: bool = False) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(config, revision)


def test_upgrading_counts_the_projects_already_there(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine, "0004")
    with engine.begin() as connection:
        for statement in ROWS:
            connection.execute(text(statement))
        for key, stage, tier in (
            ("A-1", "planning", "large"),
            ("A-2", "planning", "large"),
            ("A-3", "closed", "small"),
        ):
            connection.execute(text(PROJECT), {"key": key, "stage": stage, "tier": tier})

    upgrade(engine)

    with engine.connect() as connection:
        counts = connection.execute(text(COUNTS)).all()
    engine.dispose()
    assert counts == [("closed", "small", 1), ("planning", "large", 2)]


def test_the_revision_can_be_undone_and_done_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)

    migrate(engine, "0004", downgrade=True)
    tables = set(inspect(engine).get_table_names())
    upgrade(engine)

    assert "portfolio_counts" not in tables
    assert upgrade(engine) == (head_revision(engine), head_revision(engine))
    engine.dispose()
