"""Change control on facts: after the first gate, lowering a project's obligations is never one
person's edit (issue #9, item 4)."""

from __future__ import annotations

import pytest

from tests.integration.factories import policy_source
from workflows import change_control
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import system
from workflows.state import load_project, policy_of
from workflows.verbs import change_requests as changes
from workflows.verbs import projects, publishing, reviews

CUT = {"budget": "40000", "regulated": "false"}


@pytest.fixture
def major_past_first_gate(new_project, pass_gate, stage_of):
    """ERP-1: a regulated 400,000 project (tier major) that has passed its first gate."""
    key = new_project("ERP-1", budget="400000", regulated="true", duration_months="6")
    pass_gate(key)
    assert stage_of(key) == "planning"
    return key


def tier_of(read, key):
    return read(lambda uow: load_project(uow, key).tier)


def test_cutting_a_major_projects_budget_after_its_first_gate_is_refused_as_a_direct_edit(
    major_past_first_gate, refuses, read
):
    key = major_past_first_gate

    error = refuses(Refused, projects.update_facts, "pm", key, CUT, "Scope cut")

    [refusal] = error.refusals
    assert refusal.rule == "change.needs_request"
    assert "the tier moves from major to small" in refusal.text
    assert "Business case" not in refusal.text, "only gates still ahead are compared"
    assert "Validation plan (G2 Baseline approval) would no longer be required" in refusal.text
    assert f"lockgate project change {key} --set budget=40000 --set regulated=false" in (
        refusal.text
    )
    assert tier_of(read, key) == "major"


def test_the_change_is_proposed_approved_by_sponsor_and_pmo_and_only_then_applied(
    major_past_first_gate, act, refuses, read, events, head
):
    key = major_past_first_gate
    start = head()

    proposal = act(changes.propose_change, "pm", key, CUT, "Phase 2 moved to a new project")

    assert (proposal.impact.old_tier, proposal.impact.new_tier) == ("major", "small")
    assert proposal.impact.needs_request
    change_id = proposal.record.id
    error = refuses(Refused, changes.approve_change, "pm", change_id)
    assert [r.rule for r in error.refusals] == [
        "role.approve_change",
        "sod.proposer_approves_change",
        "sod.manager_approves_change",
    ]
    act(changes.approve_change, "sponsor", change_id)
    assert tier_of(read, key) == "major", "one approval is not enough"
    act(changes.approve_change, "pmo", change_id)

    assert tier_of(read, key) == "small"
    facts = read(lambda uow: dict(load_project(uow, key).facts))
    assert (facts["budget"], facts["regulated"]) == ("40000", False)
    actions = [e.action for e in events(after=start)]
    assert actions == [
        "change.proposed",
        "action.refused",
        "change.approved",
        "change.approved",
        "change.applied",
    ]
    applied = events(after=start)[-1]
    assert (applied.data["old_tier"], applied.data["new_tier"]) == ("major", "small")
    assert applied.data["approvals"] == {"sponsor": "sponsor", "pmo": "pmo"}


def test_before_the_first_gate_facts_still_change_directly(new_project, act, read):
    key = new_project("ERP-1", budget="400000", regulated="true", duration_months="6")

    act(projects.update_facts, "pm", key, CUT, "Re-estimated")

    assert tier_of(read, key) == "small"


def test_a_change_with_no_effect_on_tier_or_requirements_still_applies_directly(
    major_past_first_gate, act, read
):
    key = major_past_first_gate

    act(projects.update_facts, "pm", key, {"business_unit": "Group IT"}, "Reorganised")

    assert read(lambda uow: load_project(uow, key).facts["business_unit"]) == "Group IT"


def test_a_change_request_needs_a_reason(major_past_first_gate, refuses):
    error = refuses(Refused, changes.propose_change, "pm", major_past_first_gate, CUT, "  ")

    assert error.reasons == ["A change request needs a reason: say why the facts change."]


def test_only_the_project_manager_or_the_pmo_may_propose_a_change(major_past_first_gate, refuses):
    error = refuses(Refused, changes.propose_change, "sponsor", major_past_first_gate, CUT, "x")

    assert error.reasons == [
        "Only the project manager or the PMO may propose a change request. (ERP-1)"
    ]


