"""Waiver verbs: one person requests a waiver, another (a waiving role's holder, never the
requester nor the project manager) approves or denies it; an approved waiver may be revoked
and lapses at its expiry. Each change is one audit event; each refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gates.readiness import Status
from tests.integration.factories import actor_of
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.verbs import reviews, users, waivers
from workflows.views import waivers as listings

CASE = "artifact:business_case"  # standard policy, initiation gate: waivable_by [pmo]


@pytest.fixture
def asked(act, new_project, clock):
    """asked() -> a waiver of the business case of ERP-1, requested by its manager."""

    def request(days: int = 30, requester: str = "pm"):
        key = new_project("ERP-1")
        until = clock.now + timedelta(days=days)
        return act(waivers.request_waiver, requester, key, CASE, "Regulatory mandate", until)

    return request


def rules(error: Refused) -> list[str]:
    return [r.rule for r in error.refusals]


# -- request -----------------------------------------------------------------------------------


def test_a_requested_waiver_waives_nothing_until_someone_approves_it(asked, status, events):
    waiver = asked()

    assert (waiver.status, waiver.requested_by, waiver.gate_id) == ("requested", "pm", "initiation")
    assert status("ERP-1").line(CASE).status is Status.MISSING
    event = events()[-1]
    assert (event.action, event.data["requirement"], event.data["waiver"]) == (
        "waiver.requested",
        CASE,
        waiver.id,
    )


@pytest.mark.parametrize(
    ("actor", "requirement", "reasons"),
    [
        ("sponsor", CASE, ["Only the project manager or the PMO may request a waiver. (ERP-1)"]),
        ("pm", "artifact:project_charter",
         ["The policy does not allow this requirement to be waived."]),
    ],
)  # fmt: skip
def test_a_waiver_request_by_someone_who_may_not_submit_or_of_an_unwaivable_requirement_is_refused(
    new_project, refuses, clock, actor, requirement, reasons
):
    key = new_project("ERP-1")
    until = clock.now + timedelta(days=30)

    error = refuses(Refused, waivers.request_waiver, actor, key, requirement, "Because", until)

    assert error.reasons == reasons


def test_a_waiver_request_needs_a_justification_and_a_future_expiry(new_project, refuses, clock):
    key = new_project("ERP-1")

    error = refuses(Refused, waivers.request_waiver, "pm", key, CASE, "", clock.now)

    assert error.reasons == ["A waiver needs a justification.", "The expiry must be in the future."]


@pytest.mark.parametrize(
    ("days", "rule"), [(None, "waive.expiry_required"), (91, "waive.expiry_too_long")]
)
def test_a_waiver_always_expires_within_the_policys_maximum(
    new_project, refuses, clock, days, rule
):
    key = new_project("ERP-1")
    until = None if days is None else clock.now + timedelta(days=days)

    error = refuses(Refused, waivers.request_waiver, "pm", key, CASE, "Why", until)

    assert [(r.rule, r.field) for r in error.refusals] == [(rule, "expires_at")]


def test_requesting_a_waiver_of_an_unknown_requirement_lists_the_gates_requirements(
    new_project, refuses
):
    key = new_project("ERP-1")

    error = refuses(InvalidInput, waivers.request_waiver, "pm", key, "artifact:busines_case", "x")

    assert "artifact:business_case" in error.problems["requirement"]


# -- approve and deny --------------------------------------------------------------------------


def test_an_approved_waiver_waives_the_requirement_and_the_gate_can_be_submitted(
    act, asked, provide_evidence, status, events, head
):
    waiver = asked()
    provide_evidence("ERP-1", skip=("business_case",))
    start = head()

    approved = act(waivers.approve_waiver, "pmo", waiver.id)

    assert (approved.status, approved.granted_by, approved.granted_role) == (
        "approved",
        "pmo",
        "pmo",
    )
    line = status("ERP-1").line(CASE)
    assert line.status is Status.WAIVED
    assert line.reason.startswith("Waived by pmo (pmo) until ")
    [event] = events(after=start)
    assert (event.action, event.data["role"]) == ("waiver.approved", "pmo")
    act(reviews.submit_gate, "pm", "ERP-1")


def test_nobody_approves_a_waiver_they_requested_not_even_the_pmo(asked, refuses, status):
    waiver = asked(requester="pmo")

    error = refuses(Refused, waivers.approve_waiver, "pmo", waiver.id)

    assert rules(error) == ["sod.requester_approves_waiver"]
    assert error.reasons == [
        "Nobody may decide a waiver they requested: another holder of a waiving role must."
    ]
    assert status("ERP-1").line(CASE).status is Status.MISSING


def test_a_project_manager_who_is_also_pmo_may_not_approve_a_waiver_of_their_project(
    act, asked, refuses
):
    waiver = asked(requester="pmo2")
    act(users.grant_role, "admin", "pm", "pmo")

    error = refuses(Refused, waivers.approve_waiver, "pm", waiver.id)

    assert rules(error) == ["sod.manager_waives"]


def test_only_a_waiving_role_approves_a_waiver(asked, refuses):
    waiver = asked()

    error = refuses(Refused, waivers.approve_waiver, "sponsor", waiver.id)

    assert error.reasons == ["Only these roles may waive it: pmo."]


def test_a_denied_waiver_says_why_and_waives_nothing(act, asked, status, events, head):
    waiver = asked()
    start = head()

    denied = act(waivers.deny_waiver, "pmo", waiver.id, "Write the business case")

    assert (denied.status, denied.decided_by, denied.decision_reason) == (
        "denied",
        "pmo",
        "Write the business case",
    )
    assert status("ERP-1").line(CASE).status is Status.MISSING
    assert [e.action for e in events(after=start)] == ["waiver.denied"]


def test_a_denial_needs_a_reason(asked, refuses):
    waiver = asked()

    error = refuses(Refused, waivers.deny_waiver, "pmo", waiver.id, "  ")

    assert error.reasons == ["Say why the waiver is denied."]


def test_a_decided_waiver_is_not_decided_again(act, asked, refuses):
    waiver = asked()
    act(waivers.deny_waiver, "pmo", waiver.id, "No")

    error = refuses(Refused, waivers.approve_waiver, "pmo2", waiver.id)

    assert rules(error) == ["waiver.not_requested"]
    assert error.reasons == [
        "This waiver is denied: only a requested waiver is approved or denied."
    ]


def test_a_request_that_expired_before_approval_cannot_be_approved(asked, refuses, clock):
    waiver = asked(days=1)
    clock.advance(days=2)

    error = refuses(Refused, waivers.approve_waiver, "pmo", waiver.id)

    assert rules(error) == ["waiver.expired"]


def test_deciding_an_unknown_waiver_says_how_to_find_them(new_project, refuses):
    new_project("ERP-1")

    refuses(NotFound, waivers.approve_waiver, "pmo", 999, match="lockgate waiver list")


# -- revoke and expire -------------------------------------------------------------------------


def test_a_revoked_waiver_reinstates_the_requirement(act, asked, status, events, head):
    waiver = asked()
    act(waivers.approve_waiver, "pmo", waiver.id)
    start = head()

    revoked = act(waivers.revoke_waiver, "pmo2", waiver.id, "The mandate was withdrawn")

    assert (revoked.status, revoked.revoked_by, revoked.revoke_reason) == (
        "revoked",
        "pmo2",
        "The mandate was withdrawn",
    )
    assert status("ERP-1").line(CASE).status is Status.MISSING
    assert [e.action for e in events(after=start)] == ["waiver.revoked"]


def test_a_revocation_needs_a_reason_a_waiving_role_and_an_approved_waiver(act, asked, refuses):
    waiver = asked()

    assert rules(refuses(Refused, waivers.revoke_waiver, "pmo", waiver.id, "x")) == [
        "waiver.not_approved"
    ]
    act(waivers.approve_waiver, "pmo", waiver.id)
    assert rules(refuses(Refused, waivers.revoke_waiver, "pmo", waiver.id, " ")) == [
        "waiver.reason_required"
    ]
    error = refuses(Refused, waivers.revoke_waiver, "sponsor", waiver.id, "x")
    assert error.reasons == ["Only these roles may revoke a waiver of it: pmo."]


def test_an_expired_waiver_no_longer_counts(act, asked, status, clock):
    waiver = asked(days=1)
    act(waivers.approve_waiver, "pmo", waiver.id)
    assert status("ERP-1").line(CASE).status is Status.WAIVED

    clock.advance(days=2)

    assert status("ERP-1").line(CASE).status is Status.MISSING


# -- listings ----------------------------------------------------------------------------------


def test_every_projects_waivers_are_the_pmos_to_list(asked, refuses):
    asked()

    error = refuses(Refused, listings.portfolio_waivers, "sponsor")

    assert error.reasons == ["Only the PMO or admins may list every project's waivers."]


def test_an_unknown_status_lists_the_statuses_there_are(asked, refuses):
    asked()

    error = refuses(InvalidInput, listings.portfolio_waivers, "pmo", "pending")

    assert "requested, approved, denied, revoked, expired, no_expiry" in error.problems["status"]


def test_the_project_page_offers_each_reader_what_they_may_do(act, asked, read):
    waiver = asked()

    def offers(who: str) -> tuple[bool, bool]:
        [row] = read(lambda uow: listings.project_waivers(uow, actor_of(uow, who), "ERP-1"))
        return row.may_decide, row.may_revoke

    assert (offers("pm"), offers("pmo")) == ((False, False), (True, False))
    act(waivers.approve_waiver, "pmo", waiver.id)
    assert (offers("pm"), offers("pmo2"), offers("sponsor")) == (
        (False, False),
        (False, True),
        (False, False),
    )
