"""Portal test fixtures: a demo portfolio seeded once per session, copied for each test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web.app import create_app
from web.demo import PASSWORD
from workflows.workspace import Workspace


@pytest.fixture
def app(workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("LOCKGATE_INSTANCE", str(tmp_path))
    return create_app({"TESTING": True, "WORKSPACE": workspace, "SECRET_KEY": "test"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Auth:
    """Logs a test client in and out as a demo user."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str, password: str = PASSWORD) -> None:
        page = self.client.get("/login").get_data(as_text=True)
        response = self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_token(page)},
        )
        assert response.status_code == 302, f"login as {username} failed"

    def post(self, url: str, data: dict[str, object], page_url: str | None = None):
        """POST a form with the CSRF token of the page it lives on (`page_url`, default `url`)."""
        page = self.client.get(page_url or url).get_data(as_text=True)
        return self.client.post(url, data={**data, "csrf_token": csrf_token(page)})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)