def test_a_project_has_one_open_change_request_at_a_time(major_past_first_gate, act, refuses):
    key = major_past_first_gate
    first = act(changes.propose_change, "pm", key, CUT, "Cut").record

    error = refuses(Refused, changes.propose_change, "pm", key, {"budget": "30000"}, "Cut more")

    assert [r.rule for r in error.refusals] == ["change.request_open"]
    assert f"open change request ({first.id})" in error.reasons[0]
    error = refuses(Refused, projects.update_facts, "pm", key, {"business_unit": "IT"})
    assert [r.rule for r in error.refusals] == ["change.request_open"]


def test_each_approver_role_approves_once_and_nobody_approves_twice(
    major_past_first_gate, act, refuses
):
    change_id = act(changes.propose_change, "pm", major_past_first_gate, CUT, "Cut").record.id
    act(changes.approve_change, "pmo", change_id)

    again = refuses(Refused, changes.approve_change, "pmo2", change_id)
    twice = refuses(Refused, changes.approve_change, "pmo", change_id)

    assert again.reasons == [f"The PMO has already approved change request {change_id}."]
    assert "sod.approves_change_twice" in [r.rule for r in twice.refusals]


def test_the_pmo_who_proposed_a_change_may_not_approve_it(major_past_first_gate, act, refuses):
    change_id = act(changes.propose_change, "pmo", major_past_first_gate, CUT, "Cut").record.id

    error = refuses(Refused, changes.approve_change, "pmo", change_id)

    assert error.reasons == ["Nobody may approve a change they proposed."]


def test_a_rejected_change_changes_no_fact_and_closes(
    major_past_first_gate, act, refuses, read, events, head
):
    key = major_past_first_gate
    change_id = act(changes.propose_change, "pm", key, CUT, "Cut").record.id
    refuses(Refused, changes.reject_change, "sponsor", change_id, "", match="give a reason")
    start = head()

    act(changes.reject_change, "sponsor", change_id, "The regulator still audits it")

    assert tier_of(read, key) == "major"
    [event] = events(after=start)
    assert (event.action, event.data["reason"]) == (
        "change.rejected",
        "The regulator still audits it",
    )
    error = refuses(Refused, changes.approve_change, "pmo", change_id)
    assert error.reasons == [f"Change request {change_id} is rejected: it is closed."]


def test_only_the_proposer_withdraws_a_change(major_past_first_gate, act, refuses, events, head):
    change_id = act(changes.propose_change, "pm", major_past_first_gate, CUT, "Cut").record.id

    error = refuses(Refused, changes.withdraw_change, "sponsor", change_id)
    start = head()
    act(changes.withdraw_change, "pm", change_id, "Not now")

    assert error.reasons == [f"Only pm, who proposed it, may withdraw change request {change_id}."]
    assert [e.action for e in events(after=start)] == ["change.withdrawn"]


def test_the_proposer_withdraws_rather_than_rejects(major_past_first_gate, act, refuses):
    change_id = act(changes.propose_change, "pmo", major_past_first_gate, CUT, "Cut").record.id

    error = refuses(Refused, changes.reject_change, "pmo", change_id, "changed my mind")

    assert error.reasons == ["Nobody rejects a change they proposed: withdraw it instead."]


def test_an_unknown_change_request_is_not_found(refuses):
    refuses(NotFound, changes.approve_change, "sponsor", 999999)


def test_a_bad_fact_value_in_a_proposal_is_refused_naming_it(major_past_first_gate, refuses):
    error = refuses(
        InvalidInput, changes.propose_change, "pm", major_past_first_gate, {"budget": "-1"}, "x"
    )

    assert set(error.problems) == {"budget"}


# -- money thresholds: measured from the baseline ----------------------------------------------


def without_change_control(source: str) -> str:
    """The library policy without the change_control section it states (the defaults), for
    a test that writes its own."""
    start = source.index("\nchange_control:")
    end = source.index("\n", source.index("approvers:", start))
    return source[:start] + source[end:]


TEN_PERCENT = """
change_control:
  money: {budget: 10%}
triggers:
  - on: change_approved
    review: planning
"""


@pytest.fixture
def large_under_ten_percent(act, new_project, pass_gate):
    """ERP-2: a 1,200,000 project (major) under a policy whose budget may move 10%."""
    source = without_change_control(policy_source("standard", 4)) + TEN_PERCENT
    act(publishing.publish, system(), source, "standard-v3.yaml")
    key = new_project("ERP-2", budget="1200000")
    pass_gate(key)
    return key


