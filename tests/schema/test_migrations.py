"""The Alembic migrations build exactly the schema the models describe, and upgrade in place."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from workflows.store.db import make_engine
from workflows.store.records import Base
from workflows.store.schema import head_revision, upgrade


def test_the_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == [], "models changed without a migration: add an Alembic revision"


def test_init_upgrades_an_existing_database_and_keeps_its_rows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    from alembic import command

    from workflows.store.schema import alembic_config

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO users (username, display_name, email, password_hash, active, "
                "session_version, failed_sign_attempts, created_at) "
                "VALUES ('ada', 'Ada', '', 'x', 1, 1, 0, '2026-01-01 00:00:00')"
            )
        )
    before, after = upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        users = connection.execute(text("SELECT username FROM users")).scalars().all()
    engine.dispose()
    assert (before, after) == ("0001", head_revision(engine))
    assert "login_failures" in tables
    assert users == ["ada"]


def test_upgrading_a_current_database_changes_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    assert upgrade(engine) == (head_revision(engine), head_revision(engine))
    engine.dispose()
