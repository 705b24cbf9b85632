"""Change requests under concurrency: two approvers at once apply the change exactly once, and
two proposals at once leave one open request (committed database, threads racing)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.factories import PASSWORD, read_in, run_in
from tests.integration.test_concurrent_verbs import race, submitted_lite_project, trail_is_intact
from workflows import change_control
from workflows.errors import Conflict, Refused
from workflows.state import load_project
from workflows.store.records import AuditEvent
from workflows.verbs import change_requests as changes
from workflows.verbs import reviews
from workflows.workspace import Workspace

ROUNDS = 3
RAISE = {"budget": "30000"}  # lite: small -> standard


def past_first_gate(workspace: Workspace, key: str) -> None:
    submitted_lite_project(workspace, key)
    run_in(workspace, reviews.sign, "sponsor", key, "go", PASSWORD)
    run_in(workspace, reviews.sign, "pmo", key, "go", PASSWORD)
    run_in(workspace, reviews.decide, "sponsor", key, "go")


def applied_events(workspace: Workspace, key: str) -> int:
    query = select(func.count()).where(
        AuditEvent.project_key == key, AuditEvent.action == "change.applied"
    )
    return int(read_in(workspace, lambda uow: uow.session.execute(query).scalar_one()))


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_the_sponsor_and_the_pmo_approving_at_once_apply_the_change_exactly_once(desks, round_):
    prepare, first, second = desks
    key = f"CHG-{round_}"
    past_first_gate(prepare, key)
    change_id = run_in(prepare, changes.propose_change, "pm", key, RAISE, "Scope").record.id

    outcomes = race(
        [lambda: run_in(first, changes.approve_change, "sponsor", change_id)],
        [lambda: run_in(second, changes.approve_change, "pmo", change_id)],
    )

    assert not any(isinstance(steps[0], Exception) for steps in outcomes), outcomes
    project = read_in(prepare, lambda uow: load_project(uow, key))
    assert (project.tier, project.facts["budget"]) == ("standard", "30000")
    assert applied_events(prepare, key) == 1
    assert trail_is_intact(prepare)


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_two_proposals_at_once_leave_one_open_change_request(desks, round_):
    prepare, first, second = desks
    key = f"TWO-{round_}"
    past_first_gate(prepare, key)

    outcomes = race(
        [lambda: run_in(first, changes.propose_change, "pm", key, RAISE, "Scope")],
        [lambda: run_in(second, changes.propose_change, "pmo", key, {"budget": "40000"}, "More")],
    )

    results = [steps[0] for steps in outcomes]
    assert len([r for r in results if isinstance(r, changes.Proposal)]) == 1, results
    [lost] = [r for r in results if isinstance(r, Refused | Conflict)]
    assert not isinstance(lost, Refused) or lost.refusals[0].rule == "change.request_open"
    opened = read_in(prepare, lambda uow: change_control.open_change(uow, load_project(uow, key)))
    assert opened is not None and opened.proposed_by in {"pm", "pmo"}
    assert trail_is_intact(prepare)
