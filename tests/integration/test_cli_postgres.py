"""The command line on PostgreSQL with a password that has percent-encoded characters in
the URL (ConfigParser, under Alembic, reads % as the start of an interpolation)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.integration.command_line import SECRET, command_line
from tests.integration.factories import POSTGRES_URL
from workflows.store.db import make_engine
from workflows.store.schema import alembic_config

MAINTENANCE_DB = os.environ.get("LOCKGATE_TEST_POSTGRES_MAINTENANCE_DB", "test")
PASSWORD = "p@ss%word"  # in a URL: p%40ss%25word


def on_postgres(test: Any) -> Any:
    """Run `test` only when LOCKGATE_TEST_POSTGRES_URL names a PostgreSQL database."""
    skip = pytest.mark.skipif(not POSTGRES_URL, reason="needs LOCKGATE_TEST_POSTGRES_URL")
    return pytest.mark.postgres(skip(test))


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


@on_postgres
def test_init_works_with_a_percent_encoded_password(
    initialised: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKGATE_DATABASE_URL", initialised)

    assert "at revision" in command_line()("init").output
    assert command_line()("project", "list").output.endswith("0 project(s)\n")
