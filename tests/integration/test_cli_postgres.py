"""The command line on PostgreSQL: a password with percent-encoded characters in the URL, a
server that accepts only reads, and a connection lost in the middle of a command."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from tests.integration.command_line import SECRET, command_line
from tests.integration.factories import POSTGRES_URL
from workflows.store.db import make_engine
from workflows.store.schema import alembic_config
from workflows.workspace import Workspace

MAINTENANCE_DB = os.environ.get("LOCKGATE_TEST_POSTGRES_MAINTENANCE_DB", "test")
PASSWORD = "p@ss%word"  # in a URL: p%40ss%25word


def on_postgres(test: Any) -> Any:
    """Run `test` only when LOCKGATE_TEST_POSTGRES_URL names a PostgreSQL database."""
    skip = pytest.mark.skipif(not POSTGRES_URL, reason="needs LOCKGATE_TEST_POSTGRES_URL")
    return pytest.mark.postgres(skip(test))


ADD_SAM = ("user", "add", "--as", "admin", "sam", "--name", "Sam", "--password", SECRET)


def test_the_alembic_configuration_keeps_a_percent_encoded_password() -> None:
    engine = make_engine("postgresql://someone:p%40ss%25word@db.example/lockgate")

    assert alembic_config(engine).get_main_option("sqlalchemy.url") == (
        "postgresql+psycopg://someone:p%40ss%25word@db.example/lockgate"
    )


@pytest.fixture(scope="module")
def percent_url() -> Iterator[str]:
    """An empty database owned by a role whose password needs percent-encoding in a URL."""
    assert POSTGRES_URL is not None
    base = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"{base.database}_percent"
    server = create_engine(base.set(database=MAINTENANCE_DB), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            _drop(connection, name)
            # DDL takes no parameters: the password is a literal, its % doubled for the driver.
            literal = PASSWORD.replace("%", "%%")
            connection.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD '{literal}'")
            connection.exec_driver_sql(f"CREATE DATABASE {name} OWNER {name}")
        url = base.set(drivername="postgresql", username=name, password=PASSWORD, database=name)
        yield url.render_as_string(hide_password=False)
        with server.connect() as connection:
            _drop(connection, name)
    finally:
        server.dispose()


def _drop(connection: Any, name: str) -> None:
    connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    connection.execute(text(f"DROP ROLE IF EXISTS {name}"))


@pytest.fixture(scope="module")
def initialised(percent_url: str) -> str:
    """The percent-password database after `lockgate init --admin admin`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCKGATE_DATABASE_URL", percent_url)
        created = command_line()("init", "--admin", "admin", "--admin-password", SECRET)
    assert "%40" in percent_url
    assert "created at revision" in created.output
    return percent_url


def users_in(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM users")).scalar_one())
    finally:
        engine.dispose()


@on_postgres
def test_init_works_with_a_percent_encoded_password(
    initialised: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKGATE_DATABASE_URL", initialised)

    assert "at revision" in command_line()("init").output
    assert command_line()("project", "list").output.endswith("0 project(s)\n")


@on_postgres
def test_a_server_that_accepts_only_reads_is_one_line_and_nothing_is_written(
    initialised: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = users_in(initialised)
    read_only = f"{initialised}?options=-c%20default_transaction_read_only%3Don"
    monkeypatch.setenv("LOCKGATE_DATABASE_URL", read_only)

    result = command_line()(*ADD_SAM, code=1)

    assert (result.stdout, result.stderr) == (
        "",
        "error: the database server accepts only reads (a standby, or "
        "default_transaction_read_only), so nothing was changed: point LOCKGATE_DATABASE_URL "
        "at the primary server\n",
    )
    assert users_in(initialised) == before


def cut_before_the_first_insert(engine: Engine, server: Engine) -> None:
    """Make the server end the connection of `engine` just before its first INSERT."""
    cut = []

    @event.listens_for(engine, "before_cursor_execute")
    def _terminate(connection: Any, *args: Any) -> None:
        statement = args[1]
        if cut or not statement.lstrip().upper().startswith("INSERT"):
            return
        cut.append(connection.connection.dbapi_connection.info.backend_pid)
        with server.connect() as killer:
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": cut[0]})


@on_postgres
def test_a_connection_lost_mid_command_is_one_line_and_nothing_is_written(
    initialised: str, tmp_path: Any
) -> None:
    before = users_in(initialised)
    engine, server = make_engine(initialised), make_engine(initialised)
    cut_before_the_first_insert(engine, server)
    workspace = Workspace(engine, tmp_path / "evidence")
    try:
        result = command_line(obj=workspace)(*ADD_SAM, code=1)
    finally:
        workspace.dispose()
        server.dispose()

    assert (result.stdout, result.stderr) == (
        "",
        "error: the connection to the database was lost, so nothing was changed: check that "
        "the database is running, then try again\n",
    )
    assert users_in(initialised) == before
