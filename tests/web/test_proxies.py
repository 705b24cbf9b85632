"""Behind a reverse proxy: LOCKGATE_TRUSTED_PROXIES says how many X-Forwarded-For entries
to believe, so login throttling counts each real client, and nobody can forge an address."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.web.conftest import csrf_token
from web.app import create_app
from web.demo import PASSWORD
from workflows.identity import MAX_PER_ADDRESS
from workflows.store.records import LoginFailure
from workflows.workspace import Workspace

TOO_MANY = "Too many failed attempts"


@pytest.fixture
def portal(workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """portal(trusted) -> the portal app; trusted=None leaves LOCKGATE_TRUSTED_PROXIES unset."""
    monkeypatch.setenv("LOCKGATE_INSTANCE", str(tmp_path))
    monkeypatch.delenv("LOCKGATE_TRUSTED_PROXIES", raising=False)

    def make(trusted: str | None) -> Flask:
        if trusted is not None:
            monkeypatch.setenv("LOCKGATE_TRUSTED_PROXIES", trusted)
        return create_app({"TESTING": True, "WORKSPACE": workspace, "SECRET_KEY": "test"})

    return make


def log_in(client: FlaskClient, username: str, password: str, forwarded: str | None) -> str:
    """Post the login form (through a proxy that says `forwarded`); returns what came back."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    page = client.get("/login", headers=headers).get_data(as_text=True)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
        headers=headers,
    )
    return "logged in" if response.status_code == 302 else response.get_data(as_text=True)


def fail_from(client: FlaskClient, forwarded: str | list[str], times: int = MAX_PER_ADDRESS):
    """`times` wrong guesses, each for another unknown user (so no account is throttled)."""
    for attempt in range(times):
        address = forwarded[attempt] if isinstance(forwarded, list) else forwarded
        assert "not correct" in log_in(client, f"guess{attempt}", "wrong", address)


def failure_addresses(workspace: Workspace) -> set[str]:
    with workspace.unit_of_work(read_only=True) as uow:
        return set(uow.session.execute(select(LoginFailure.address)).scalars())


def test_with_one_trusted_proxy_two_clients_are_throttled_separately(portal, workspace):
    app = portal("1")
    mallory, grace = app.test_client(), app.test_client()

    fail_from(mallory, "203.0.113.7")

    assert TOO_MANY in log_in(mallory, "finance", PASSWORD, "203.0.113.7")
    assert log_in(grace, "finance", PASSWORD, "198.51.100.9") == "logged in"
    assert failure_addresses(workspace) == {"203.0.113.7"}


def test_through_a_trusted_proxy_only_the_address_it_appended_counts(portal, workspace):
    client = portal("1").test_client()

    fail_from(client, [f"10.9.9.{n}, 203.0.113.7" for n in range(MAX_PER_ADDRESS)])

    assert TOO_MANY in log_in(client, "finance", PASSWORD, "10.0.0.1, 203.0.113.7")
    assert failure_addresses(workspace) == {"203.0.113.7"}


def test_with_no_trusted_proxy_a_forged_x_forwarded_for_is_ignored(portal, workspace):
    client = portal(None).test_client()  # the default: 0, trust no header

    fail_from(client, [f"198.51.100.{n}" for n in range(MAX_PER_ADDRESS)])

    assert TOO_MANY in log_in(client, "finance", PASSWORD, "192.0.2.200")
    assert failure_addresses(workspace) == {"127.0.0.1"}


def test_zero_trusted_proxies_is_the_same_as_none(portal, workspace):
    client = portal("0").test_client()

    assert "not correct" in log_in(client, "guess", "wrong", "198.51.100.1")

    assert failure_addresses(workspace) == {"127.0.0.1"}


@pytest.mark.parametrize("setting", ["-1", "one", "1.5", "2 proxies", "\u0662"])
def test_a_setting_that_is_not_a_whole_number_stops_the_portal_from_starting(portal, setting):
    with pytest.raises(ValueError, match=r"LOCKGATE_TRUSTED_PROXIES=.* is not a number of proxies"):
        portal(setting)
