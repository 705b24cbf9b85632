"""Advisory and consulted sign-offs, and counts of a role's holders: an advisory objection is
recorded and never blocks a go, a consulted comment is kept, `min: all` waits for every
active holder of the role on the project; every position is on the trail and in the reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.integration.conftest import grant_on_project
from tests.integration.factories import PASSWORD, actor_of, policy_source
from workflows.errors import Refused
from workflows.identity import system
from workflows.state import load_project
from workflows.verbs import audit, publishing, reviews, users
from workflows.verbs.compliance import read_report
from workflows.views.history import replay_project

INITIATION_SIGNOFFS = """\
    signoffs:
      - role: sponsor
      - role: pmo
      - role: finance
        when: project.budget > 250000
"""
WITH_KINDS = """\
    signoffs:
      - role: sponsor
      - role: pmo
      - role: finance
        min: all
        when: project.budget > 250000
      - role: architecture
        kind: advisory
      - role: business_owner
        kind: consulted
        min: 0
"""


@pytest.fixture
def kinds_gate(act, new_project, submit_ready, collect_signatures):
    """ERP-1 under standard v4, whose first gate takes an advisory architecture position, a
    consulted business-owner comment and the finance sign-off of all its holders (finance and
    deputy); submitted, signed by the sponsor and the PMO."""
    source = policy_source("standard", 4)
    assert source.count(INITIATION_SIGNOFFS) == 1
    act(publishing.publish, system(), source.replace(INITIATION_SIGNOFFS, WITH_KINDS),
        "standard-v4.yaml")  # fmt: skip
    key = new_project("ERP-1")
    act(grant_on_project, "admin", "deputy", "finance", key)
    submit_ready(key)
    collect_signatures(key, skip=("finance", "architecture", "business_owner"))
    return key


def sign(act, who: str, key: str, said: str, role: str, comment: str = ""):
    return act(reviews.sign, who, key, said, PASSWORD, role, comment)


def test_an_advisory_objection_does_not_block_and_all_finance_holders_must_sign(
    kinds_gate, act, refuses, stage_of
):
    key = kinds_gate
    objected = sign(act, "architect", key, "object", "architecture", "Duplicates the CRM")
    sign(act, "finance", key, "go", "finance")
    one_of_two = refuses(Refused, reviews.decide, "sponsor", key, "go")
    sign(act, "deputy", key, "go", "finance")

    act(reviews.decide, "sponsor", key, "go")

    assert objected.meaning == "Objected (advisory) as Enterprise architecture"
    assert any(
        "Finance business partner sign-off required" in reason
        and "1 of 2 signed (all of the 2 holding Finance business partner)" in reason
        for reason in one_of_two.reasons
    ), one_of_two.reasons
    assert stage_of(key) == "planning"


def test_each_kind_refuses_what_it_does_not_record(kinds_gate, act, refuses):
    key = kinds_gate

    go_as_advice = refuses(Refused, reviews.sign, "architect", key, "go", PASSWORD, "architecture")
    silent_comment = refuses(
        Refused, reviews.sign, "owner", key, "comment", PASSWORD, "business_owner"
    )
    position_as_finance = refuses(
        Refused, reviews.sign, "finance", key, "support", PASSWORD, "finance"
    )

    assert [r.rule for r in go_as_advice.refusals] == ["sign.position_not_allowed"]
    assert [r.rule for r in silent_comment.refusals] == ["sign.comment_required"]
    assert [r.rule for r in position_as_finance.refusals] == ["sign.decision_not_allowed"]


def test_a_revoked_holder_no_longer_counts_towards_all(kinds_gate, act, stage_of, read):
    key = kinds_gate
    sign(act, "architect", key, "support", "architecture")
    sign(act, "finance", key, "go", "finance")

    def revoke(uow):
        users.revoke_role(uow, actor_of(uow, "admin"), "deputy", "finance", load_project(uow, key))

    act(revoke)
    act(reviews.decide, "sponsor", key, "go")

    assert stage_of(key) == "planning"


def test_positions_are_on_the_trail_in_the_report_and_reconciled(kinds_gate, act, workspace, clock):
    key = kinds_gate
    sign(act, "architect", key, "disagree_but_support", "architecture", "Would rather buy")
    sign(act, "owner", key, "comment", "business_owner", "Training plan is light")
    sign(act, "finance", key, "go", "finance")
    sign(act, "deputy", key, "go", "finance")
    act(reviews.decide, "sponsor", key, "go")

    found = act(read_report, "auditor", "positions", clock.now - timedelta(days=1),
                clock.now + timedelta(days=1))  # fmt: skip
    with workspace.unit_of_work(read_only=True) as uow:
        history = replay_project(uow, key)
        result, mismatches = audit.verify_deep(uow)
    with workspace.unit_of_work() as uow:
        uow.session.execute(
            text(
                "UPDATE signatures SET decision = 'support' WHERE decision = 'disagree_but_support'"
            )
        )
        uow.commit()
    with workspace.unit_of_work(read_only=True) as uow:
        _, tampered = audit.verify_deep(uow)

    assert [(row[3], row[4], row[5], row[6], row[9]) for row in found.rows] == [
        ("architect", "architecture", "disagree_but_support", "Would rather buy", "go"),
        ("owner", "business_owner", "comment", "Training plan is light", "go"),
    ]
    [round_] = history.rounds
    assert ("architect", "disagree_but_support") in [
        (s.signer, s.decision) for s in round_.signatures
    ]
    assert result.ok and mismatches == []
    assert ("signatures", "decision", "disagree_but_support", "support") in [
        (m.table, m.column, m.expected, m.found) for m in tampered
    ]
