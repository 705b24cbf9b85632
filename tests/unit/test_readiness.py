"""Readiness: every requirement kind against every condition, with its status and reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gates.model import ProjectState
from gates.readiness import (
    Line,
    Status,
    applicability,
    readiness,
    readiness_of_all,
    skip_reason,
)
from policies import Decision, parse_policy, read_facts
from tests.unit.gate_fixtures import (
    NOW,
    OLD_SNAPSHOT,
    evidence,
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

GO, RECYCLE = Decision.GO, Decision.RECYCLE


def small_vendor_project(**kwargs: Any) -> ProjectState:
    """A small matrix project with a vendor; keyword arguments go to `state`."""
    return state(matrix(), facts_for(matrix(), budget="100000", vendor="yes"), **kwargs)


def line_of(project: ProjectState, key: str, gate_id: str = "start") -> Line:
    found = report(matrix(), gate_id, project).line(key)
    assert found is not None, key
    return found


# --- artifacts -------------------------------------------------------------------------------

ARTIFACT_CASES = [
    pytest.param(
        {"evidence": [evidence("charter", age_days=3, by="alice")]},
        Status.SATISFIED,
        "Project charter: v1 attached 2026-05-29 by alice",
        id="present",
    ),
    pytest.param({}, Status.MISSING, "Project charter is missing", id="missing"),
    pytest.param(
        {"evidence": [evidence("charter", age_days=30)]},
        Status.SATISFIED,
        "Project charter: v1 attached 2026-05-02",
        id="exactly-max-age-is-not-stale",
    ),
    pytest.param(
        {"evidence": [evidence("charter", age_days=30.9)]},
        Status.SATISFIED,
        "Project charter: v1 attached 2026-05-01",
        id="part-of-a-day-over-max-age-is-not-stale",
    ),
    pytest.param(
        {"evidence": [evidence("charter", age_days=31, version=2)]},
        Status.STALE,
        "Project charter is stale: v2 attached 2026-05-01 is 31 days old (limit 30)",
        id="one-day-over-max-age-is-stale",
    ),
    pytest.param(
        {"waivers": [waiver("artifact:charter", "pmo", justification="Charter is the SOW")]},
        Status.WAIVED,
        "Waived by pat (pmo) until 2026-07-01: Charter is the SOW",
        id="missing-but-validly-waived",
    ),
    pytest.param(
        {
            "evidence": [evidence("charter", age_days=40)],
            "waivers": [waiver("artifact:charter", "pmo", expires_at=None, justification="ok")],
        },
        Status.WAIVED,
        "Waived by pat (pmo): ok",
        id="stale-but-waived-without-expiry",
    ),
    pytest.param(
        {"waivers": [waiver("artifact:charter", "pmo", expires_at=NOW)]},
        Status.MISSING,
        "Project charter is missing",
        id="waiver-expiring-now-has-expired",
    ),
    pytest.param(
        {"waivers": [waiver("artifact:charter", "pmo", expires_at=NOW - timedelta(days=1))]},
        Status.MISSING,
        "Project charter is missing",
        id="waiver-expired-yesterday",
    ),
    pytest.param(
        {"waivers": [waiver("artifact:charter", "sponsor")]},
        Status.MISSING,
        "Project charter is missing",
        id="waiver-by-a-role-not-in-waivable-by",
    ),
    pytest.param(
        {"waivers": [waiver("artifact:contract", "pmo")]},
        Status.MISSING,
        "Project charter is missing",
        id="waiver-of-another-requirement",
    ),
]


@pytest.mark.parametrize(("given", "status", "reason"), ARTIFACT_CASES)
def test_an_artifact_is_satisfied_missing_stale_or_waived(
    given: dict[str, Any], status: Status, reason: str
) -> None:
    line = line_of(small_vendor_project(**given), "artifact:charter")
    assert (line.status, line.reason) == (status, reason)


def test_a_stale_artifact_blocks_submission_and_is_named_in_the_reasons() -> None:
    project = small_vendor_project(evidence=[evidence("charter", age_days=31)])
    result = report(matrix(), "start", project)
    assert not result.ready_to_submit
    assert "Project charter is stale: v1 attached 2026-05-01 is 31 days old (limit 30)" in (
        result.reasons(signoffs=False)
    )


CONDITIONAL_ARTIFACT_CASES = [
    pytest.param(
        {"budget": "100000", "vendor": "no"},
        Status.NOT_APPLICABLE,
        "Not needed: only when vendor (false)",
        False,
        id="when-false-not-applicable",
    ),
    pytest.param(
        {"budget": "100000", "vendor": "yes"},
        Status.MISSING,
        "Vendor contract is missing (required because vendor (true) (tier: small))",
        False,
        id="when-true-applies-and-says-why",
    ),
    pytest.param(
        {"budget": "100000"},
        Status.MISSING,
        "Vendor contract is missing (required because its condition cannot be checked yet"
        " (vendor (not set)))",
        True,
        id="when-unevaluable-applies-and-says-it-cannot-be-checked",
    ),
]


@pytest.mark.parametrize(("raw", "status", "reason", "unchecked"), CONDITIONAL_ARTIFACT_CASES)
def test_an_artifact_with_a_when_applies_only_when_it_holds(
    raw: dict[str, str], status: Status, reason: str, unchecked: bool
) -> None:
    # `vendor` is a required fact: a project registered before the policy declared it has
    # no value, so the condition cannot be evaluated (the loader refuses unguarded reads of
    # optional facts, so this is how an unset fact reaches readiness).
    values, _ = read_facts(matrix().facts, raw)
    line = line_of(state(matrix(), values), "artifact:contract")
    assert (line.status, line.reason, line.unchecked) == (status, reason, unchecked)


def test_a_present_artifact_whose_condition_cannot_be_checked_is_still_satisfied() -> None:
    budget = facts_for(matrix(), budget="1", vendor="no")["budget"]
    unset = ProjectState(
        facts={"budget": budget}, tier="small", evidence={"contract": evidence("contract")}
    )
    line = line_of(unset, "artifact:contract")
    assert (line.status, line.unchecked) == (Status.SATISFIED, True)


def test_a_requirement_that_does_not_apply_stays_not_applicable_even_when_waived() -> None:
    project = state(
        matrix(),
        facts_for(matrix(), budget="100", vendor="no"),
        waivers=[waiver("signoff:finance", "pmo")],
    )
    assert line_of(project, "signoff:finance").status is Status.NOT_APPLICABLE


# --- criteria --------------------------------------------------------------------------------

CRITERION_CASES = [
    pytest.param(
        {"budget": "400000", "vendor": "yes"},
        [],
        "criterion:budget_cap",
        Status.SATISFIED,
        "The budget is under the cap: met (budget 400,000 <= 1,000,000)",
        id="met",
    ),
    pytest.param(
        {"budget": "2000000", "vendor": "yes"},
        [],
        "criterion:budget_cap",
        Status.MISSING,
        "The budget is under the cap: not met (budget 2,000,000 <= 1,000,000)",
        id="not-met",
    ),
    pytest.param(
        {"budget": "2000000", "vendor": "yes"},
        [waiver("criterion:budget_cap", "finance", by="fay", justification="Board approved")],
        "criterion:budget_cap",
        Status.WAIVED,
        "Waived by fay (finance) until 2026-07-01: Board approved",
        id="not-met-but-waived",
    ),
    pytest.param(
        {"budget": "2000000", "vendor": "yes"},
        [waiver("criterion:budget_cap", "pmo")],
        "criterion:budget_cap",
        Status.MISSING,
        "The budget is under the cap: not met (budget 2,000,000 <= 1,000,000)",
        id="not-met-waived-by-the-wrong-role",
    ),
    pytest.param(
        {"budget": "100"},
        [],
        "criterion:vendor_vetted",
        Status.MISSING,
        "The vendor is vetted: cannot be checked yet (vendor (not set))",
        id="unevaluable",
    ),
    pytest.param(
        {"budget": "400000", "vendor": "no"},
        [],
        "criterion:large_only",
        Status.MISSING,
        "Large projects are regulated: not met (regulated (false))"
        ' (required because tier large == "large")',
        id="not-met-with-a-when-says-why-it-applies",
    ),
    pytest.param(
        {"budget": "100", "vendor": "no"},
        [],
        "criterion:large_only",
        Status.NOT_APPLICABLE,
        'Not needed: only when tier small == "large"',
        id="not-applicable",
    ),
]


@pytest.mark.parametrize(("raw", "waivers", "key", "status", "reason"), CRITERION_CASES)
def test_a_criterion_is_met_not_met_waived_or_cannot_be_checked(
    raw: dict[str, str], waivers: list, key: str, status: Status, reason: str
) -> None:
    values, _ = read_facts(matrix().facts, raw)
    line = line_of(state(matrix(), values, waivers=waivers), key)
    assert (line.status, line.reason) == (status, reason)


def test_a_criterion_that_cannot_be_checked_blocks_the_gate() -> None:
    values = facts_for(matrix(), budget="100", vendor="no")
    del values["vendor"]
    result = report(matrix(), "start", state(matrix(), values))
    assert "criterion:vendor_vetted" in [line.key for line in result.blocking]
    assert not result.ready_to_submit


# --- sign-offs -------------------------------------------------------------------------------

QUORUM_CASES = [
    pytest.param([], Status.MISSING, "Architecture board sign-off required: 0 of 2 signed", id="0"),
    pytest.param(
        [signature("ann", "architecture")],
        Status.MISSING,
        "Architecture board sign-off required: 1 of 2 signed",
        id="1",
    ),
    pytest.param(
        [signature("ann", "architecture"), signature("bob", "architecture")],
        Status.SATISFIED,
        "Architecture board sign-off: signed by ann, bob",
        id="2",
    ),
    pytest.param(
        [
            signature("ann", "architecture"),
            signature("bob", "architecture", Decision.CONDITIONAL_GO),
        ],
        Status.SATISFIED,
        "Architecture board sign-off: signed by ann, bob",
        id="conditional-go-approves",
    ),
    pytest.param(
        [signature("ann", "architecture"), signature("ann", "architecture")],
        Status.MISSING,
        "Architecture board sign-off required: 1 of 2 signed",
        id="same-signer-twice-counts-once",
    ),
    pytest.param(
        [signature("ann", "architecture"), signature("dan", "architecture", on_behalf_of="ann")],
        Status.MISSING,
        "Architecture board sign-off required: 1 of 2 signed",
        id="delegate-and-principal-count-once",
    ),
    pytest.param(
        [signature("dan", "architecture", on_behalf_of="ann"), signature("bob", "architecture")],
        Status.SATISFIED,
        "Architecture board sign-off: signed by dan, bob",
        id="delegated-signature-counts-for-the-principal",
    ),
    pytest.param(
        [
            signature("ann", "architecture", snapshot=OLD_SNAPSHOT),
            signature("bob", "architecture"),
        ],
        Status.MISSING,
        "Architecture board sign-off required: 1 of 2 signed",
        id="old-snapshot-does-not-count",
    ),
    pytest.param(
        [signature("ann", "architecture"), signature("bob", "sponsor")],
        Status.MISSING,
        "Architecture board sign-off required: 1 of 2 signed",
        id="another-role-does-not-count",
    ),
    pytest.param(
        [
            signature("ann", "architecture"),
            signature("bob", "architecture"),
            signature("cy", "architecture", RECYCLE, comment="No DR design"),
        ],
        Status.MISSING,
        "Architecture board sign-off required: 2 of 2 signed; cy decided recycle",
        id="an-objection-blocks-a-met-quorum",
    ),
    pytest.param(
        [signature("ann", "architecture"), signature("cy", "architecture", Decision.KILL)],
        Status.MISSING,
        "Architecture board sign-off required: 1 of 2 signed; cy decided kill",
        id="a-kill-is-an-objection",
    ),
    pytest.param(
        [
            signature("ann", "architecture"),
            signature("bob", "architecture"),
            signature("cy", "architecture", RECYCLE, snapshot=OLD_SNAPSHOT),
        ],
        Status.SATISFIED,
        "Architecture board sign-off: signed by ann, bob",
        id="an-objection-on-an-old-snapshot-is-superseded",
    ),
]


@pytest.mark.parametrize(("signatures", "status", "reason"), QUORUM_CASES)
def test_a_quorum_sign_off_counts_current_approvals_of_distinct_principals(
    signatures: list, status: Status, reason: str
) -> None:
    line = line_of(small_vendor_project(signatures=signatures), "signoff:architecture")
    assert (line.status, line.reason) == (status, reason)


def test_a_waived_sign_off_needs_no_signature() -> None:
    project = state(
        matrix(),
        facts_for(matrix(), budget="400000", vendor="no"),
        waivers=[waiver("signoff:finance", "pmo", justification="CFO signed on paper")],
    )
    line = line_of(project, "signoff:finance")
    assert (line.status, line.reason) == (
        Status.WAIVED,
        "Waived by pat (pmo) until 2026-07-01: CFO signed on paper",
    )


OR_REASON_CASES = [
    pytest.param(
        {"budget": "400000", "regulated": "no"},
        "Finance controller sign-off required because budget 400,000 > 250,000 (tier: large):"
        " 0 of 1 signed",
        id="only-the-budget-held",
    ),
    pytest.param(
        {"budget": "100", "regulated": "yes"},
        "Finance controller sign-off required because regulated (true) (tier: small):"
        " 0 of 1 signed",
        id="only-regulated-held",
    ),
    pytest.param(
        {"budget": "400000", "regulated": "yes"},
        "Finance controller sign-off required because budget 400,000 > 250,000 or regulated (true)"
        " (tier: large): 0 of 1 signed",
        id="both-held",
    ),
]


@pytest.mark.parametrize(("raw", "reason"), OR_REASON_CASES)
def test_the_reason_for_an_or_condition_names_only_the_parts_that_held(
    raw: dict[str, str], reason: str
) -> None:
    project = state(matrix(), facts_for(matrix(), vendor="no", **raw))
    assert line_of(project, "signoff:finance").reason == reason


def test_a_condition_that_does_not_hold_is_described_in_full() -> None:
    project = state(matrix(), facts_for(matrix(), budget="100", vendor="no"))
    assert line_of(project, "signoff:finance").reason == (
        "Not needed: only when budget 100 > 250,000 or regulated (false)"
    )


# --- the whole gate --------------------------------------------------------------------------


def complete_start_evidence() -> dict[str, Any]:
    return {"evidence": [evidence("charter"), evidence("contract")]}


def test_ready_to_submit_ignores_sign_offs_but_ready_to_decide_needs_them() -> None:
    project = small_vendor_project(**complete_start_evidence())
    result = report(matrix(), "start", project)
    assert result.ready_to_submit
    assert not result.ready_to_decide
    assert result.reasons(signoffs=False) == []
    assert [line.key for line in result.blocking] == ["signoff:sponsor", "signoff:architecture"]
    assert result.reasons() == [
        "Project sponsor sign-off required: 0 of 1 signed",
        "Architecture board sign-off required: 0 of 2 signed",
    ]


def test_a_gate_with_evidence_and_every_signature_is_ready_to_decide() -> None:
    signatures = [
        signature("sam", "sponsor"),
        signature("ann", "architecture"),
        signature("bob", "architecture"),
    ]
    project = small_vendor_project(signatures=signatures, **complete_start_evidence())
    result = report(matrix(), "start", project)
    assert (result.ready_to_submit, result.ready_to_decide, result.blocking) == (True, True, ())


def test_missing_evidence_blocks_submission_even_when_everyone_has_signed() -> None:
    signatures = [
        signature("sam", "sponsor"),
        signature("ann", "architecture"),
        signature("bob", "architecture"),
    ]
    project = small_vendor_project(signatures=signatures, evidence=[evidence("charter")])
    result = report(matrix(), "start", project)
    assert (result.ready_to_submit, result.ready_to_decide) == (False, False)
    assert result.reasons() == [
        "Vendor contract is missing (required because vendor (true) (tier: small))"
    ]


def test_a_gate_is_skipped_when_its_skip_when_holds() -> None:
    project = state(matrix(), facts_for(matrix(), budget="100", vendor="no"))
    result = report(matrix(), "ship", project)
    assert result.lines == ()
    assert (
        result.skipped
        == 'Ship gate is skipped because tier small == "small" and not regulated (false)'
    )
    assert (result.ready_to_submit, result.ready_to_decide) == (True, True)


@pytest.mark.parametrize(
    ("raw", "tier"),
    [
        pytest.param({"budget": "100", "regulated": "yes"}, None, id="small-but-regulated"),
        pytest.param({"budget": "400000"}, None, id="large"),
        pytest.param({"budget": "100"}, "small", id="regulated-unknown-is-not-skipped"),
    ],
)
def test_a_gate_is_not_skipped_when_its_skip_when_does_not_hold_or_cannot_be_checked(
    raw: dict[str, str], tier: str | None
) -> None:
    values = facts_for(matrix(), vendor="no", **raw)
    if tier:
        del values["regulated"]
    project = state(matrix(), values, tier=tier)
    result = report(matrix(), "ship", project)
    assert result.skipped == ""
    assert skip_reason(gate(matrix(), "ship"), project) == ""
    assert [line.key for line in result.lines] == [
        "signoff:architecture",
        "signoff:finance",
        "signoff:sponsor",
    ]


def test_readiness_of_all_gates_lists_each_gate_in_policy_order() -> None:
    project = small_vendor_project()
    reports = readiness_of_all(matrix(), project, NOW)
    assert [r.gate.id for r in reports] == ["start", "ship"]
    assert reports[1].skipped.startswith("Ship gate is skipped")


# --- the standard policy ---------------------------------------------------------------------


def test_the_finance_sign_off_says_why_it_is_required_for_a_budget_of_400000() -> None:
    policy = standard()
    project = state(policy, standard_facts(budget="400000"))
    assert project.tier == "large"
    line = readiness(policy, gate(policy, "initiation"), project, NOW).line("signoff:finance")
    assert line is not None
    assert line.title == "Finance business partner sign-off"
    assert line.status is Status.MISSING
    assert line.why == " because budget 400,000 > 250,000 (tier: large)"
    assert line.reason == (
        "Finance business partner sign-off required because budget 400,000 > 250,000"
        " (tier: large): 0 of 1 signed"
    )


@pytest.mark.parametrize(
    ("budget", "status"),
    [("250000", Status.NOT_APPLICABLE), ("250001", Status.MISSING)],
)
def test_the_finance_sign_off_applies_only_over_250000(budget: str, status: Status) -> None:
    project = state(standard(), standard_facts(budget=budget))
    line = report(standard(), "initiation", project).line("signoff:finance")
    assert line is not None
    assert line.status is status


def test_applicability_says_why_each_requirement_applies_or_not() -> None:
    policy = standard()
    project = state(policy, standard_facts(budget="400000", handles_personal_data="no"))
    items = {
        item.requirement.key: item
        for item in applicability(policy, gate(policy, "planning"), project, NOW)
    }
    assert (
        items["artifact:scope_statement"].applies,
        items["artifact:scope_statement"].reason,
    ) == (
        True,
        "Required at this gate",
    )
    assert (
        items["signoff:architecture"].reason == 'Required because tier large in ["major", "large"]'
    )
    assert (items["signoff:security"].applies, items["signoff:security"].reason) == (
        False,
        "Not needed: only when handles_personal_data (false)",
    )
    assert items["signoff:security"].title == "Information security sign-off"


def test_applicability_says_when_a_condition_cannot_be_checked() -> None:
    policy = matrix()
    project = ProjectState(
        facts={"budget": facts_for(policy, budget="1", vendor="no")["budget"]}, tier="small"
    )
    items = {
        i.requirement.key: i for i in applicability(policy, gate(policy, "start"), project, NOW)
    }
    assert (items["artifact:contract"].applies, items["artifact:contract"].reason) == (
        True,
        "Required because its condition cannot be checked yet (vendor (not set))",
    )


# --- how conditions are put into words ------------------------------------------------------

STRING_LITERAL_POLICY = """\
id: words
version: 1
title: Words
facts:
  unit:
    type: text
    required: false
roles:
  sponsor:
    title: Sponsor
tiers:
  - id: small
gates:
  - id: g1
    name: G1
    stage: s1
    artifacts:
      - id: plan
        title: Plan
        kind: file
        when: has(project.unit) && project.unit == "Finance 2024"
"""


STRING_LITERALS = [
    pytest.param('"Finance 2024"', id="digits"),
    pytest.param('"tier one"', id="the-word-tier"),
    pytest.param('"R&&D"', id="and-operator"),
    pytest.param('"Go!"', id="not-operator"),
    pytest.param('"see project.unit"', id="a-fact-reference"),
]


@pytest.mark.parametrize("literal", STRING_LITERALS)
def test_a_quoted_string_in_a_condition_is_shown_as_written(literal: str) -> None:
    text = STRING_LITERAL_POLICY.replace('"Finance 2024"', literal)
    policy = parse_policy(text, "words.yaml")
    project = ProjectState(facts={"unit": "Finance"}, tier="small")
    line = readiness(policy, policy.gates[0], project, NOW).line("artifact:plan")
    assert line is not None
    assert line.reason == f"Not needed: only when unit is set and unit Finance == {literal}"
