"""Database engines: the embedded SQLite default and PostgreSQL, configured for the audit chain."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

DEFAULT_INSTANCE = "instance"


def instance_path() -> Path:
    """The folder holding the SQLite database, evidence files and keys (LOCKGATE_INSTANCE)."""
    return Path(os.environ.get("LOCKGATE_INSTANCE", DEFAULT_INSTANCE)).resolve()


def database_url() -> URL:
    """LOCKGATE_DATABASE_URL, or a SQLite file in the instance folder."""
    url = os.environ.get("LOCKGATE_DATABASE_URL")
    if url:
        return make_url(url)
    # Built, not formatted, and kept as a URL (never rendered and parsed again): a ?, # or %
    # in the folder's name is part of the path.
    return URL.create("sqlite", database=str(instance_path() / "lockgate.sqlite"))


def make_engine(url: str | URL | None = None, *, read_only: bool = False, **options: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and BEGIN IMMEDIATE transactions.

    A `read_only` SQLite engine begins deferred transactions and refuses writes, so pages
    that only read never wait for (or hold) the write lock.
    """
    parsed = make_url(url) if isinstance(url, str) else url or database_url()
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, _sqlite_file(parsed), read_only, **options)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, **options)


def _sqlite_file(url: URL) -> Path | None:
    """The SQLite database file of `url`: None in memory; a `file:` URI's path."""
    database = url.database
    if not database or database == ":memory:":
        return None
    if url.query.get("uri") == "true" and database.startswith("file:"):
        return Path(database.removeprefix("file:"))
    return Path(database)


def _sqlite_engine(url: URL, database: Path | None, read_only: bool, **options: Any) -> Engine:
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **options)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    # A writing transaction takes the write lock up front: appends to the audit chain are
    # serialized, and two verbs never both read a stale row and then both write. This is
    # SQLAlchemy's documented recipe for pysqlite: the driver begins nothing (isolation_level
    # None, above) and the "begin" event sends the BEGIN.
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def is_postgres(engine: Engine) -> bool:
    """True when the engine talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"
