"""When the database or the disk fails under a page: an error page in words with its HTTP status
(503 unavailable, 507 full, 500 read-only), no traceback, and nothing of the action saved."""

from __future__ import annotations

import socket
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select
from werkzeug.test import TestResponse

from tests.web.conftest import Auth, csrf_token
from web.app import create_app
from workflows.store.records import AuditEvent, Project
from workflows.workspace import Workspace

REGISTRATION = {
    "policy": "lite",
    "key": "NEW-1",
    "name": "Archive platform",
    "manager": "pm.lee",
    "sponsor": "sponsor.ali",
    "facts-budget": "20000",
    "facts-risk": "low",
    "register": "x",
}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def register(auth: Auth) -> TestResponse:
    return auth.post("/projects/new", REGISTRATION, page_url="/projects/new?policy=lite")


def on_every_new_connection(workspace: Workspace, pragma: str) -> None:
    """From now on, run `pragma` on each connection the writing engine opens."""

    @event.listens_for(workspace.engine, "connect")
    def _apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        (pages,) = cursor.execute("PRAGMA page_count").fetchone()
        cursor.execute(pragma.format(pages=pages))
        cursor.close()

    workspace.engine.dispose()  # the pooled connections were opened before


def nothing_registered(workspace: Workspace) -> bool:
    with workspace.unit_of_work(read_only=True) as uow:
        project = uow.session.execute(select(Project.id).where(Project.key == "NEW-1")).first()
        events = uow.session.execute(
            select(AuditEvent.seq).where(AuditEvent.project_key == "NEW-1")
        ).all()
    return project is None and events == []


def test_an_unreachable_database_is_a_503_page_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKGATE_INSTANCE", str(tmp_path))
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/lockgate"
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url})
    client = app.test_client()
    page = text_of(client.get("/login"))

    response = client.post(
        "/login",
        data={"username": "pm.lee", "password": "x", "csrf_token": csrf_token(page)},
    )

    html = text_of(response)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "<h1>Database unavailable</h1>" in html
    assert "The database cannot be reached, so nothing was changed." in html
    assert "Traceback" not in html
    assert url not in html


def test_a_read_only_database_is_a_500_page_in_words_and_saves_nothing(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")
    on_every_new_connection(workspace, "PRAGMA query_only = ON")

    response = register(auth)

    html = text_of(response)
    assert response.status_code == 500
    assert "<h1>Storage read-only</h1>" in html
    assert "The database is read-only, so nothing was changed." in html
    assert "Traceback" not in html
    assert nothing_registered(workspace)


def test_a_full_disk_is_a_507_page_in_words_and_saves_nothing(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")
    # A database at its size limit fails as a full disk does. Rebuilt with the smallest pages
    # (512 bytes), the audit event of a registration needs pages of its own.
    database = workspace.engine.url.database
    assert database is not None
    workspace.dispose()
    with closing(sqlite3.connect(database, isolation_level=None)) as connection:
        for pragma in ("journal_mode = DELETE", "page_size = 512", "journal_mode = WAL"):
            connection.execute(f"PRAGMA {pragma}")
            if pragma.startswith("page_size"):
                connection.execute("VACUUM")
    on_every_new_connection(workspace, "PRAGMA max_page_count = {pages}")

    response = register(auth)

    html = text_of(response)
    assert response.status_code == 507
    assert "<h1>Storage full</h1>" in html
    assert "The disk holding the database is full, so nothing was changed." in html
    assert nothing_registered(workspace)
