"""`lockgate waiver ...`: request, approve, deny, revoke and list waivers from the command line,
each as an authenticated user."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.command_line import SECRET, command_line, point_at
from tests.integration.factories import STANDARD_FACTS

CASE = "artifact:business_case"


@pytest.fixture
def lockgate(tmp_path, monkeypatch):
    """An instance with a standard project ERP-1 managed by pm, and two PMO members."""
    point_at(tmp_path / "instance", tmp_path / "keys", monkeypatch)
    monkeypatch.chdir(tmp_path)
    run = command_line()
    run("init", "--admin", "admin", "--admin-password", SECRET)
    for user, role in [
        ("pm", "project_manager"),
        ("sponsor", None),
        ("pmo", "pmo"),
        ("pia", "pmo"),
    ]:
        roles = ["--role", role] if role else []
        run(
            "user",
            "add",
            "--as",
            "admin",
            user,
            "--name",
            user.title(),
            *roles,
            "--password",
            SECRET,
        )
    facts = [
        part for name, value in STANDARD_FACTS.items() for part in ("--fact", f"{name}={value}")
    ]
    run("project", "register", "--as", "pm", "ERP-1", "ERP", "--policy", "standard", *facts,
        "--sponsor", "sponsor")  # fmt: skip
    return run


def expiry(days: int = 30) -> str:
    return f"{datetime.now(UTC) + timedelta(days=days):%Y-%m-%d}"


def request(lockgate, days: int = 30) -> int:
    why = "Regulatory mandate"
    result = lockgate("waiver", "request", "--as", "pm", "ERP-1", CASE,
                      "--justification", why, "--expires", expiry(days))  # fmt: skip
    assert "a waiving role must approve it" in result.output
    return int(result.output.split("requested waiver ")[1].split(":")[0])


def test_a_waiver_is_requested_by_the_manager_and_approved_by_the_pmo(lockgate):
    waiver = request(lockgate)

    approved = lockgate("waiver", "approve", "--as", "pmo", str(waiver))

    assert f"approved waiver {waiver} as pmo: {CASE} at initiation" in approved.output
    assert "WAIVED" in lockgate("gate", "status", "--as", "pm", "ERP-1").output
    [row] = [json.loads(line) for line in lockgate(
        "waiver", "list", "--as", "pm", "ERP-1", "--json").output.splitlines()]  # fmt: skip
    assert (row["status"], row["requested_by"], row["decided_by"]) == ("approved", "pm", "pmo")


def test_approving_ones_own_request_exits_1_with_the_rule_in_words(lockgate):
    result = lockgate("waiver", "request", "--as", "pmo", "ERP-1", CASE,
                      "--justification", "Mandate", "--expires", expiry())  # fmt: skip
    waiver = result.output.split("requested waiver ")[1].split(":")[0]

    refused = lockgate("waiver", "approve", "--as", "pmo", waiver, code=1)

    assert "Nobody may decide a waiver they requested" in refused.output


def test_a_request_past_the_policys_maximum_exits_1_saying_which_date_to_choose(lockgate):
    refused = lockgate("waiver", "request", "--as", "pm", "ERP-1", CASE,
                       "--justification", "Mandate", "--expires", expiry(200), code=1)  # fmt: skip

    assert "A waiver lasts at most 90 days under this policy" in refused.output


def test_denied_and_revoked_waivers_are_listed_by_status(lockgate):
    denied, revoked = request(lockgate), request(lockgate)
    lockgate("waiver", "deny", "--as", "pmo", str(denied), "--reason", "Write it")
    lockgate("waiver", "approve", "--as", "pmo", str(revoked))
    lockgate("waiver", "revoke", "--as", "pia", str(revoked), "--reason", "Mandate withdrawn")

    listed = lockgate("waiver", "list", "--as", "pmo", "--status", "denied").output

    assert "denied" in listed and "revoked" not in listed
    assert "revoked" in lockgate("waiver", "list", "--as", "pmo", "--status", "revoked").output


def test_waivers_granted_before_expiries_were_required_are_listed_for_review(lockgate, tmp_path):
    old, recent = request(lockgate), request(lockgate)
    for waiver in (old, recent):
        lockgate("waiver", "approve", "--as", "pmo", str(waiver))
    with sqlite3.connect(tmp_path / "instance" / "lockgate.sqlite") as database:
        database.execute("UPDATE waivers SET expires_at = NULL WHERE id = ?", (old,))

    listed = lockgate("waiver", "list", "--as", "pmo", "--no-expiry", "--json").output

    assert [json.loads(line)["id"] for line in listed.splitlines()] == [old]
