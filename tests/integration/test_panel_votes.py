"""A gate whose go needs a panel's vote: each member of the panel votes once a round, a go is
refused until enough of them voted for it, and every vote is on the trail and in the record."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.conftest import grant_on_project
from tests.integration.factories import policy_source
from workflows.errors import Refused
from workflows.identity import system
from workflows.verbs import audit, publishing, reviews
from workflows.views.history import replay_project

PANEL = ("deputy", "outsider", "owner")


@pytest.fixture
def voted_gate(act, new_project, submit_ready, collect_signatures):
    """ERP-1 under standard v3, whose first gate's go needs a majority of its gatekeepers
    (deputy, outsider, owner), submitted and signed."""
    source = (
        policy_source("standard", 4)
        .replace("roles:\n", "roles:\n  gatekeeper:\n    title: Gatekeeper\n", 1)
        .replace(
            "  - id: initiation\n",
            "  - id: initiation\n    vote: {panel: gatekeeper, needs: majority}\n",
            1,
        )
    )
    act(publishing.publish, system(), source, "standard-v3.yaml")
    key = new_project("ERP-1")
    for member in PANEL:
        act(grant_on_project, "admin", member, "gatekeeper", key)
    submit_ready(key)
    collect_signatures(key)
    return key


def test_a_go_waits_for_a_majority_of_the_panel_and_then_passes(voted_gate, act, refuses, stage_of):
    key = voted_gate
    none_yet = refuses(Refused, reviews.decide, "sponsor", key, "go")
    act(reviews.vote, "deputy", key, "go", "The case is sound")
    act(reviews.vote, "outsider", key, "recycle", "Costs are thin")
    one_of_three = refuses(Refused, reviews.decide, "sponsor", key, "go")
    act(reviews.vote, "owner", key, "go")

    act(reviews.decide, "sponsor", key, "go")

    assert [r.rule for r in none_yet.refusals] == ["decide.vote"]
    assert one_of_three.reasons == [
        "A go at G1 Initiation approval needs 2 of the 3 members of the Gatekeeper panel to "
        "vote for it; 1 did."
    ]
    assert stage_of(key) == "planning"


def test_stopping_a_project_needs_no_vote(voted_gate, act, stage_of):
    act(reviews.decide, "sponsor", voted_gate, "recycle", "Rework the business case")

    assert stage_of(voted_gate) == "initiation"


def test_only_the_panel_votes_once_a_round_and_never_on_what_they_submitted(
    voted_gate, act, refuses
):
    key = voted_gate
    act(reviews.vote, "deputy", key, "go")

    outsider_of_the_panel = refuses(Refused, reviews.vote, "finance", key, "go")
    twice = refuses(Refused, reviews.vote, "deputy", key, "kill", "Changed my mind")
    act(grant_on_project, "admin", "pm", "gatekeeper", key)
    own_project = refuses(Refused, reviews.vote, "pm", key, "go")

    assert [r.rule for r in outsider_of_the_panel.refusals] == ["role.vote"]
    assert [r.rule for r in twice.refusals] == ["vote.once_per_round"]
    assert "sod.manager_decides" in [r.rule for r in own_project.refusals]


def test_votes_are_on_the_trail_in_the_projects_history_and_reconciled(voted_gate, act, workspace):
    key = voted_gate
    act(reviews.vote, "deputy", key, "go", "Sound")
    act(reviews.vote, "owner", key, "hold", "Wait for the vendor")

    with workspace.unit_of_work(read_only=True) as uow:
        history = replay_project(uow, key)
        result, mismatches = audit.verify_deep(uow)
    with workspace.unit_of_work() as uow:
        uow.session.execute(text("UPDATE votes SET decision = 'go' WHERE decision = 'hold'"))
        uow.commit()
    with workspace.unit_of_work(read_only=True) as uow:
        _, tampered = audit.verify_deep(uow)

    [round_] = history.rounds
    assert [(v.voter, v.decision, v.comment) for v in round_.votes] == [
        ("deputy", "go", "Sound"),
        ("owner", "hold", "Wait for the vendor"),
    ]
    assert result.ok and mismatches == []
    assert [(m.table, m.column, m.expected, m.found) for m in tampered] == [
        ("votes", "decision", "hold", "go")
    ]


def test_the_votes_report_lists_every_vote_cast_in_the_period(voted_gate, act, clock):
    from datetime import timedelta

    from workflows.verbs.compliance import read_report

    act(reviews.vote, "deputy", voted_gate, "go", "Sound")
    act(reviews.vote, "owner", voted_gate, "kill", "No market")

    found = act(read_report, "auditor", "votes", clock.now - timedelta(days=1),
                clock.now + timedelta(days=1))  # fmt: skip

    assert [(row[2], row[4], row[7], row[8]) for row in found.rows] == [
        ("deputy", "ERP-1", "go", "Sound"),
        ("owner", "ERP-1", "kill", "No market"),
    ]
