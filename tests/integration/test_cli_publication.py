"""Four-eyes publication from the command line: propose, list, approve, reject, withdraw."""

from __future__ import annotations

import json

import pytest

from tests.integration.command_line import SECRET, command_line, point_at
from tests.integration.factories import policy_source


@pytest.fixture
def lockgate(tmp_path, monkeypatch):
    point_at(tmp_path / "instance", tmp_path / "keys", monkeypatch)
    monkeypatch.chdir(tmp_path)
    run = command_line()
    run("init", "--admin", "admin", "--admin-password", SECRET)
    for user in ("pmo", "pmo2"):
        run(
            "user",
            "add",
            "--as",
            "admin",
            user,
            "--name",
            user,
            "--role",
            "pmo",
            "--password",
            SECRET,
        )
    return run


@pytest.fixture
def version_two(tmp_path):
    path = tmp_path / "standard-v2.yaml"
    path.write_text(policy_source("standard", 4), encoding="utf-8")
    return str(path)


def test_publish_says_publication_needs_a_proposal_and_a_second_pmo_member(lockgate, version_two):
    result = lockgate("policy", "publish", "--as", "pmo", version_two, code=2)

    assert "Publishing needs a proposal and a second PMO member" in result.output


def test_one_pmo_member_proposes_and_another_approves_and_so_publishes(lockgate, version_two):
    proposed = lockgate("policy", "propose", "--as", "pmo", version_two)
    assert "proposed standard@4 as proposal 1" in proposed.output
    waiting = json.loads(lockgate("policy", "proposals", "--as", "pmo2", "--json").output)
    assert [(p["id"], p["policy"], p["status"]) for p in waiting] == [(1, "standard@4", "proposed")]

    approved = lockgate("policy", "approve", "--as", "pmo2", "1")

    assert "published standard@4" in approved.output
    assert json.loads(lockgate("policy", "proposals", "--as", "pmo", "--json").output) == []


def test_the_proposer_approving_is_refused_in_words(lockgate, version_two):
    lockgate("policy", "propose", "--as", "pmo", version_two)

    result = lockgate("policy", "approve", "--as", "pmo", "1", code=1)

    assert "Nobody may approve the policy version they proposed" in result.output


def test_a_proposal_is_rejected_with_a_reason_or_withdrawn(lockgate, version_two):
    lockgate("policy", "propose", "--as", "pmo", version_two)
    rejected = lockgate("policy", "reject", "--as", "pmo2", "1", "--reason", "not yet")
    assert "rejected proposal 1 (standard@4)" in rejected.output
    lockgate("policy", "propose", "--as", "pmo", version_two)

    withdrawn = lockgate("policy", "withdraw", "--as", "pmo", "2")

    assert "withdrew proposal 2 (standard@4)" in withdrawn.output
