"""Review verbs: submit a gate, sign, decide, withdraw (waivers: test_waiver_verbs.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gates.decisions import FollowUp
from gates.readiness import Status
from tests.integration.conftest import grant_on_project
from tests.integration.factories import PASSWORD, actor_of
from workflows.errors import AuthenticationFailed, InvalidInput, NotFound, Refused
from workflows.state import load_project
from workflows.store.records import FollowUpRecord, Review, SignatureRecord
from workflows.verbs import projects, reviews, users

# -- submit ------------------------------------------------------------------------------------


def test_submitting_freezes_the_evidence_and_facts_the_signers_will_sign(
    act, new_project, provide_evidence, events, head, clock
):
    key = new_project("ERP-1")
    provide_evidence(key)
    start = head()

    review = act(reviews.submit_gate, "pm", key)

    assert (review.gate_id, review.round, review.state, review.submitted_by) == (
        "initiation",
        1,
        "submitted",
        "pm",
    )
    assert review.due_at == review.submitted_at + timedelta(days=10)
    assert review.snapshot["facts"]["budget"] == "400000"
    assert set(review.snapshot["artifacts"]) == {
        "project_charter",
        "business_case",
        "budget_authorization",
    }
    [event] = events(after=start)
    assert event.action == "review.submitted"
    assert event.data["snapshot_digest"] == review.snapshot_digest
    assert event.data["snapshot"] == review.snapshot


def test_submitting_with_evidence_missing_is_refused_listing_every_missing_item(
    new_project, provide_evidence, refuses
):
    key = new_project("ERP-1", business_unit="")
    provide_evidence(key, skip=("business_case", "budget_authorization"))

    error = refuses(Refused, reviews.submit_gate, "pm", key)

    assert error.action == "submit G1 Initiation approval"
    assert [r.split(" (")[0].split(":")[0] for r in error.reasons] == [
        "Business case is missing",
        "Budget authorization",
        "The owning business unit is recorded",
    ]
    assert "Budget authorization (AFE) is missing" in error.reasons[1]
    assert "not met" in error.reasons[2]
    assert not any("sign-off" in r for r in error.reasons), "sign-offs come after submission"


def test_submitting_another_gate_than_the_next_is_refused(new_project, submit_ready, refuses):
    key = new_project("ERP-1")

    error = refuses(Refused, reviews.submit_gate, "pm", key, "planning")

    assert error.reasons == [
        "ERP-1 is in 'initiation': the next gate is G1 Initiation approval (initiation), "
        "not planning."
    ]


def test_submitting_an_unknown_gate_names_the_gates_there_are(new_project, refuses):
    key = new_project("ERP-1")

    refuses(
        NotFound,
        reviews.submit_gate,
        "pm",
        key,
        "initiaton",
        match=r"no gate 'initiaton' \(its gates: initiation, planning, execution, cutover, clo",
    )


def test_submitting_a_gate_already_submitted_is_refused(new_project, submit_ready, refuses):
    key = new_project("ERP-1")
    submit_ready(key)

    refuses(Refused, reviews.submit_gate, "pm", key, match="already submitted and waiting")


@pytest.mark.parametrize("actor", ["sponsor", "finance", "pm2"])
def test_only_the_project_manager_or_the_pmo_may_submit(
    new_project, provide_evidence, refuses, actor
):
    key = new_project("ERP-1")
    provide_evidence(key)

    refuses(Refused, reviews.submit_gate, actor, key, match="Only the project manager or the PMO")


# -- sign --------------------------------------------------------------------------------------

SPONSOR_COMPLETE = "Project sponsor sign-off is complete: it needs no more signatures."


def test_a_signature_records_who_signed_what_as_which_role_bound_to_the_snapshot(
    act, new_project, submit_ready, status, events, head
):
    key = new_project("ERP-1")
    review = submit_ready(key)
    start = head()

    signature = act(reviews.sign, "sponsor", key, "go", PASSWORD)

    assert (signature.printed_name, signature.role, signature.meaning, signature.decision) == (
        "Sam Sponsor",
        "sponsor",
        "Approved as Project sponsor",
        "go",
    )
    assert signature.snapshot_digest == review.snapshot_digest
    assert signature.on_behalf_of_id is None
    [event] = events(after=start)
    assert (event.action, event.actor) == ("review.signed", "sponsor")
    assert event.data["meaning"] == "Approved as Project sponsor"
    assert event.data["snapshot_digest"] == review.snapshot_digest
    assert event.data["signature"] == signature.id
    assert status(key).line("signoff:sponsor").status is Status.SATISFIED


def test_a_wrong_password_is_refused_audited_and_counted(
    act, read, new_project, submit_ready, events, head
):
    key = new_project("ERP-1")
    submit_ready(key)
    start = head()

    with pytest.raises(AuthenticationFailed, match="the signature was not recorded"):
        act(reviews.sign, "sponsor", key, "go", "not my password")

    [event] = events(after=start)
    assert (event.action, event.actor, event.project) == (
        "signature.reauthentication_failed",
        "sponsor",
        key,
    )
    assert event.data == {"attempts": 1, "locked": False}
    assert read(lambda uow: users.find_user(uow, "sponsor").failed_sign_attempts) == 1
    assert read(lambda uow: uow.session.execute(select(SignatureRecord.id)).all()) == []


def test_five_wrong_passwords_lock_signing_for_fifteen_minutes(
    act, read, new_project, submit_ready, clock
):
    key = new_project("ERP-1")
    submit_ready(key)
    for attempt in range(1, 6):
        with pytest.raises(AuthenticationFailed) as failed:
            act(reviews.sign, "sponsor", key, "go", f"guess {attempt}")
    assert "Signing is now locked for 15 minutes" in str(failed.value)

    with pytest.raises(Refused, match="Signing is locked until"):
        act(reviews.sign, "sponsor", key, "go", PASSWORD)

    clock.advance(minutes=16)
    act(reviews.sign, "sponsor", key, "go", PASSWORD)
    assert read(lambda uow: users.find_user(uow, "sponsor").failed_sign_attempts) == 0


def test_a_disabled_user_cannot_sign_even_with_the_right_password(act, new_project, submit_ready):
    key = new_project("ERP-1")
    submit_ready(key)
    act(users.set_active, "admin", "sponsor", False)

    with pytest.raises(AuthenticationFailed):
        act(reviews.sign, "sponsor", key, "go", PASSWORD)


def test_the_project_manager_may_not_approve_their_own_project(
    act, new_project, provide_evidence, refuses
):
    key = new_project("ERP-1")
    act(grant_on_project, "admin", "pm", "finance", key)
    provide_evidence(key, actor="pmo")
    act(reviews.submit_gate, "pmo2", key)

    error = refuses(Refused, reviews.sign, "pm", key, "go", PASSWORD, role="finance")

    assert error.reasons == ["The project manager may not approve their own project's gate."]


def test_nobody_may_approve_a_gate_they_submitted(act, new_project, provide_evidence, refuses):
    key = new_project("ERP-1")
    provide_evidence(key)
    act(reviews.submit_gate, "pmo", key)

    error = refuses(Refused, reviews.sign, "pmo", key, "go", PASSWORD, role="pmo")

    assert error.reasons == ["Nobody may approve a gate they submitted."]
    act(reviews.sign, "pmo2", key, "go", PASSWORD, role="pmo")


def test_one_person_signs_once_per_review_round(act, new_project, submit_ready, refuses):
    key = new_project("ERP-1")
    submit_ready(key)
    act(reviews.sign, "sponsor", key, "go", PASSWORD)

    error = refuses(Refused, reviews.sign, "sponsor", key, "go", PASSWORD, role="sponsor")

    assert error.reasons == ["sponsor has already signed this review round.", SPONSOR_COMPLETE]


def test_a_person_holding_two_needed_roles_still_signs_once_per_round(
    act, new_project, submit_ready, refuses
):
    key = new_project("ERP-1")
    act(
        lambda uow: users.grant_role(
            uow, actor_of(uow, "admin"), "finance", "sponsor", load_project(uow, key)
        )
    )
    submit_ready(key)
    refuses(Refused, reviews.sign, "finance", key, "go", PASSWORD, match="several roles")
    act(reviews.sign, "finance", key, "go", PASSWORD, role="finance")

    error = refuses(Refused, reviews.sign, "finance", key, "go", PASSWORD, role="sponsor")

    assert error.reasons == ["finance has already signed this review round."]


@pytest.mark.parametrize("decision", ["recycle", "hold", "kill", "conditional_go"])
def test_anything_but_a_plain_go_needs_a_comment(new_project, submit_ready, refuses, decision):
    key = new_project("ERP-1")
    submit_ready(key)

    error = refuses(Refused, reviews.sign, "sponsor", key, decision, PASSWORD, comment=" ")

    assert error.reasons == [f"A '{decision.replace('_', ' ')}' needs a comment saying why."]


def test_a_signature_against_the_project_records_the_objection(
    act, new_project, submit_ready, status
):
    key = new_project("ERP-1")
    submit_ready(key)

    act(reviews.sign, "finance", key, "recycle", PASSWORD, comment="AFE amount is wrong")

    line = status(key).line("signoff:finance")
    assert line.status is Status.MISSING
    assert "finance decided recycle" in line.reason


def test_someone_holding_no_needed_role_cannot_sign(new_project, submit_ready, refuses):
    key = new_project("ERP-1")
    submit_ready(key)

    error = refuses(Refused, reviews.sign, "owner", key, "go", PASSWORD)

    assert error.reasons == [
        "You hold none of the sign-off roles G1 Initiation approval still needs."
    ]


def test_a_sign_off_the_project_does_not_need_is_refused(new_project, submit_ready, refuses):
    key = new_project("ERP-1", budget="100000")
    submit_ready(key)

    error = refuses(Refused, reviews.sign, "finance", key, "go", PASSWORD, role="finance")

    assert error.reasons == ["Finance business partner sign-off is not needed for this project."]


def test_nothing_can_be_signed_before_the_gate_is_submitted(new_project, refuses):
    key = new_project("ERP-1")

    refuses(Refused, reviews.sign, "sponsor", key, "go", PASSWORD, match="no submitted review")


def test_a_delegate_signs_on_behalf_of_the_sponsor_and_the_signature_says_so(
    act, new_project, submit_ready, status, events, head, clock
):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now, clock.now + timedelta(days=7))
    submit_ready(key)
    start = head()

    signature = act(reviews.sign, "deputy", key, "go", PASSWORD)

    assert (signature.printed_name, signature.role) == ("Dana Deputy", "sponsor")
    assert signature.meaning == "Approved as Project sponsor on behalf of Sam Sponsor"
    [event] = events(after=start)
    assert (event.actor, event.data["on_behalf_of"]) == ("deputy", "sponsor")
    assert status(key).line("signoff:sponsor").status is Status.SATISFIED


def test_the_sponsor_cannot_sign_again_once_their_delegate_has(
    act, new_project, submit_ready, refuses, clock
):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now, clock.now + timedelta(days=7))
    submit_ready(key)
    act(reviews.sign, "deputy", key, "go", PASSWORD)

    error = refuses(Refused, reviews.sign, "sponsor", key, "go", PASSWORD, role="sponsor")

    # The words say "signed" although it was the delegate who signed with this authority.
    assert error.reasons == ["sponsor has already signed this review round.", SPONSOR_COMPLETE]


def test_an_expired_delegation_gives_no_authority(act, new_project, submit_ready, refuses, clock):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now, clock.now + timedelta(days=1))
    submit_ready(key)
    clock.advance(days=2)

    refuses(Refused, reviews.sign, "deputy", key, "go", PASSWORD, match="You hold none")


def test_nobody_delegates_a_role_they_do_not_hold(new_project, refuses, clock):
    key = new_project("ERP-1")
    until = clock.now + timedelta(days=7)

    error = refuses(Refused, delegate_on, "owner", "deputy", "sponsor", key, clock.now, until)

    assert error.reasons == [
        "You do not hold the sponsor role on ERP-1: you can delegate only your own."
    ]


def test_a_sequential_chain_is_signed_in_order(act, new_project, pass_gate, submit_ready, refuses):
    key = new_project("ERP-1")
    for _ in range(3):
        pass_gate(key)
    submit_ready(key)

    error = refuses(Refused, reviews.sign, "sponsor", key, "go", PASSWORD, role="sponsor")
    assert error.reasons == [
        "IT operations signs first (order 1).",
        "Business owner signs first (order 2).",
    ]
    act(reviews.sign, "ops", key, "go", PASSWORD)
    act(reviews.sign, "owner", key, "go", PASSWORD)
    act(reviews.sign, "sponsor", key, "go", PASSWORD, role="sponsor")


# -- decide ------------------------------------------------------------------------------------


def test_go_is_refused_while_sign_offs_are_missing(
    act, new_project, submit_ready, refuses, stage_of
):
    key = new_project("ERP-1")
    submit_ready(key)
    act(reviews.sign, "sponsor", key, "go", PASSWORD)

    error = refuses(Refused, reviews.decide, "sponsor", key, "go")

    assert error.reasons == [
        "PMO sign-off required: 0 of 1 signed",
        "Finance business partner sign-off required because budget 400,000 > 250,000 "
        "(tier: large): 0 of 1 signed",
    ]
    assert stage_of(key) == "initiation"


def test_go_moves_the_project_to_the_next_stage(
    act, read, new_project, submit_ready, collect_signatures, stage_of, events, head
):
    key = new_project("ERP-1")
    submit_ready(key)
    collect_signatures(key)
    start = head()

    review = act(reviews.decide, "pmo", key, "go").review

    assert (review.state, review.decision, review.decided_by) == ("decided", "go", "pmo")
    assert stage_of(key) == "planning"
    [event] = events(after=start)
    assert (event.action, event.data["old_stage"], event.data["new_stage"]) == (
        "review.decided",
        "initiation",
        "planning",
    )


def test_a_conditional_go_moves_the_project_and_records_its_follow_ups_owned_by_users(
    act, read, new_project, submit_ready, collect_signatures, stage_of, events, head, clock
):
    key = new_project("ERP-1")
    submit_ready(key)
    collect_signatures(key, decision="conditional_go")
    due = clock.today() + timedelta(days=14)
    start = head()

    conditions = [FollowUp("Re-baseline the AFE", "Fay Finance", due)]

    review = act(reviews.decide, "sponsor", key, "conditional_go", "", conditions).review

    assert stage_of(key) == "planning"
    follow_ups = read(
        lambda uow: [
            (f.id, f.action, f.owner, f.due, f.done_at)
            for f in uow.session.execute(
                select(FollowUpRecord).where(FollowUpRecord.review_id == review.id)
            ).scalars()
        ]
    )
    [(number, *condition)] = follow_ups
    assert condition == ["Re-baseline the AFE", "finance", due, None]
    [event] = events(after=start)
    assert event.data["follow_ups"] == [
        {
            "condition": number,
            "action": "Re-baseline the AFE",
            "owner": "finance",
            "due": due.isoformat(),
        }
    ], "the event numbers each condition as its row is numbered"


@pytest.mark.parametrize(
    ("decision", "follow_ups", "reason"),
    [
        ("conditional_go", [], "needs at least one condition"),
        ("conditional_go", [FollowUp("Fix", "Fay", "past")], "in the past"),
        ("conditional_go", [FollowUp(" ", "Fay", "future")], "needs an action and an owner"),
        ("go", [FollowUp("Fix", "Fay", "future")], "A plain go has no conditions"),
    ],
)
def test_conditions_of_a_go_are_checked(
    new_project, submit_ready, collect_signatures, refuses, clock, decision, follow_ups, reason
):
    key = new_project("ERP-1")
    submit_ready(key)
    collect_signatures(key)
    shift = {"past": -1, "future": 7}
    given = [
        FollowUp(f.action, f.owner, clock.today() + timedelta(days=shift[f.due]))
        for f in follow_ups
    ]

    refuses(Refused, reviews.decide, "sponsor", key, decision, "", given, match=reason)


def test_recycle_keeps_the_stage_and_a_new_round_can_be_submitted(
    act, new_project, submit_ready, collect_signatures, stage_of, status
):
    key = new_project("ERP-1")
    submit_ready(key)
    collect_signatures(key)

    act(reviews.decide, "sponsor", key, "recycle", "Benefits are not quantified")

    assert stage_of(key) == "initiation"
    second = act(reviews.submit_gate, "pm", key)
    assert second.round == 2
    assert not status(key).line("signoff:sponsor").status.ok, "round 1 signatures do not carry"


@pytest.mark.parametrize("decision", ["recycle", "hold", "kill"])
def test_recycle_hold_and_kill_need_a_reason(new_project, submit_ready, refuses, decision):
    key = new_project("ERP-1")
    submit_ready(key)

    error = refuses(Refused, reviews.decide, "sponsor", key, decision, " ")

    assert error.reasons == [f"A '{decision}' decision needs a reason."]


def test_a_hold_decision_parks_the_project_and_resume_brings_it_back(
    act, new_project, submit_ready, stage_of
):
    key = new_project("ERP-1")
    submit_ready(key)

    act(reviews.decide, "sponsor", key, "hold", "Waiting for the board")
    assert stage_of(key) == "on_hold"
    act(projects.resume, "sponsor", key, "The board agreed")

    assert stage_of(key) == "initiation"
    assert act(reviews.submit_gate, "pm", key).round == 2


def test_a_kill_decision_ends_the_project_for_good(
    act, new_project, submit_ready, stage_of, refuses
):
    key = new_project("ERP-1")
    submit_ready(key)

    act(reviews.decide, "sponsor", key, "kill", "No longer strategic")

    assert stage_of(key) == "killed"
    refuses(Refused, projects.resume, "sponsor", key, "Oops", match="not on hold")
    refuses(Refused, projects.hold, "sponsor", key, "Pause", match="killed")
    refuses(Refused, reviews.submit_gate, "pm", key, match="no gate follows")


@pytest.mark.parametrize("actor", ["pm", "finance", "auditor"])
def test_only_the_sponsor_or_the_pmo_may_decide(new_project, submit_ready, refuses, actor):
    key = new_project("ERP-1")
    submit_ready(key)

    refuses(Refused, reviews.decide, actor, key, "kill", "x", match="Only the sponsor or the PMO")


def test_an_unknown_decision_is_invalid_input(new_project, submit_ready, refuses):
    key = new_project("ERP-1")
    submit_ready(key)

    error = refuses(InvalidInput, reviews.decide, "sponsor", key, "approve")

    assert error.problems == {"decision": "use one of go, conditional_go, recycle, hold, kill"}


def test_nothing_can_be_decided_before_the_gate_is_submitted(new_project, refuses):
    key = new_project("ERP-1")

    refuses(Refused, reviews.decide, "sponsor", key, "go", match="no submitted review")


@pytest.mark.parametrize("move", [projects.hold, projects.kill], ids=["hold", "kill"])
def test_a_go_on_a_project_held_or_killed_meanwhile_is_refused_and_changes_nothing(
    act, new_project, submit_ready, collect_signatures, refuses, move
):
    key = new_project("ERP-1")
    submit_ready(key)
    collect_signatures(key)
    act(move, "sponsor", key, "Budget freeze")

    refuses(Refused, reviews.decide, "sponsor", key, "go")


def test_a_killed_project_has_no_review_left_to_sign(act, new_project, submit_ready, refuses):
    key = new_project("ERP-1")
    submit_ready(key)
    act(projects.kill, "sponsor", key, "No longer strategic")

    refuses(Refused, reviews.sign, "finance", key, "go", PASSWORD)


def test_evidence_older_than_its_limit_is_stale_and_blocks_submission(
    act, new_project, pass_gate, provide_evidence, refuses, status, clock
):
    key = new_project("ERP-1")
    pass_gate(key)
    pass_gate(key)
    clock.advance(days=91)
    provide_evidence(key, skip=("risk_register",))

    line = status(key).line("artifact:risk_register")
    error = refuses(Refused, reviews.submit_gate, "pm", key)

    assert line.status is Status.STALE
    assert line.reason.startswith("Risk register with mitigations is stale: v1 attached ")
    assert line.reason.endswith(" is 91 days old (limit 90)")
    assert error.reasons == [line.reason]
    provide_evidence(key)
    assert act(reviews.submit_gate, "pm", key).gate_id == "execution"


def test_signing_as_a_role_one_does_not_hold_is_refused(new_project, submit_ready, refuses):
    key = new_project("ERP-1")
    submit_ready(key)

    error = refuses(Refused, reviews.sign, "owner", key, "go", PASSWORD, role="finance")

    assert error.reasons == ["owner does not hold the Finance business partner role here."]


def test_the_closure_gate_allows_no_conditional_go(
    act, new_project, pass_gate, submit_ready, collect_signatures, refuses, stage_of
):
    key = new_project("ERP-1")
    for _ in range(4):
        pass_gate(key)
    submit_ready(key)
    refuses(
        Refused,
        reviews.sign,
        "owner",
        key,
        "conditional_go",
        PASSWORD,
        comment="Later",
        match="'conditional go' is not allowed at this gate",
    )
    collect_signatures(key)
    later = [FollowUp("Archive the mailbox", "Pat", date.max)]

    error = refuses(Refused, reviews.decide, "sponsor", key, "conditional_go", "", later)

    assert error.reasons == [
        "'conditional go' is not allowed at G5 Project closure (go, recycle, hold)."
    ]
    act(reviews.decide, "sponsor", key, "go")
    assert stage_of(key) == "closed"


# -- withdraw ----------------------------------------------------------------------------------


def test_a_withdrawn_review_can_be_submitted_again_as_a_new_round(
    act, read, new_project, submit_ready, events, head
):
    key = new_project("ERP-1")
    first = submit_ready(key)
    start = head()

    act(reviews.withdraw, "pm", key, "Wrong charter attached")

    state = read(lambda uow: uow.session.get(Review, first.id).state)
    assert state == "withdrawn"
    [event] = events(after=start)
    assert (event.action, event.data["reason"]) == ("review.withdrawn", "Wrong charter attached")
    assert act(reviews.submit_gate, "pm", key).round == 2


def test_withdrawing_needs_a_reason(new_project, submit_ready, refuses):
    key = new_project("ERP-1")
    submit_ready(key)

    refuses(Refused, reviews.withdraw, "pm", key, "", match="Say why the review is withdrawn")


def test_withdrawing_with_no_open_review_is_refused(new_project, refuses):
    key = new_project("ERP-1")

    refuses(Refused, reviews.withdraw, "pm", key, "x", match="nothing to withdraw")


def test_the_sponsor_cannot_withdraw_the_managers_submission(new_project, submit_ready, refuses):
    key = new_project("ERP-1")
    submit_ready(key)

    refuses(Refused, reviews.withdraw, "sponsor", key, "x", match="Only the project manager")


def delegate_on(uow, actor, delegate, role, key, starts_at, ends_at):
    """users.delegate for one project, by key."""
    return users.delegate(
        uow,
        actor_of(uow, actor),
        delegate,
        role,
        starts_at,
        ends_at,
        load_project(uow, key),
        "On leave",
    )
