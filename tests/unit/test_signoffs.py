"""Sign-off rules: who may sign, with which decision, in which order, and how often."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pytest

from gates.model import Person, ProjectState, Signature, Waiver
from gates.signoffs import Part, ReviewRound, SignOption, check_sign, sign_options, waiting_for
from policies import Decision, Policy, parse_policy
from tests.unit.gate_fixtures import (
    MATRIX_POLICY,
    OLD_SNAPSHOT,
    facts_for,
    gate,
    matrix,
    report,
    signature,
    standard,
    standard_facts,
    state,
    waiver,
)

GO, CONDITIONAL_GO, RECYCLE = Decision.GO, Decision.CONDITIONAL_GO, Decision.RECYCLE


@dataclass(frozen=True)
class SignRequest:
    """Someone asking to sign: who they are, as which role, with which decision."""

    person: Person
    role: str
    decision: Decision
    comment: str


def ask(
    signer: str,
    role: str,
    decision: Decision = GO,
    *,
    holds: tuple[str, ...] | None = None,
    on_behalf_of: str | None = None,
    comment: str = "",
) -> SignRequest:
    """A request to sign as `role`, by someone who holds it unless `holds` says otherwise,
    or who holds it by a delegation from `on_behalf_of`."""
    held = () if on_behalf_of else (role,)
    delegated = MappingProxyType({role: on_behalf_of} if on_behalf_of else {})
    person = Person(
        signer, project_roles=frozenset(held if holds is None else holds), delegations=delegated
    )
    return SignRequest(person, role, decision, comment)


def round_of(
    *,
    gate_id: str = "initiation",
    policy: Policy | None = None,
    signatures: list[Signature] | None = None,
    **project: Any,
) -> ReviewRound:
    """The review round of `gate_id` on a medium standard project (unless told otherwise)."""
    policy = policy or standard()
    facts = project.pop("facts", None) or standard_facts()
    current = state(policy, facts, signatures=signatures or [], **project)
    return ReviewRound(policy, report(policy, gate_id, current), current)


def refusals(request: SignRequest, **project: Any) -> list[str]:
    """The words of every refusal of `request` on the round `project` describes."""
    review = round_of(**project)
    signing = check_sign(request.person, review, request.role, request.decision, request.comment)
    return [r.text for r in signing.refusals]


def test_a_sponsor_who_neither_submitted_nor_manages_the_project_may_sign() -> None:
    assert refusals(ask("sam", "sponsor")) == []


SPONSOR_COMPLETE = "Project sponsor sign-off is complete: it needs no more signatures."

REFUSALS = [
    pytest.param(
        ask("sam", "sponsor"),
        {"submitted": False},
        ["G1 Initiation approval has not been submitted: there is nothing to sign yet."],
        id="not-submitted",
    ),
    pytest.param(
        ask("ada", "architecture"),
        {},
        ["G1 Initiation approval needs no Enterprise architecture sign-off."],
        id="role-not-needed-at-this-gate",
    ),
    pytest.param(
        ask("fay", "finance"),
        {},
        ["Finance business partner sign-off is not needed for this project."],
        id="role-not-applicable-to-this-project",
    ),
    pytest.param(
        ask("sam", "sponsor", CONDITIONAL_GO, comment="Subject to the CAB"),
        {"gate_id": "closure"},
        ["'conditional go' is not allowed at this gate (go, recycle, hold)."],
        id="decision-not-allowed-at-this-gate",
    ),
    pytest.param(
        ask("sam", "sponsor", RECYCLE),
        {},
        ["A 'recycle' needs a comment saying why."],
        id="recycle-without-comment",
    ),
    pytest.param(
        ask("sam", "sponsor", Decision.KILL, comment="   "),
        {},
        ["A 'kill' needs a comment saying why."],
        id="kill-with-a-blank-comment",
    ),
    pytest.param(
        ask("sam", "sponsor", CONDITIONAL_GO),
        {},
        ["A 'conditional go' needs a comment saying why."],
        id="conditional-go-without-comment",
    ),
    pytest.param(
        ask("sam", "sponsor", holds=("pmo", "finance")),
        {},
        ["sam does not hold the Project sponsor role here."],
        id="signer-lacks-the-role",
    ),
    pytest.param(
        ask("sub", "sponsor"),
        {},
        ["Nobody may approve a gate they submitted."],
        id="signer-is-the-submitter",
    ),
    pytest.param(
        ask("pm", "sponsor"),
        {},
        ["The project manager may not approve their own project's gate."],
        id="signer-is-the-project-manager",
    ),
    pytest.param(
        ask("dan", "sponsor", on_behalf_of="pm"),
        {},
        ["The project manager may not approve their own project's gate."],
        id="delegate-acting-for-the-project-manager",
    ),
    pytest.param(
        ask("dan", "sponsor", on_behalf_of="sub"),
        {},
        ["Nobody may approve a gate they submitted."],
        id="delegate-acting-for-the-submitter",
    ),
    pytest.param(
        ask("pm", "sponsor"),
        {"submitter": "pm"},
        [
            "Nobody may approve a gate they submitted.",
            "The project manager may not approve their own project's gate.",
        ],
        id="project-manager-who-submitted",
    ),
    pytest.param(
        ask("sam", "pmo"),
        {"signatures": [signature("sam", "sponsor")]},
        ["sam has already signed this review round."],
        id="same-signer-again-in-another-role",
    ),
    pytest.param(
        ask("sam", "sponsor"),
        {"signatures": [signature("sam", "sponsor")]},
        ["sam has already signed this review round.", SPONSOR_COMPLETE],
        id="same-signer-again-in-the-same-role",
    ),
    pytest.param(
        ask("dan", "sponsor", on_behalf_of="sam"),
        {"signatures": [signature("sam", "sponsor")]},
        ["sam's authority has already been used in this review round.", SPONSOR_COMPLETE],
        id="delegate-for-a-principal-who-signed",
    ),
    pytest.param(
        ask("sam", "sponsor"),
        {"signatures": [signature("dan", "sponsor", on_behalf_of="sam")]},
        ["sam has already signed this review round.", SPONSOR_COMPLETE],
        id="principal-after-their-delegate-signed",
    ),
    pytest.param(
        ask("sue", "sponsor"),
        {"signatures": [signature("sam", "sponsor")]},
        [SPONSOR_COMPLETE],
        id="a-second-sponsor-after-the-sign-off-is-complete",
    ),
    pytest.param(
        ask("dan", "pmo"),
        {"signatures": [signature("dan", "sponsor", on_behalf_of="sam")]},
        ["dan has already signed this review round."],
        id="delegate-who-signed-for-someone-else",
    ),
    pytest.param(
        ask("pm", "sponsor", RECYCLE, holds=()),
        {},
        [
            "A 'recycle' needs a comment saying why.",
            "pm does not hold the Project sponsor role here.",
            "The project manager may not approve their own project's gate.",
        ],
        id="every-problem-at-once",
    ),
]


@pytest.mark.parametrize(("request_", "project", "expected"), REFUSALS)
def test_can_sign_refuses_with_every_reason(
    request_: SignRequest, project: dict[str, Any], expected: list[str]
) -> None:
    assert refusals(request_, **project) == expected


def test_a_signature_on_a_superseded_snapshot_does_not_stop_signing_again() -> None:
    earlier = [signature("sam", "sponsor", snapshot=OLD_SNAPSHOT)]
    assert refusals(ask("sam", "sponsor"), signatures=earlier) == []


def test_a_delegate_may_sign_for_a_principal_who_has_not_signed() -> None:
    others = [signature("pat", "pmo")]
    assert refusals(ask("dan", "sponsor", on_behalf_of="sam"), signatures=others) == []


def test_the_finance_sign_off_may_be_signed_when_the_budget_requires_it() -> None:
    assert refusals(ask("fay", "finance"), facts=standard_facts(budget="400000")) == []


def test_an_objection_needs_a_comment_and_then_may_be_signed() -> None:
    assert refusals(ask("sam", "sponsor", RECYCLE, comment="Costs unclear")) == []


# --- the sequential chain at G4 (operations 1, business owner 2, sponsor 3; PMO unordered) --

CHAIN = [
    pytest.param("business_owner", [], ["IT operations signs first (order 1)."], id="bo-first"),
    pytest.param(
        "sponsor",
        [],
        ["IT operations signs first (order 1).", "Business owner signs first (order 2)."],
        id="sponsor-first",
    ),
    pytest.param("operations", [], [], id="operations-may-start"),
    pytest.param("pmo", [], [], id="pmo-is-outside-the-chain"),
    pytest.param("business_owner", [signature("ops", "operations")], [], id="bo-after-operations"),
    pytest.param(
        "sponsor",
        [signature("ops", "operations")],
        ["Business owner signs first (order 2)."],
        id="sponsor-after-operations-only",
    ),
    pytest.param(
        "sponsor",
        [signature("ops", "operations"), signature("bea", "business_owner")],
        [],
        id="sponsor-last",
    ),
    pytest.param(
        "business_owner",
        [signature("ops", "operations", snapshot=OLD_SNAPSHOT)],
        ["IT operations signs first (order 1)."],
        id="operations-signed-an-old-snapshot",
    ),
    pytest.param(
        "business_owner",
        [signature("ops", "operations", RECYCLE, comment="No runbook")],
        ["IT operations signs first (order 1)."],
        id="operations-objected",
    ),
]


@pytest.mark.parametrize(("role", "signatures", "expected"), CHAIN)
def test_a_chained_sign_off_waits_until_every_earlier_link_is_satisfied(
    role: str, signatures: list[Signature], expected: list[str]
) -> None:
    request = ask("someone", role)
    assert refusals(request, gate_id="cutover", signatures=signatures) == expected


def test_a_sign_off_refused_only_by_the_order_is_listed_as_waiting() -> None:
    request = ask("bea", "business_owner")
    review = round_of(gate_id="cutover")
    assert sign_options(request.person, review) == (
        SignOption("business_owner", None, Part.WAITING, ("IT operations signs first (order 1).",)),
    )
    signoff = gate(standard(), "cutover").signoffs[1]
    assert [r.text for r in waiting_for(review, signoff)] == [
        "IT operations signs first (order 1)."
    ]


# --- independent_of ---------------------------------------------------------------------------


def regulated_small_project() -> ProjectState:
    """A matrix project the ship gate is not skipped for."""
    return state(matrix(), facts_for(matrix(), budget="100", vendor="no", regulated="yes"))


@pytest.mark.parametrize(
    ("signer", "submitter", "expected"),
    [
        pytest.param("pm", "sub", [], id="the-project-manager"),
        pytest.param("sub", "sub", [], id="the-submitter"),
        pytest.param("pm", "pm", [], id="the-project-manager-who-submitted"),
    ],
)
def test_independent_of_nobody_lets_the_project_manager_and_submitter_sign(
    signer: str, submitter: str, expected: list[str]
) -> None:
    request = ask(signer, "sponsor")
    assert (
        refusals(
            request,
            policy=matrix(),
            gate_id="ship",
            facts=regulated_small_project().facts,
            submitter=submitter,
        )
        == expected
    )


def test_a_sign_off_with_the_default_independence_still_refuses_the_project_manager() -> None:
    request = ask("pm", "architecture")
    assert refusals(
        request, policy=matrix(), gate_id="ship", facts=regulated_small_project().facts
    ) == ["The project manager may not approve their own project's gate."]


def test_independent_of_submitter_lets_the_project_manager_sign_unless_they_submitted() -> None:
    text = MATRIX_POLICY.replace(
        "      - role: sponsor\n        independent_of: []",
        "      - role: sponsor\n        independent_of: [submitter]",
    )
    assert text != MATRIX_POLICY
    policy = parse_policy(text, "submitter-only.yaml")
    facts = regulated_small_project().facts
    as_pm = ask("pm", "sponsor")
    assert refusals(as_pm, policy=policy, gate_id="ship", facts=facts) == []
    assert refusals(as_pm, policy=policy, gate_id="ship", facts=facts, submitter="pm") == [
        "Nobody may approve a gate they submitted."
    ]


@pytest.mark.parametrize(
    ("budget", "waivers", "expected"),
    [
        pytest.param("100", [], [], id="earlier-link-not-applicable"),
        pytest.param(
            "400000",
            [],
            ["Architecture board signs first (order 1)."],
            id="earlier-link-applies",
        ),
        pytest.param(
            "400000", [waiver("signoff:architecture", "pmo")], [], id="earlier-link-waived"
        ),
    ],
)
def test_a_chain_link_that_is_not_needed_or_waived_does_not_hold_up_the_next(
    budget: str, waivers: list[Waiver], expected: list[str]
) -> None:
    text = MATRIX_POLICY.replace(
        "      - role: architecture\n        order: 1\n",
        "      - role: architecture\n        order: 1\n        when: project.budget > 250000\n"
        "        waivable_by: [pmo]\n",
    )
    assert text != MATRIX_POLICY
    policy = parse_policy(text, "chain.yaml")
    facts = facts_for(policy, budget=budget, vendor="no", regulated="yes")
    request = ask("fay", "finance")
    assert (
        refusals(request, policy=policy, gate_id="ship", facts=facts, waivers=waivers) == expected
    )


# --- distinct_from_previous_gate and a delegate's roles ---------------------------------------

DISTINCT_SPONSOR = MATRIX_POLICY.replace(
    "      - role: sponsor\n        independent_of: []",
    "      - role: sponsor\n        independent_of: []\n        distinct_from_previous_gate: true",
)
SIGNED_BEFORE = (
    "ann signed the previous gate: this sign-off must come from someone else "
    "(distinct_from_previous_gate)."
)


def distinct_round(**project: Any) -> ReviewRound:
    """The ship gate of a policy whose sponsor must not have signed the start gate, where ann
    signed the start gate."""
    policy = parse_policy(DISTINCT_SPONSOR, "distinct.yaml")
    facts = regulated_small_project().facts
    return round_of(
        policy=policy, gate_id="ship", facts=facts, previous_signers=frozenset({"ann"}), **project
    )


def test_whoever_signed_the_previous_gate_may_not_sign_a_distinct_sign_off() -> None:
    assert DISTINCT_SPONSOR != MATRIX_POLICY
    review = distinct_round()

    ann, bob = ask("ann", "sponsor"), ask("bob", "sponsor")

    assert [r.text for r in check_sign(ann.person, review, "sponsor", GO, "").refusals] == [
        SIGNED_BEFORE
    ]
    assert check_sign(bob.person, review, "sponsor", GO, "").refusals == ()


def test_a_delegate_may_not_sign_a_distinct_sign_off_for_someone_who_signed_before() -> None:
    review = distinct_round()
    delegate = ask("dee", "sponsor", on_behalf_of="ann")

    signing = check_sign(delegate.person, review, "sponsor", GO, "")

    assert [r.rule for r in signing.refusals] == ["sod.previous_gate_signer"]


def test_a_distinct_sign_off_is_not_offered_to_who_signed_the_previous_gate() -> None:
    review = distinct_round()

    assert [o.role for o in sign_options(ask("ann", "sponsor").person, review)] == []
    assert [o.role for o in sign_options(ask("bob", "sponsor").person, review)] == ["sponsor"]


def test_without_the_rule_a_previous_signer_signs_again() -> None:
    policy = matrix()
    facts = regulated_small_project().facts
    review = round_of(
        policy=policy, gate_id="ship", facts=facts, previous_signers=frozenset({"ann"})
    )

    assert check_sign(ask("ann", "sponsor").person, review, "sponsor", GO, "").refusals == ()


def test_a_delegate_carries_the_restrictions_of_the_role_they_sign_with() -> None:
    text = MATRIX_POLICY.replace("tiers:", "incompatible_roles: [[finance, sponsor]]\ntiers:", 1)
    policy = parse_policy(text, "pairs.yaml")
    facts = regulated_small_project().facts
    review = round_of(policy=policy, gate_id="ship", facts=facts)
    # A finance controller signs as sponsor on the sponsor's behalf: for that signature they
    # would be both, which the policy forbids.
    delegate = ask("fin", "sponsor", holds=("finance",), on_behalf_of="spo")

    signing = check_sign(delegate.person, review, "sponsor", GO, "")

    assert [r.rule for r in signing.refusals] == ["sod.incompatible_roles"]
