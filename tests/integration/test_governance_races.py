"""Races on the rules that bind (issue 9): two approvers completing a quorum at once, an
approval racing an evidence change, and a condition closed while the next gate is decided.
Threads with their own workspaces race on a committed database (PostgreSQL: row locks;
SQLite: BEGIN IMMEDIATE), released together by a barrier."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from gates.decisions import FollowUp
from policies.model import Artifact
from tests.integration.conftest import grant_on_project
from tests.integration.factories import (
    LITE_FACTS,
    PASSWORD,
    actor_of,
    attach_evidence,
    policy_source,
    read_in,
    run_in,
)
from tests.integration.test_concurrent_verbs import race, trail_is_intact
from tests.integration.test_pending_signoffs import expected, stored
from workflows.errors import Conflict, Refused
from workflows.identity import system
from workflows.state import load_project
from workflows.store.records import AuditEvent, FollowUpRecord, Review, SignatureRecord
from workflows.verbs import attach, conditions, projects, publishing, reviews

ROUNDS = 4
TWO_PMO_MEMBERS = ("      - role: pmo\n", "      - role: pmo\n        min: 2\n")


@pytest.fixture(scope="module")
def quorum_policy(desks):
    """lite@2: the initiation gate needs two members of the PMO (a quorum of two)."""
    prepare = desks[0]
    source = policy_source("lite", 3)
    old, new = TWO_PMO_MEMBERS
    assert source.count(old) >= 1
    run_in(prepare, publishing.publish, system(), source.replace(old, new, 1), "lite-v2.yaml")


def submitted(workspace, key: str) -> None:
    run_in(workspace, projects.register_project, "pm", key, key, "lite", LITE_FACTS,
           sponsor="sponsor")  # fmt: skip
    charter = io.BytesIO(f"charter of {key}".encode())
    run_in(workspace, attach.attach_file, "pm", key, "charter", charter, "charter.pdf")
    run_in(workspace, attach.attach_link, "pm", key, "project_plan", f"https://plan.example/{key}")
    run_in(workspace, reviews.submit_gate, "pm", key)


def my_approvals_agree(workspace) -> bool:
    return read_in(workspace, lambda uow: stored(uow, uow.now) == expected(uow, uow.now))


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_two_approvers_completing_a_quorum_at_once_are_both_counted_and_nobody_waits(
    desks, quorum_policy, round_
):
    prepare, first, second = desks
    key = f"QUORUM-{round_}"
    submitted(prepare, key)
    run_in(prepare, reviews.sign, "sponsor", key, "go", PASSWORD)

    outcomes = race(
        [lambda: run_in(first, reviews.sign, "pmo", key, "go", PASSWORD)],
        [lambda: run_in(second, reviews.sign, "pmo2", key, "go", PASSWORD)],
    )

    assert all(isinstance(steps[0], SignatureRecord) for steps in outcomes), outcomes
    status = read_in(prepare, lambda uow: reviews.gate_status(uow, _pmo(uow), key).report)
    assert status.ready_to_decide, status.reasons()
    assert my_approvals_agree(prepare), "a quorum completed at once left someone waiting"
    assert trail_is_intact(prepare)


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_an_approval_racing_an_evidence_change_never_counts_for_evidence_it_did_not_see(
    desks, round_
):
    prepare, first, second = desks
    key = f"EVID-{round_}"
    submitted(prepare, key)
    new_plan = f"https://plan.example/{key}/v2"

    outcomes = race(
        [lambda: run_in(first, reviews.sign, "sponsor", key, "go", PASSWORD)],
        [lambda: run_in(second, attach.attach_link, "pm", key, "project_plan", new_plan)],
    )

    assert not any(isinstance(steps[0], Exception) for steps in outcomes), outcomes

    def counted_on_other_evidence(uow) -> list[int]:
        review = uow.session.execute(
            select(Review).where(Review.project_id == load_project(uow, key).id)
        ).scalar_one()
        return [
            s.id
            for s in review.signatures
            if s.superseded_at is None and s.snapshot_digest != review.snapshot_digest
        ]

    assert read_in(prepare, counted_on_other_evidence) == []
    assert my_approvals_agree(prepare), "My approvals missed the evidence change"
    assert trail_is_intact(prepare)


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_a_condition_closed_while_the_next_gate_is_decided_never_lets_a_go_pass_it_open(
    desks, round_
):
    prepare, first, second = desks
    key = f"COND-{round_}"
    submitted(prepare, key)
    run_in(prepare, reviews.sign, "sponsor", key, "conditional_go", PASSWORD, None, "One")
    run_in(prepare, reviews.sign, "pmo", key, "go", PASSWORD)
    pmo2_signs_too = read_in(prepare, lambda uow: _needs_second_pmo(uow, key))
    if pmo2_signs_too:
        run_in(prepare, reviews.sign, "pmo2", key, "go", PASSWORD)
    due = read_in(prepare, lambda uow: uow.now.date() + timedelta(days=30))
    condition = [FollowUp("Publish the support rota", "owner", due)]
    run_in(prepare, reviews.decide, "sponsor", key, "conditional_go", "", condition)
    condition_id = read_in(prepare, lambda uow: _open_condition(uow, key))
    _ready_for_cutover(prepare, key)

    outcomes = race(
        [lambda: run_in(first, conditions.close_condition, "owner", condition_id, "Done")],
        [lambda: run_in(second, reviews.decide, "sponsor", key, "go")],
    )

    closing, deciding = outcomes[0][0], outcomes[1][0]
    assert not isinstance(closing, Exception), closing
    closed_at = read_in(prepare, lambda uow: uow.session.get(FollowUpRecord, condition_id).done_at)
    assert closed_at is not None
    if isinstance(deciding, reviews.Decided):
        # The trail's order is the order of commits: the close came before the go.
        order = read_in(prepare, lambda uow: _order_of(uow, key))
        assert order[-2:] == ["condition.closed", "review.decided"], order
    else:
        assert isinstance(deciding, Refused | Conflict), deciding
        assert [r.rule for r in getattr(deciding, "refusals", [])] in (
            [],
            ["decide.open_conditions"],
        )
    assert trail_is_intact(prepare)


def _pmo(uow):
    return actor_of(uow, "pmo")


def _needs_second_pmo(uow, key: str) -> bool:
    report = reviews.gate_status(uow, _pmo(uow), key).report
    return not report.ready_to_decide


def _order_of(uow, key: str) -> list[str]:
    query = (
        select(AuditEvent.action)
        .where(
            AuditEvent.project_key == key,
            AuditEvent.action.in_(("condition.closed", "review.decided")),
        )
        .order_by(AuditEvent.seq)
    )
    return list(uow.session.execute(query).scalars())


def _open_condition(uow, key: str) -> int:
    return conditions.open_conditions(uow, load_project(uow, key).id)[0].id


def _ready_for_cutover(workspace, key: str) -> None:
    """The cutover gate's evidence attached, submitted and signed: ready for its go."""
    from tests.integration.factories import actor_of

    def provide(uow):
        report = reviews.gate_status(uow, actor_of(uow, "pm"), key).report
        for line in report.lines:
            if isinstance(line.requirement, Artifact) and not line.status.ok:
                attach_evidence(uow, "pm", key, line.requirement, uow.now.date())
        uow.commit()

    with workspace.unit_of_work() as uow:
        provide(uow)
    run_in(workspace, grant_on_project, "admin", "owner", "business_owner", key)
    run_in(workspace, reviews.submit_gate, "pm", key)
    run_in(workspace, reviews.sign, "owner", key, "go", PASSWORD)
