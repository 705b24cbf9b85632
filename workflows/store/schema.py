"""Creating and upgrading the database schema with Alembic (`lockgate init`)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at the shipped migrations and this engine."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("migrations")))
    # Alembic's options go through ConfigParser, which reads % as the start of an
    # interpolation: a percent-encoded password (p%40ss) or a % in a file name is doubled.
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


PENDING_SIGNOFFS = "0005"  # the revision that adds the pending sign-offs (derived rows)
CONDITION_OWNERS = "0009"  # the revision where a condition's owner becomes a user


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema to the newest revision; returns (before, after).

    A database that had open reviews before the pending sign-offs existed gets its rows
    computed here (they are derived from the records, and My approvals reads only them).
    """
    before = current_revision(engine)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    if before is not None and before < PENDING_SIGNOFFS:
        _rebuild_pending(engine)
    if before is not None and before < CONDITION_OWNERS:
        _assign_condition_owners(engine)
    return before, head_revision(engine)


def _assign_condition_owners(engine: Engine) -> None:
    # Conditions recorded before owners were users get one, each with its audit event: the
    # trail is written by the engine's own log, not by a migration's SQL.
    from workflows.verbs.conditions import assign_owners
    from workflows.workspace import Workspace

    workspace = Workspace(engine, Path("unused-evidence"), read_engine=engine)
    with workspace.unit_of_work() as uow:
        assign_owners(uow)
        uow.commit()


def _rebuild_pending(engine: Engine) -> None:
    # Imported here: the store is the lowest layer, and only this one-off step needs the
    # rules above it. No evidence is read, so the evidence folder is never touched.
    from workflows.pending import rebuild_pending
    from workflows.workspace import Workspace

    workspace = Workspace(engine, Path("unused-evidence"), read_engine=engine)
    with workspace.unit_of_work() as uow:
        rebuild_pending(uow)
        uow.commit()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str:
    """The newest revision shipped with this version of Lockgate."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head
