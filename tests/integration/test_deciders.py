"""Who decides a gate is the gate's own: a policy's `decided_by` names the roles (a board, a
treasury above a delegated limit), and only they may record the decision."""

from __future__ import annotations

import pytest

from tests.integration.factories import policy_source
from workflows.errors import Refused
from workflows.identity import system
from workflows.verbs import publishing, reviews

ABOVE_THE_LIMIT = """  - id: initiation
    decided_by:
      - role: finance
        when: project.budget > 1000000.0
      - role: sponsor
        when: project.budget <= 1000000.0
"""


@pytest.fixture
def delegated_limit(act):
    """Standard v3: its first gate is decided by finance above 1,000,000, else the sponsor."""
    source = policy_source("standard", 4).replace("  - id: initiation\n", ABOVE_THE_LIMIT, 1)
    act(publishing.publish, system(), source, "standard-v3.yaml")


def test_above_the_delegated_limit_finance_decides_and_the_sponsor_is_refused(
    delegated_limit, act, new_project, submit_ready, collect_signatures, refuses, stage_of
):
    key = new_project("ERP-1", budget="2500000")
    submit_ready(key)
    collect_signatures(key)

    error = refuses(Refused, reviews.decide, "sponsor", key, "go")
    act(reviews.decide, "finance", key, "go")

    [refusal] = error.refusals
    assert refusal.rule == "role.decide"
    assert refusal.text.startswith("Only the Finance") and "(ERP-1)" in refusal.text
    assert stage_of(key) == "planning"


def test_within_the_limit_the_sponsor_decides_and_finance_is_refused(
    delegated_limit, act, new_project, submit_ready, collect_signatures, refuses, stage_of
):
    key = new_project("ERP-2", budget="400000")
    submit_ready(key)
    collect_signatures(key)

    error = refuses(Refused, reviews.decide, "finance", key, "go")
    act(reviews.decide, "sponsor", key, "go")

    assert [r.rule for r in error.refusals] == ["role.decide"]
    assert stage_of(key) == "planning"


def test_a_reader_with_no_part_in_the_project_learns_nothing_of_its_review(
    delegated_limit, new_project, refuses
):
    key = new_project("ERP-3", budget="400000")

    error = refuses(Refused, reviews.decide, "pm2", key, "go")

    assert [r.rule for r in error.refusals] == ["role.read"]


def test_a_gate_capped_at_two_rounds_cannot_be_recycled_a_second_time(
    act, new_project, submit_ready, refuses, stage_of
):
    source = policy_source("standard", 4).replace(
        "  - id: initiation\n", "  - id: initiation\n    max_rounds: 2\n", 1
    )
    act(publishing.publish, system(), source, "standard-v3.yaml")
    key = new_project("ERP-4")
    submit_ready(key)
    act(reviews.decide, "sponsor", key, "recycle", "Rework the business case")
    submit_ready(key)

    error = refuses(Refused, reviews.decide, "sponsor", key, "recycle", "Again")
    act(reviews.decide, "sponsor", key, "hold", "Wait for the budget round")

    assert [r.rule for r in error.refusals] == ["decide.max_rounds"]
    assert stage_of(key) == "on_hold"
