"""Decisions that bind: conditions owned by users and closed by them, open conditions holding
the next gate, recycles to an earlier gate, gates passed over, and PMO overrides."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gates.decisions import FollowUp
from tests.integration.factories import policy_source
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import system
from workflows.store.records import FollowUpRecord
from workflows.verbs import conditions, overrides, publishing, reviews


def lite_version(*edits: tuple[str, str], version: int = 3) -> str:
    source = policy_source("lite", version)
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


CUTOVER = "    name: L2 Go-live\n"
CUTOVER_SKIPPED_BELOW_1000 = (CUTOVER, CUTOVER + "    skip_when: project.budget < 1000\n")
CUTOVER_RECYCLES_TO_INITIATION = (CUTOVER, CUTOVER + "    recycle_to: [initiation]\n")
OPEN_CONDITIONS_ALLOWED = ("\nopen_conditions: block ", "\nopen_conditions: allow ")
OVERRIDES_FORBIDDEN = ("\noverrides: allowed ", "\noverrides: forbidden ")


@pytest.fixture
def lite(act):
    """lite(*edits) -> publishes lite@3 with `edits`: new lite projects are pinned to it."""
    return lambda *edits: act(publishing.publish, system(), lite_version(*edits), "lite-v3.yaml")


@pytest.fixture
def conditional_go(act, submit_ready, collect_signatures, clock):
    """conditional_go(key, owner) -> the open condition's id, from a conditional go at the
    project's next gate."""

    def run(key: str, owner: str = "owner", days: int = 14) -> int:
        submit_ready(key)
        collect_signatures(key, decision="conditional_go")
        due = clock.today() + timedelta(days=days)
        condition = FollowUp("Publish the support rota", owner, due)
        act(reviews.decide, "sponsor", key, "conditional_go", "", [condition])
        return condition_of(act, key)

    return run


def condition_of(act, key: str) -> int:
    found = act(conditions.open_conditions, project_id(act, key))
    return found[-1].id


def project_id(act, key: str) -> int:
    from workflows.state import load_project

    return act(lambda uow: load_project(uow, key).id)


def ready_for_decision(submit_ready, collect_signatures, key: str) -> None:
    submit_ready(key)
    collect_signatures(key)


# -- conditions are owned by users ----------------------------------------------------------


def test_a_condition_is_owned_by_the_user_named_by_username_or_printed_name(
    act, read, new_project, conditional_go
):
    key = new_project("OPS-1", "lite")

    condition = conditional_go(key, owner="Bo Owner")

    stored = read(lambda uow: uow.session.get(FollowUpRecord, condition))
    assert (stored.owner, stored.owner_id is not None, stored.done_at) == ("owner", True, None)


def test_a_condition_whose_owner_is_not_a_user_is_refused_and_nothing_changes(
    new_project, submit_ready, collect_signatures, refuses, clock
):
    key = new_project("OPS-1", "lite")
    submit_ready(key)
    collect_signatures(key, decision="conditional_go")
    nobody = [FollowUp("Publish the support rota", "Someone In Ops", clock.today())]

    error = refuses(InvalidInput, reviews.decide, "sponsor", key, "conditional_go", "", nobody)

    assert error.problems == {
        "conditions-0": "'Someone In Ops' is not one active user: give the owner's username"
    }


# -- closing a condition --------------------------------------------------------------------


def test_the_owner_closes_a_condition_with_a_note_and_the_evidence_it_rests_on(
    act, read, new_project, conditional_go, events, head
):
    key = new_project("OPS-1", "lite")
    condition = conditional_go(key)
    start = head()

    closed = act(
        conditions.close_condition, "owner", condition, "Rota published on the intranet",
        evidence="charter",
    )  # fmt: skip

    assert (closed.project_key, closed.gate_id, closed.evidence) == (
        key,
        "initiation",
        "charter@1",
    )
    stored = read(lambda uow: uow.session.get(FollowUpRecord, condition))
    assert (stored.closed_by, stored.close_note) == ("owner", "Rota published on the intranet")
    assert stored.done_at is not None and stored.evidence_id is not None
    [event] = events(after=start)
    assert (event.action, event.actor, event.project) == ("condition.closed", "owner", key)
    assert event.data["note"] == "Rota published on the intranet"
    assert event.data["evidence"] == "charter@1"
    assert act(conditions.open_conditions, project_id(act, key)) == ()