def test_a_budget_move_within_the_threshold_applies_directly(large_under_ten_percent, act, read):
    act(projects.update_facts, "pm", large_under_ten_percent, {"budget": "1100000"}, "Savings")

    assert read(lambda uow: load_project(uow, "ERP-2").facts["budget"]) == "1100000"


def test_small_edits_cannot_walk_past_the_money_threshold(large_under_ten_percent, act, refuses):
    key = large_under_ten_percent
    act(projects.update_facts, "pm", key, {"budget": "1100000"}, "Savings")

    error = refuses(Refused, projects.update_facts, "pm", key, {"budget": "1050000"}, "More")

    [refusal] = error.refusals
    assert refusal.rule == "change.needs_request"
    assert "budget 1,200,000 -> 1,050,000 moves 12.5% from its baseline" in refusal.text


def test_an_applied_change_becomes_the_new_baseline_and_names_its_rebaseline_review(
    large_under_ten_percent, act, events, head
):
    key = large_under_ten_percent
    change_id = act(changes.propose_change, "pm", key, {"budget": "1500000"}, "Phase 2").record.id
    act(changes.approve_change, "sponsor", change_id)
    start = head()
    act(changes.approve_change, "pmo", change_id)

    act(projects.update_facts, "pm", key, {"budget": "1600000"}, "Within 10% of 1,500,000")

    applied = [e for e in events(after=start) if e.action == "change.applied"]
    assert applied[0].data["rebaseline"] == ["planning"]


def test_after_an_applied_change_the_triggered_re_baseline_review_is_due(
    large_under_ten_percent, act, read
):
    key = large_under_ten_percent
    due = read(lambda uow: _due(uow, key))
    change_id = act(changes.propose_change, "pm", key, {"budget": "1500000"}, "Phase 2").record.id
    act(changes.approve_change, "sponsor", change_id)
    act(changes.approve_change, "pmo", change_id)

    assert due == ()
    assert read(lambda uow: _due(uow, key)) == ("planning",)


def _due(uow, key):
    project = load_project(uow, key)
    return change_control.rebaseline_due(uow, project, policy_of(uow, project))


# -- a triggered re-baseline review must pass before the next gate --------------------------------

REBASELINE_INITIATION = """
change_control:
  money: {budget: 10%}
triggers:
  - on: change_approved
    review: initiation
"""


@pytest.fixture
def rebaseline_owed(act, new_project, pass_gate):
    """ERP-3 past its first gate, whose approved budget change asks for initiation again."""
    source = without_change_control(policy_source("standard", 4)) + REBASELINE_INITIATION
    act(publishing.publish, system(), source, "standard-v2.yaml")
    key = new_project("ERP-3", budget="1200000")
    pass_gate(key)
    change_id = act(changes.propose_change, "pm", key, {"budget": "1500000"}, "Phase 2").record.id
    act(changes.approve_change, "sponsor", change_id)
    act(changes.approve_change, "pmo", change_id)
    return key


def test_the_next_gate_cannot_be_submitted_while_a_re_baseline_review_is_owed(
    rebaseline_owed, provide_evidence, refuses
):
    provide_evidence(rebaseline_owed)

    error = refuses(Refused, reviews.submit_gate, "pm", rebaseline_owed)

    [refusal] = error.refusals
    assert refusal.rule == "change.rebaseline_owed"
    assert "re-baseline review of G1 Initiation approval" in refusal.text
    assert "`--gate initiation`" in refusal.text


def test_a_re_baseline_review_is_held_without_moving_the_project_then_the_next_gate_opens(
    rebaseline_owed, act, read, collect_signatures, provide_evidence, stage_of, events, head
):
    key = rebaseline_owed
    review = act(reviews.submit_gate, "pm", key, "initiation")
    collect_signatures(key)
    start = head()

    decided = act(reviews.decide, "sponsor", key, "go")

    assert (review.gate_id, review.round) == ("initiation", 2)
    assert (decided.old_stage, decided.new_stage, stage_of(key)) == ("planning",) * 3
    assert [e.action for e in events(after=start)] == ["review.decided"]
    assert read(lambda uow: _due(uow, key)) == ()
    provide_evidence(key)
    assert act(reviews.submit_gate, "pm", key).gate_id == "planning"
