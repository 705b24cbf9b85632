"""Migration 0026 (programmes) adds a column to `projects` in place: the triggers that keep the
portfolio counts stay, on the way up and on the way down."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from workflows.store.db import make_engine
from workflows.store.schema import alembic_config, upgrade

COUNTING = {"projects_counted_in", "projects_counted_moved", "projects_counted_out"}


def triggers_on_projects(engine) -> set[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'projects'"
    with engine.connect() as connection:
        return set(connection.execute(text(query)).scalars())


def test_the_portfolio_counts_triggers_survive_the_programmes_migration(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    at_head = triggers_on_projects(engine)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0023")
    downgraded = triggers_on_projects(engine)
    engine.dispose()

    assert at_head >= COUNTING
    assert downgraded >= COUNTING