@pytest.mark.parametrize(
    ("closer", "note", "rules"),
    [
        ("sponsor", "Done", ["condition.not_owner"]),
        ("pmo", "Done", ["condition.not_owner"]),
        ("owner", "   ", ["condition.note_required"]),
    ],
)
def test_only_the_owner_closes_a_condition_and_says_what_was_done(
    new_project, conditional_go, refuses, closer, note, rules
):
    key = new_project("OPS-1", "lite")
    condition = conditional_go(key)

    error = refuses(Refused, conditions.close_condition, closer, condition, note)

    assert [r.rule for r in error.refusals] == rules


def test_a_closed_condition_cannot_be_closed_again(act, new_project, conditional_go, refuses):
    key = new_project("OPS-1", "lite")
    condition = conditional_go(key)
    act(conditions.close_condition, "owner", condition, "Rota published")

    error = refuses(Refused, conditions.close_condition, "owner", condition, "Again")

    assert str(error.refusals[0]) == "This condition is already closed."


def test_closing_with_evidence_the_project_does_not_have_is_refused(
    new_project, conditional_go, refuses
):
    key = new_project("OPS-1", "lite")
    condition = conditional_go(key)

    error = refuses(
        InvalidInput, conditions.close_condition, "owner", condition, "Done", evidence="nothing@2"
    )

    assert error.problems == {"evidence": f"{key} has no evidence 'nothing@2': attach it first"}


def test_closing_a_condition_that_does_not_exist_is_an_error(refuses):
    refuses(NotFound, conditions.close_condition, "owner", 999_999, "Done")


# -- open conditions bind the next gate -------------------------------------------------------


def test_an_open_condition_holds_the_next_gates_go_until_its_owner_closes_it(
    act, new_project, conditional_go, submit_ready, collect_signatures, refuses, stage_of, clock
):
    key = new_project("OPS-1", "lite")
    condition = conditional_go(key, days=3)
    ready_for_decision(submit_ready, collect_signatures, key)
    clock.advance(days=5)

    error = refuses(Refused, reviews.decide, "sponsor", key, "go")

    assert [r.rule for r in error.refusals] == ["decide.open_conditions"]
    due = (clock.today() - timedelta(days=2)).isoformat()
    assert str(error.refusals[0]) == (
        f"Condition {condition} of initiation is still open (Publish the support rota; owner "
        f"owner, due {due}, overdue since {due}): its owner closes it first."
    )
    act(conditions.close_condition, "owner", condition, "Rota published")
    act(reviews.decide, "sponsor", key, "go")
    assert stage_of(key) == "closure"


def test_a_policy_may_let_the_next_gate_pass_with_conditions_open(
    act, lite, new_project, conditional_go, submit_ready, collect_signatures, stage_of
):
    lite(OPEN_CONDITIONS_ALLOWED)
    key = new_project("OPS-1", "lite")
    conditional_go(key)
    ready_for_decision(submit_ready, collect_signatures, key)

    act(reviews.decide, "sponsor", key, "go")

    assert stage_of(key) == "closure"


def test_open_conditions_do_not_stop_a_recycle_or_a_hold(
    act, new_project, conditional_go, submit_ready, collect_signatures, stage_of
):
    key = new_project("OPS-1", "lite")
    conditional_go(key)
    ready_for_decision(submit_ready, collect_signatures, key)

    act(reviews.decide, "sponsor", key, "hold", "Waiting for the vendor")

    assert stage_of(key) == "on_hold"


