"""`lockgate delegation`: create, list and revoke delegations from the command line."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.command_line import SECRET, command_line, point_at


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """An instance with an admin, a PMO member and a deputy (built once)."""
    root = tmp_path_factory.mktemp("cli-delegation")
    lockgate = command_line()
    with pytest.MonkeyPatch.context() as patch:
        point_at(root / "instance", root / "keys", patch)
        lockgate("init", "--admin", "admin", "--admin-password", SECRET)
        for username, roles in (("pmo", ("--role", "pmo")), ("deputy", ())):
            lockgate(
                "user", "add", "--as", "admin", username, "--name", username.title(), *roles,
                "--password", SECRET,
            )  # fmt: skip
    return root / "instance"


@pytest.fixture
def lockgate(template, tmp_path, monkeypatch):
    point_at(tmp_path / "instance", tmp_path / "keys", monkeypatch)
    shutil.copytree(template, tmp_path / "instance")
    return command_line()


def in_days(days: int) -> str:
    return f"{datetime.now(UTC) + timedelta(days=days):%Y-%m-%d}"


def test_a_pmo_member_delegates_lists_and_revokes_from_the_command_line(lockgate):
    made = lockgate(
        "delegation", "create", "--as", "pmo", "--to", "deputy", "--role", "pmo",
        "--until", in_days(14), "--budget-limit", "500,000", "--reason", "Leave",
    )  # fmt: skip
    listed = json.loads(lockgate("delegation", "list", "--as", "deputy", "--json").output)
    lockgate("delegation", "revoke", "--as", "pmo", "1", "--reason", "Back early")
    after = json.loads(lockgate("delegation", "list", "--as", "pmo", "--json").output)

    assert "delegation 1: deputy acts as pmo" in made.output
    assert [(d["delegator"], d["role"], d["budget_limit"], d["status"]) for d in listed] == [
        ("pmo", "pmo", "500000.00", "active")
    ]
    assert [(d["status"], d["revoked_by"]) for d in after] == [("revoked", "pmo")]


def test_a_refused_delegation_says_why_and_what_to_do(lockgate):
    result = lockgate(
        "delegation", "create", "--as", "deputy", "--to", "pmo", "--role", "pmo",
        "--until", in_days(400), code=1,
    )  # fmt: skip

    assert "You do not hold the pmo role: you can delegate only your own." in result.output
    assert "A delegation lasts at most 365 days" in result.output


def test_a_malformed_budget_limit_is_a_clear_error(lockgate):
    result = lockgate(
        "delegation", "create", "--as", "pmo", "--to", "deputy", "--role", "pmo",
        "--until", in_days(3), "--budget-limit", "lots", code=1,
    )  # fmt: skip

    assert "'lots' is not an amount: write it as digits, e.g. 500000" in result.output
