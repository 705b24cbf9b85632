"""On SQLite one writer at a time holds the database: checking a password (scrypt, tens of
milliseconds) must never happen while the request holds that lock, or every other user's
change waits behind it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import csrf_token
from tests.web.test_approvals import WAITING_FOR_FINANCE, sign
from web.demo import PASSWORD
from workflows import identity
from workflows.verbs import reviews
from workflows.workspace import Workspace


def write_lock_is_free(workspace: Workspace) -> bool:
    """True when another connection could begin writing right now."""
    database = workspace.engine.url.database
    assert database
    with closing(sqlite3.connect(database, timeout=0, isolation_level=None)) as other:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        other.execute("ROLLBACK")
        return True


def watch_password_checks(
    monkeypatch: pytest.MonkeyPatch, module: Any, workspace: Workspace
) -> list[bool]:
    """Record, at every password check in `module`, whether the write lock was free."""
    seen: list[bool] = []
    real: Callable[[str, str], bool] = module.check_password

    def checked(stored: str, password: str) -> bool:
        seen.append(write_lock_is_free(workspace))
        return real(stored, password)

    monkeypatch.setattr(module, "check_password", checked)
    return seen


def test_a_signature_checks_the_password_without_holding_the_write_lock(
    auth, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.login("finance")
    seen = watch_password_checks(monkeypatch, reviews, workspace)

    response = sign(auth, WAITING_FOR_FINANCE)

    assert response.status_code == 302
    assert seen == [True]


def test_a_wrong_signing_password_is_checked_without_holding_the_write_lock(
    auth, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.login("finance")
    seen = watch_password_checks(monkeypatch, reviews, workspace)

    response = sign(auth, WAITING_FOR_FINANCE, password="not the password")

    assert response.status_code == 400
    assert seen == [True]


@pytest.mark.parametrize("password", [PASSWORD, "not the password"])
def test_a_login_checks_the_password_without_holding_the_write_lock(
    auth, client: FlaskClient, workspace: Workspace, monkeypatch: pytest.MonkeyPatch, password
) -> None:
    seen = watch_password_checks(monkeypatch, identity, workspace)
    page = client.get("/login").get_data(as_text=True)

    client.post(
        "/login",
        data={"username": "finance", "password": password, "csrf_token": csrf_token(page)},
    )

    assert seen == [True]