# -- recycle to an earlier gate ---------------------------------------------------------------


def test_a_recycle_goes_back_to_an_earlier_gate_the_policy_allows(
    act, lite, new_project, pass_gate, submit_ready, collect_signatures, stage_of, events, head
):
    lite(CUTOVER_RECYCLES_TO_INITIATION)
    key = new_project("OPS-1", "lite")
    pass_gate(key)
    ready_for_decision(submit_ready, collect_signatures, key)
    start = head()

    decided = act(
        reviews.decide, "sponsor", key, "recycle", "The brief missed the data migration",
        recycle_to="initiation",
    )  # fmt: skip

    assert (decided.old_stage, decided.new_stage, stage_of(key)) == (
        "execution",
        "initiation",
        "initiation",
    )
    [event] = events(after=start)
    assert (event.data["recycle_to"], event.data["new_stage"]) == ("initiation", "initiation")


def test_a_recycle_to_an_earlier_gate_the_policy_does_not_allow_is_refused(
    new_project, pass_gate, submit_ready, collect_signatures, refuses
):
    key = new_project("OPS-1", "lite")
    pass_gate(key)
    ready_for_decision(submit_ready, collect_signatures, key)

    error = refuses(
        Refused, reviews.decide, "sponsor", key, "recycle", "Back to the start",
        recycle_to="initiation",
    )  # fmt: skip

    assert [r.rule for r in error.refusals] == ["decide.recycle_target"]
    assert str(error.refusals[0]) == (
        "A recycle at L2 Go-live may go back to cutover only: the policy allows no recycle "
        "to an earlier gate, not 'initiation'."
    )


def test_a_recycle_without_a_target_reworks_the_same_gate(
    act, new_project, pass_gate, submit_ready, collect_signatures, stage_of
):
    key = new_project("OPS-1", "lite")
    pass_gate(key)
    ready_for_decision(submit_ready, collect_signatures, key)

    act(reviews.decide, "sponsor", key, "recycle", "Rework the checklist")

    assert stage_of(key) == "execution"


# -- gates passed over ----------------------------------------------------------------------


def test_a_gate_whose_skip_condition_holds_is_passed_over_with_no_review(
    act, lite, new_project, pass_gate, stage_of, events, head, read
):
    lite(CUTOVER_SKIPPED_BELOW_1000)
    key = new_project("OPS-1", "lite", budget="500")
    start = head()

    pass_gate(key)

    assert stage_of(key) == "closure"
    skipped = [e for e in events(after=start) if e.action == "gate.skipped"]
    assert [(e.data["gate"], e.data["old_stage"], e.data["new_stage"]) for e in skipped] == [
        ("cutover", "execution", "closure")
    ]
    assert skipped[0].data["reason"] == "L2 Go-live is skipped because budget 500 < 1,000"


def test_a_gate_whose_skip_condition_does_not_hold_waits_for_its_review(
    lite, new_project, pass_gate, stage_of
):
    lite(CUTOVER_SKIPPED_BELOW_1000)
    key = new_project("OPS-1", "lite", budget="5000")

    pass_gate(key)

    assert stage_of(key) == "execution"


# -- PMO overrides --------------------------------------------------------------------------


def submitted_with_sponsor_missing(submit_ready, collect_signatures, key: str) -> None:
    submit_ready(key)
    collect_signatures(key, skip=("sponsor",))


