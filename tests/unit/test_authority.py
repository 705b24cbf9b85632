"""Authority in one place: what a person may do on a project and its review, and why not.

One table per kind of question; each row names the rule id and the input field of the
refusal it expects, so a rule removed from gates.authority (or its neighbours) fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import pytest

from gates import authority as rights
from gates.authority import Permission, authority
from gates.decisions import FollowUp
from gates.model import Delegated, Person, Profile, Signature, Waiver
from gates.pending import part_of, pending_signoffs
from gates.refusals import Refusal
from gates.signoffs import Part, ReviewRound, SignOption
from policies import Decision, Policy
from tests.unit.gate_fixtures import (
    NOW,
    TODAY,
    evidence,
    facts_for,
    matrix,
    report,
    signature,
    standard,
    standard_facts,
    state,
    waiver,
)

GO, CONDITIONAL_GO, RECYCLE = Decision.GO, Decision.CONDITIONAL_GO, Decision.RECYCLE


def person(
    username: str = "sam",
    *roles: str,
    everywhere: tuple[str, ...] = (),
    manages: bool = False,
    active: bool = True,
    **delegated: str,
) -> Person:
    """Someone holding `roles` on the project, `everywhere` globally, and delegations
    (role=delegator) valid now."""
    return Person(
        username,
        active,
        frozenset(everywhere),
        frozenset(roles),
        manages,
        MappingProxyType(dict(delegated)),
    )


@dataclass(frozen=True)
class Round:
    """A review round to ask about: the gate of a policy, the signatures, the waivers."""

    gate_id: str = "initiation"
    policy: Policy = field(default_factory=standard)
    signatures: tuple[Signature, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    submitted: bool = True
    facts: dict[str, Any] | None = None

    def build(self) -> ReviewRound:
        facts = self.facts or standard_facts(budget="400000")
        current = state(
            self.policy,
            facts,
            signatures=self.signatures,
            waivers=self.waivers,
            submitted=self.submitted,
        )
        return ReviewRound(self.policy, report(self.policy, self.gate_id, current), current)


def rules(refusals: list[Refusal] | tuple[Refusal, ...]) -> list[tuple[str, str | None]]:
    return [(r.rule, r.field) for r in refusals]


# --- permissions: one value, its predicate and its wording --------------------------------

PERMISSIONS = [
    pytest.param(rights.READ, person("sue", "finance"), person("olly"), id="read"),
    pytest.param(rights.READ, person("dan", sponsor="sam"), person("olly"), id="read-delegate"),
    pytest.param(
        rights.READ, person("aud", everywhere=("auditor",)), person("olly"), id="read-aud"
    ),
    pytest.param(
        rights.READ,
        person("pat", manages=True),
        person("pat2", everywhere=("project_manager",)),
        id="read-only-the-project-one-manages",
    ),
    pytest.param(
        rights.REGISTER,
        person("pat", everywhere=("project_manager",)),
        person("pat", "project_manager", manages=True),
        id="register-needs-the-global-role",
    ),
    pytest.param(rights.SUBMIT, person("pat", manages=True), person("sam", "sponsor"), id="submit"),
    pytest.param(
        rights.ATTACH, person("pia", everywhere=("pmo",)), person("fay", "finance"), id="att"
    ),
    pytest.param(
        rights.UPDATE_FACTS,
        person("pat", manages=True),
        person("pat2", everywhere=("project_manager",)),
        id="update-facts-manager-of-another-project",
    ),
    pytest.param(rights.WITHDRAW, person("pat", manages=True), person("sam", "sponsor"), id="wd"),
    pytest.param(rights.DECIDE, person("sam", "sponsor"), person("fay", "finance"), id="decide"),
    pytest.param(
        rights.DECIDE, person("pia", everywhere=("pmo",)), person("dan", sponsor="sam"), id="d2"
    ),
    pytest.param(rights.HOLD, person("sam", "sponsor"), person("pat", manages=True), id="hold"),
    pytest.param(rights.RESUME, person("sam", "sponsor"), person("pat", manages=True), id="resume"),
    pytest.param(rights.KILL, person("sam", "sponsor"), person("pat", manages=True), id="kill"),
    pytest.param(
        rights.AUDIT, person("a", everywhere=("admin",)), person("pat", manages=True), id="audit"
    ),
    pytest.param(
        rights.PUBLISH,
        person("p", everywhere=("pmo",)),
        person("a", everywhere=("admin",)),
        id="pub",
    ),
    pytest.param(
        rights.MIGRATE, person("p", everywhere=("pmo",)), person("s", "sponsor"), id="migrate"
    ),
    pytest.param(
        rights.ADMINISTER,
        person("a", everywhere=("admin",)),
        person("p", everywhere=("pmo",)),
        id="adm",
    ),
    pytest.param(
        rights.GRANT, person("a", everywhere=("admin",)), person("s", "sponsor"), id="grant"
    ),
]


@pytest.mark.parametrize(("permission", "holder", "other"), PERMISSIONS)
def test_a_permission_allows_its_holders_and_refuses_others_with_its_own_words(
    permission: Permission, holder: Person, other: Person
) -> None:
    assert authority(holder, "ERP-1").refusals(permission) == []
    [refusal] = authority(other, "ERP-1").refusals(permission)
    expected = f"Only {permission.holders.words} may {permission.action}. (ERP-1)"
    assert (refusal.rule, refusal.field, refusal.text) == (permission.rule, None, expected)


def test_the_decide_permission_reads_as_it_always_has() -> None:
    [refusal] = authority(person("fay", "finance"), "ERP-1").refusals(rights.DECIDE)
    assert refusal.text == "Only the sponsor or the PMO may decide a gate. (ERP-1)"


def test_a_disabled_person_may_do_nothing_even_with_every_role() -> None:
    ada = person("ada", everywhere=("admin", "pmo", "auditor"), active=False)
    for permission in (rights.READ, rights.DECIDE, rights.ADMINISTER):
        assert rules(authority(ada, "ERP-1").refusals(permission)) == [("person.disabled", None)]
        assert not authority(ada, "ERP-1").may(permission)


def test_global_roles_that_count_everywhere_need_no_list_of_projects() -> None:
    assert rights.READ.holders.everywhere(frozenset({"auditor"}))
    assert not rights.READ.holders.everywhere(frozenset({"project_manager"}))
    assert not rights.DECIDE.holders.everywhere(frozenset({"auditor"}))
    assert rights.DECIDE.holders.everywhere(frozenset({"pmo"}))


# --- signing: every refusal with its rule id and field ------------------------------------

SIGN = [
    pytest.param(person("sam", "sponsor"), "sponsor", GO, "", Round(submitted=False),
                 [("sign.not_submitted", None)], id="not-submitted"),
    pytest.param(person("sam", "sponsor", active=False), "sponsor", GO, "", Round(),
                 [("person.disabled", None)], id="disabled"),
    pytest.param(person("olly"), None, GO, "", Round(),
                 [("sign.no_role", "role")], id="no-role"),
    pytest.param(person("sam", "sponsor", "finance"), None, GO, "", Round(),
                 [("sign.role_ambiguous", "role")], id="several-roles"),
    pytest.param(person("ada", "architecture"), "architecture", GO, "", Round(),
                 [("sign.not_at_gate", "role")], id="not-at-this-gate"),
    pytest.param(person("fay", "finance"), "finance", GO, "",
                 Round(facts=standard_facts(budget="100000")),
                 [("sign.not_needed", "role")], id="not-needed-for-this-project"),
    pytest.param(person("sue", "sponsor"), "sponsor", GO, "",
                 Round(signatures=(signature("sam", "sponsor"),)),
                 [("sign.complete", "role")], id="complete"),
    pytest.param(person("sam", "sponsor"), "sponsor", CONDITIONAL_GO, "Later", Round("closure"),
                 [("sign.decision_not_allowed", "decision")], id="decision-not-allowed"),
    pytest.param(person("sam", "sponsor"), "sponsor", RECYCLE, " ", Round(),
                 [("sign.comment_required", "comment")], id="comment-required"),
    pytest.param(person("sam", "finance"), "sponsor", GO, "", Round(),
                 [("role.sign", "role")], id="role-not-held"),
    pytest.param(person("sub", "sponsor"), "sponsor", GO, "", Round(),
                 [("sod.submitter_signs", None)], id="submitter-signs"),
    pytest.param(person("pm", "sponsor"), "sponsor", GO, "", Round(),
                 [("sod.manager_signs", None)], id="manager-signs"),
    pytest.param(person("dan", sponsor="pm"), "sponsor", GO, "", Round(),
                 [("sod.manager_signs", None)], id="delegate-of-the-manager"),
    pytest.param(person("sam", "sponsor", "pmo"), "pmo", GO, "",
                 Round(signatures=(signature("sam", "sponsor"),)),
                 [("sign.once_per_round", None)], id="once-per-round"),
    pytest.param(person("dan", sponsor="sam"), "sponsor", RECYCLE, "No",
                 Round(signatures=(signature("sam", "sponsor", RECYCLE, comment="No"),)),
                 [("sign.principal_once", None)], id="principal-once"),
    pytest.param(person("bea", "business_owner"), "business_owner", GO, "", Round("cutover"),
                 [("sign.order", None)], id="order"),
]  # fmt: skip


@pytest.mark.parametrize(("who", "role", "decision", "comment", "where", "expected"), SIGN)
def test_signing_is_refused_by_one_rule_named_with_its_field(
    who: Person,
    role: str | None,
    decision: Decision,
    comment: str,
    where: Round,
    expected: list[tuple[str, str | None]],
) -> None:
    signing = authority(who, "ERP-1", where.build()).sign(role, decision, comment)
    assert rules(signing.refusals) == expected


def test_a_delegate_signs_on_behalf_of_the_delegator() -> None:
    signing = authority(person("dan", sponsor="sam"), "ERP-1", Round().build()).sign(None, GO)
    assert (signing.role, signing.on_behalf_of, signing.refusals) == ("sponsor", "sam", ())


def test_ones_own_role_comes_before_a_delegation_of_it() -> None:
    who = person("sue", "sponsor", sponsor="sam")
    signing = authority(who, "ERP-1", Round().build()).sign("sponsor", GO)
    assert (signing.on_behalf_of, signing.refusals) == (None, ())


# --- what waits for a signer: their turn, or waiting for the order -------------------------

OPTIONS = [
    pytest.param(person("sam", "sponsor"), Round(),
                 (SignOption("sponsor", None, Part.YOUR_TURN),), id="your-turn"),
    pytest.param(person("dan", sponsor="sam"), Round(),
                 (SignOption("sponsor", "sam", Part.YOUR_TURN),), id="by-delegation"),
    pytest.param(person("bea", "business_owner"), Round("cutover"),
                 (SignOption("business_owner", None, Part.WAITING,
                             ("IT operations signs first (order 1).",)),), id="waiting"),
    pytest.param(person("pm", "sponsor"), Round(), (), id="refused-by-independence-left-out"),
    pytest.param(person("sue", "sponsor"), Round(signatures=(signature("sam", "sponsor"),)), (),
                 id="complete-left-out"),
    pytest.param(person("sam", "sponsor", active=False), Round(), (), id="disabled-left-out"),
    pytest.param(person("sam", "sponsor"), Round(submitted=False), (), id="not-submitted"),
]  # fmt: skip


@pytest.mark.parametrize(("who", "where", "expected"), OPTIONS)
def test_the_sign_offs_a_person_could_give_are_their_turn_or_waiting(
    who: Person, where: Round, expected: tuple[SignOption, ...]
) -> None:
    assert authority(who, "ERP-1", where.build()).signing == expected


def test_what_is_listed_as_your_turn_is_accepted_and_what_waits_is_refused_by_the_order() -> None:
    review = Round("cutover").build()
    for who in (person("ops", "operations"), person("bea", "business_owner")):
        granted = authority(who, "ERP-1", review)
        for option in granted.signing:
            signing = granted.sign(option.role, GO)
            if option.part is Part.YOUR_TURN:
                assert signing.refusals == ()
            else:
                assert {r.rule for r in signing.refusals} == {"sign.order"}


# --- deciding ------------------------------------------------------------------------------

DUE = TODAY + timedelta(days=10)
READY = Round(
    "start",
    matrix(),
    signatures=(
        signature("sam", "sponsor"),
        signature("a", "architecture"),
        signature("b", "architecture"),
    ),
    facts=facts_for(matrix(), budget="100000", vendor="yes"),
)  # fmt: skip


def ready_round() -> ReviewRound:
    """The matrix start gate with every requirement met."""
    review = READY.build()
    current = state(
        matrix(),
        review.state.facts,
        evidence=[evidence("charter"), evidence("contract")],
        signatures=READY.signatures,
    )
    return ReviewRound(matrix(), report(matrix(), "start", current), current)


DECIDE = [
    pytest.param(person("fay", "finance"), GO, "", (), [("role.decide", None)], id="role"),
    pytest.param(person("sam", "sponsor"), Decision.KILL, "", (),
                 [("decide.reason_required", "reason")], id="reason"),
    pytest.param(person("sam", "sponsor"), GO, "", (FollowUp("x", "y", DUE),),
                 [("decide.go_has_conditions", "conditions")], id="go-with-conditions"),
    pytest.param(person("sam", "sponsor"), CONDITIONAL_GO, "ok", (),
                 [("decide.conditions_required", "conditions")], id="conditions-required"),
    pytest.param(person("sam", "sponsor"), CONDITIONAL_GO, "ok",
                 (FollowUp("Book", "olga", DUE), FollowUp(" ", "olga", DUE)),
                 [("decide.condition_incomplete", "conditions-1")], id="condition-incomplete"),
    pytest.param(person("sam", "sponsor"), CONDITIONAL_GO, "ok",
                 (FollowUp("Book", "olga", TODAY - timedelta(days=1)),),
                 [("decide.condition_due_past", "conditions-0")], id="condition-due-past"),
]  # fmt: skip


@pytest.mark.parametrize(("who", "decision", "reason", "follow_ups", "expected"), DECIDE)
def test_deciding_is_refused_by_one_rule_named_with_its_field(
    who: Person,
    decision: Decision,
    reason: str,
    follow_ups: tuple[FollowUp, ...],
    expected: list[tuple[str, str | None]],
) -> None:
    granted = authority(who, "ERP-1", ready_round())
    assert rules(granted.decide(decision, reason, follow_ups, TODAY)) == expected


def test_go_is_refused_with_one_refusal_per_blocking_requirement() -> None:
    granted = authority(person("sam", "sponsor"), "ERP-1", Round().build())
    refusals = granted.decide(GO, "", (), TODAY)
    assert refusals and {r.rule for r in refusals} == {"decide.not_ready"}


def test_a_decision_the_gate_does_not_allow_and_one_before_submission_are_refused() -> None:
    sam = person("sam", "sponsor")
    closing = authority(sam, "ERP-1", Round("closure").build())
    assert rules(closing.decide(Decision.KILL, "Why", (), TODAY)) == [
        ("decide.not_allowed", "decision")
    ]
    draft = authority(sam, "ERP-1", Round(submitted=False).build())
    assert rules(draft.decide(GO, "", (), TODAY)) == [("decide.not_submitted", None)]


# --- waiving -------------------------------------------------------------------------------


def charter() -> Any:
    requirement = matrix().gates[0].requirement("artifact:charter")  # waivable_by: [pmo]
    assert requirement is not None
    return requirement


def request(who: Person, key: str, justification: str = "Agreed", days: int = 30) -> Any:
    requirement = matrix().gates[0].requirement(key)
    assert requirement is not None
    granted = authority(who, "ERP-1")
    return granted.request_waiver(requirement, justification, NOW + timedelta(days=days), NOW)


REQUEST = [
    pytest.param(person("m", manages=True), "artifact:charter", "Agreed", 30, [], id="allowed"),
    pytest.param(person("p", "pmo"), "artifact:contract", "Agreed", 30,
                 [("waive.not_waivable", "requirement")], id="not-waivable"),
    pytest.param(person("s", "sponsor"), "artifact:charter", "Agreed", 30,
                 [("role.request_waiver", None)], id="role"),
    pytest.param(person("p", "pmo"), "artifact:charter", "  ", 30,
                 [("waive.justification_required", "justification")], id="justification"),
    pytest.param(person("p", "pmo"), "artifact:charter", "Agreed", -1,
                 [("waive.expiry_past", "expires_at")], id="expiry-past"),
    pytest.param(person("p", "pmo"), "artifact:charter", "Agreed", 91,
                 [("waive.expiry_too_long", "expires_at")], id="expiry-too-long"),
]  # fmt: skip


@pytest.mark.parametrize(("who", "key", "justification", "days", "expected"), REQUEST)
def test_requesting_a_waiver_is_refused_by_one_rule_named_with_its_field(
    who: Person, key: str, justification: str, days: int, expected: list[tuple[str, str | None]]
) -> None:
    assert rules(request(who, key, justification, days)) == expected


def decide(who: Person, requester: str = "mia", approve: bool = True, reason: str = "") -> Any:
    granted = authority(who, "ERP-1")
    until = NOW + timedelta(days=30)
    return granted.decide_waiver(charter(), requester, "requested", until, NOW, approve, reason)


DECIDE_WAIVER = [
    pytest.param(person("p", "pmo"), "mia", True, "", [], id="allowed"),
    pytest.param(person("s", "sponsor"), "mia", True, "", [("role.waive", None)], id="role"),
    pytest.param(person("p", "pmo"), "p", True, "", [("sod.requester_approves_waiver", None)],
                 id="requester"),
    pytest.param(person("p", "pmo", manages=True), "mia", True, "",
                 [("sod.manager_waives", None)], id="manager"),
    pytest.param(person("p", "pmo"), "mia", False, " ", [("waiver.reason_required", "reason")],
                 id="deny-without-reason"),
]  # fmt: skip


@pytest.mark.parametrize(("who", "requester", "approve", "reason", "expected"), DECIDE_WAIVER)
def test_deciding_a_waiver_is_refused_by_one_rule_each(
    who: Person, requester: str, approve: bool, reason: str, expected: list[tuple[str, str | None]]
) -> None:
    _role, refusals = decide(who, requester, approve, reason)
    assert rules(refusals) == expected


def test_a_waiver_is_decided_as_the_waiving_role_the_decider_holds() -> None:
    assert decide(person("p", "pmo"))[0] == "pmo"


def test_the_pmo_or_a_waiving_role_revokes_an_approved_waiver_with_a_reason() -> None:
    pmo = authority(person("p", "pmo"), "ERP-1")
    assert pmo.revoke_waiver(charter(), "approved", "Evidence arrived") == []
    assert rules(pmo.revoke_waiver(charter(), "approved", "")) == [
        ("waiver.reason_required", "reason")
    ]
    assert rules(pmo.revoke_waiver(charter(), "denied", "x")) == [("waiver.not_approved", None)]
    sponsor = authority(person("s", "sponsor"), "ERP-1")
    assert rules(sponsor.revoke_waiver(charter(), "approved", "x")) == [
        ("role.revoke_waiver", None)
    ]


def test_the_requirements_a_person_may_waive_are_those_their_roles_are_named_for() -> None:
    granted = authority(person("p", "pmo"), "ERP-1", READY.build())
    assert [r.key for r in granted.waivable()] == ["artifact:charter", "signoff:finance"]


def test_a_waived_sign_off_needs_no_signature() -> None:
    review = Round(
        "start",
        matrix(),
        waivers=(waiver("signoff:finance", "pmo"),),
        facts=facts_for(matrix(), budget="400000", vendor="yes"),
    ).build()
    signing = authority(person("fay", "finance"), "ERP-1", review).sign("finance", GO)
    assert rules(signing.refusals) == [("sign.complete", "role")]


# --- the pending sign-offs over time --------------------------------------------------------


def test_a_delegation_still_to_come_gives_a_row_from_its_start_to_its_end() -> None:
    starts, ends = NOW + timedelta(days=7), NOW + timedelta(days=21)
    deputy = Profile("dan", delegations=(Delegated("sponsor", "sam", starts, ends),))
    review = Round().build()
    [row] = pending_signoffs([deputy], review.policy, review.gate, review.state, NOW)
    assert (row.role, row.on_behalf_of, row.lead) == ("sponsor", "sam", True)
    assert (row.valid_from, row.valid_until) == (starts, ends)
    assert not row.holds_at(NOW) and row.holds_at(starts) and not row.holds_at(ends)


def test_a_sign_off_waived_until_a_date_waits_again_from_that_date() -> None:
    expires = NOW + timedelta(days=3)
    review = Round(
        "start",
        matrix(),
        waivers=(waiver("signoff:finance", "pmo", expires_at=expires),),
        facts=facts_for(matrix(), budget="400000", vendor="yes"),
    ).build()
    fay = Profile("fay", project_roles=frozenset({"finance"}))
    [row] = pending_signoffs([fay], review.policy, review.gate, review.state, NOW)
    assert (row.role, row.valid_from, row.valid_until) == ("finance", expires, None)


def test_one_row_per_person_and_review_leads_and_carries_the_review_part() -> None:
    review = Round("cutover").build()
    both = Profile("bo", project_roles=frozenset({"business_owner", "pmo"}))
    rows = pending_signoffs([both], review.policy, review.gate, review.state, NOW)
    assert [(r.role, r.part, r.lead) for r in rows] == [
        ("business_owner", Part.YOUR_TURN, True),
        ("pmo", Part.YOUR_TURN, False),
    ]
    assert part_of(()) is None


# --- who decides: the gate's decided_by -----------------------------------------------------


def deciding(*deciders: tuple[str, str | None]) -> Policy:
    """The standard policy whose initiation gate is decided by `deciders` (role, when)."""
    from dataclasses import replace

    from policies.conditions import Names, compile_condition
    from policies.model import Decider

    policy = standard()
    names = Names({f.id: f for f in policy.facts}, [t.id for t in policy.tiers])

    def compiled(source: str | None) -> Any:
        if source is None:
            return None
        condition, problems = compile_condition(source, names)
        assert condition is not None, problems
        return condition

    first = replace(policy.gates[0], decided_by=tuple(Decider(r, compiled(w)) for r, w in deciders))
    return replace(policy, gates=(first, *policy.gates[1:]))


def test_a_gate_decided_by_a_board_refuses_the_sponsor_and_names_the_board() -> None:
    board = deciding(("finance", None))
    granted = authority(person("sam", "sponsor"), "ERP-1", Round(policy=board).build())

    [refusal] = granted.deciding()

    title = board.role_title("finance")
    assert (refusal.rule, refusal.text) == (
        "role.decide",
        f"Only the {title} may decide {board.gates[0].name}. (ERP-1)",
    )
    assert (
        authority(person("fay", "finance"), "ERP-1", Round(policy=board).build()).deciding() == []
    )


def test_above_a_delegated_limit_another_body_decides() -> None:
    limit = deciding(
        ("finance", "project.budget > 1000000.0"), ("sponsor", "project.budget <= 1000000.0")
    )
    small = Round(policy=limit, facts=standard_facts(budget="400000")).build()
    large = Round(policy=limit, facts=standard_facts(budget="2000000")).build()
    sam, fay = person("sam", "sponsor"), person("fay", "finance")

    assert authority(sam, "ERP-1", small).deciding() == []
    assert rules(authority(fay, "ERP-1", small).deciding()) == [("role.decide", None)]
    assert authority(fay, "ERP-1", large).deciding() == []
    assert rules(authority(sam, "ERP-1", large).deciding()) == [("role.decide", None)]


@pytest.mark.parametrize(
    ("role", "rules"),
    [
        ("treasury", []),
        ("sponsor", ["grant.not_standing"]),
        ("tresury", ["grant.unknown_role"]),
    ],
)
def test_only_a_policy_role_other_than_sponsor_is_held_everywhere(
    role: str, rules: list[str]
) -> None:
    from gates.authority import standing_refusals

    assert [r.rule for r in standing_refusals(role, {"treasury", "sponsor", "finance"})] == rules


def test_a_standing_role_sees_every_project_in_lists_as_on_their_pages() -> None:
    from gates.authority import READ

    board = Person("bo", global_roles=frozenset({"investment_board"}))

    assert READ.allows(board)
    assert READ.holders.everywhere(board.global_roles)
    assert not READ.holders.everywhere(frozenset({"project_manager"}))