def test_a_pmo_override_needs_a_reason_and_a_second_pmo_member_and_is_flagged(
    act, read, new_project, submit_ready, collect_signatures, stage_of, events, head
):
    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)
    start = head()

    asked = act(overrides.request_override, "pmo", key, "Sponsor on leave; board minute 12")
    assert stage_of(key) == "initiation"
    act(overrides.answer_override, "pmo2", asked.id, True, "Agreed with the board")

    assert stage_of(key) == "execution"
    found = [(e.action, e.actor) for e in events(after=start)]
    assert found == [
        ("override.requested", "pmo"),
        ("review.decided", "pmo2"),
        ("override.confirmed", "pmo2"),
    ]
    flagged = read(lambda uow: [o.state for o in overrides.overrides_of(uow, key)])
    assert flagged == ["confirmed"]
    missing = events(after=start)[0].data["missing"]
    assert missing == ["Project sponsor sign-off required: 0 of 1 signed"]


def test_the_pmo_member_who_asked_for_an_override_cannot_confirm_it(
    act, new_project, submit_ready, collect_signatures, refuses
):
    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)
    asked = act(overrides.request_override, "pmo", key, "Sponsor on leave")

    error = refuses(Refused, overrides.answer_override, "pmo", asked.id, True, "")

    assert [r.rule for r in error.refusals] == ["sod.override_second_member"]


@pytest.mark.parametrize("actor", ["sponsor", "pm", "admin"])
def test_only_the_pmo_asks_for_an_override(
    new_project, submit_ready, collect_signatures, refuses, actor
):
    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)

    error = refuses(Refused, overrides.request_override, actor, key, "Please")

    assert [r.rule for r in error.refusals] == ["role.override"]


def test_an_override_needs_a_reason(new_project, submit_ready, collect_signatures, refuses):
    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)

    error = refuses(Refused, overrides.request_override, "pmo", key, "  ")

    assert [r.rule for r in error.refusals] == ["override.reason_required"]


def test_a_policy_can_forbid_overrides(
    lite, new_project, submit_ready, collect_signatures, refuses
):
    lite(OVERRIDES_FORBIDDEN)
    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)

    error = refuses(Refused, overrides.request_override, "pmo", key, "Sponsor on leave")

    assert [r.rule for r in error.refusals] == ["override.forbidden"]


def test_a_ready_gate_needs_no_override(new_project, submit_ready, collect_signatures, refuses):
    key = new_project("OPS-1", "lite")
    ready_for_decision(submit_ready, collect_signatures, key)

    error = refuses(Refused, overrides.request_override, "pmo", key, "Faster")

    assert [r.rule for r in error.refusals] == ["override.not_needed"]


def test_a_declined_override_leaves_the_gate_waiting(
    act, read, new_project, submit_ready, collect_signatures, stage_of
):
    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)
    asked = act(overrides.request_override, "pmo", key, "Sponsor on leave")

    act(overrides.answer_override, "pmo2", asked.id, False, "Wait for the sponsor")

    assert stage_of(key) == "initiation"
    flagged = read(lambda uow: [o.state for o in overrides.overrides_of(uow, key)])
    assert flagged == ["declined"]


def test_a_declined_override_needs_a_reason(
    act, new_project, submit_ready, collect_signatures, refuses
):
    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)
    asked = act(overrides.request_override, "pmo", key, "Sponsor on leave")

    error = refuses(Refused, overrides.answer_override, "pmo2", asked.id, False, " ")

    assert [r.rule for r in error.refusals] == ["override.answer_required"]


def test_only_one_override_waits_per_review(
    act, new_project, submit_ready, collect_signatures, refuses
):
    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)
    act(overrides.request_override, "pmo", key, "Sponsor on leave")

    error = refuses(Refused, overrides.request_override, "pmo2", key, "Me too")

    assert [r.rule for r in error.refusals] == ["override.already_requested"]


def test_the_pmo_member_who_asked_for_an_override_cannot_decline_it_either(
    act, new_project, submit_ready, collect_signatures, refuses
):
    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)
    asked = act(overrides.request_override, "pmo", key, "Sponsor on leave")

    error = refuses(Refused, overrides.answer_override, "pmo", asked.id, False, "Changed my mind")

    assert [r.rule for r in error.refusals] == ["sod.override_second_member"]
