"""Explain: what a project with given facts needs at every gate, and why."""

from __future__ import annotations

import pytest

from gates.explain import Explanation, GateNeeds, explain
from tests.unit.gate_fixtures import NOW, facts_for, matrix, standard, standard_facts


@pytest.fixture(scope="module")
def regulated_400k() -> Explanation:
    """The standard policy for a regulated project of 400,000 (medium risk, 12 months)."""
    return explain(standard(), standard_facts(budget="400000", regulated="true"), NOW)


def needs(explanation: Explanation, gate_id: str) -> GateNeeds:
    return next(n for n in explanation.gates if n.gate.id == gate_id)


def test_a_regulated_400k_project_is_major_because_of_the_regulated_rule(
    regulated_400k: Explanation,
) -> None:
    assert regulated_400k.tier.tier.id == "major"
    assert regulated_400k.tier_reason == (
        "Major because regulated is true and budget 400,000 is at least 250,000"
    )
    assert regulated_400k.tier.unchecked == ()
    assert regulated_400k.passed_over == ()


def test_every_gate_is_explained_in_order_and_none_is_skipped(regulated_400k: Explanation) -> None:
    assert [(n.gate.id, n.skipped) for n in regulated_400k.gates] == [
        ("initiation", ""),
        ("planning", ""),
        ("execution", ""),
        ("cutover", ""),
        ("closure", ""),
    ]


NOT_NEEDED = [
    pytest.param("initiation", [], id="initiation"),
    pytest.param(
        "planning",
        [
            ("artifact:vendor_contract", "Not needed because vendor involved is false"),
            (
                "artifact:privacy_impact_assessment",
                "Not needed because handles personal data is false",
            ),
            ("signoff:security", "Not needed because handles personal data is false"),
        ],
        id="planning",
    ),
    pytest.param(
        "execution",
        [
            (
                "artifact:decommissioning_plan",
                "Not needed because replaces legacy system is false",
            )
        ],
        id="execution",
    ),
    pytest.param("cutover", [], id="cutover"),
    pytest.param(
        "closure",
        [
            ("artifact:vendor_closure", "Not needed because vendor involved is false"),
            (
                "artifact:decommissioning_record",
                "Not needed because replaces legacy system is false",
            ),
        ],
        id="closure",
    ),
]


@pytest.mark.parametrize(("gate_id", "expected"), NOT_NEEDED)
def test_the_requirements_skipped_at_each_gate_say_when_they_would_apply(
    regulated_400k: Explanation, gate_id: str, expected: list[tuple[str, str]]
) -> None:
    skipped = needs(regulated_400k, gate_id).not_needed
    assert [(i.requirement.key, i.reason) for i in skipped] == expected
    assert all(not i.applies for i in skipped)


REQUIRED = [
    pytest.param(
        "initiation",
        "signoff:finance",
        "Finance business partner sign-off",
        "Required because budget 400,000 is over 250,000",
        id="finance-at-g1",
    ),
    pytest.param(
        "initiation",
        "artifact:project_charter",
        "Project charter",
        "Required at this gate",
        id="charter-always",
    ),
    pytest.param(
        "initiation",
        "artifact:business_case",
        "Business case",
        "Required because tier is major, not small",
        id="business-case-by-tier",
    ),
    pytest.param(
        "planning",
        "artifact:validation_plan",
        "Validation plan",
        "Required because regulated is true",
        id="validation-plan-because-regulated",
    ),
    pytest.param(
        "planning",
        "signoff:validation",
        "Quality / validation sign-off",
        "Required because regulated is true",
        id="validation-signoff",
    ),
    pytest.param(
        "execution",
        "artifact:security_assessment",
        "Security assessment (penetration test or vulnerability scan)",
        "Required because tier is major",
        id="or-names-only-the-part-that-held",
    ),
    pytest.param(
        "closure",
        "signoff:finance",
        "Finance business partner sign-off",
        "Required because budget 400,000 is over 250,000",
        id="finance-at-g5",
    ),
]


@pytest.mark.parametrize(("gate_id", "key", "title", "reason"), REQUIRED)
def test_each_requirement_that_applies_says_why(
    regulated_400k: Explanation, gate_id: str, key: str, title: str, reason: str
) -> None:
    item = next(i for i in needs(regulated_400k, gate_id).required if i.requirement.key == key)
    assert (item.applies, item.title, item.reason) == (True, title, reason)


def test_every_requirement_is_either_required_or_not_needed(regulated_400k: Explanation) -> None:
    for gate_needs in regulated_400k.gates:
        listed = [i.requirement for i in (*gate_needs.required, *gate_needs.not_needed)]
        assert sorted(r.key for r in listed) == sorted(r.key for r in gate_needs.gate.requirements)


def test_a_small_unregulated_project_needs_no_finance_sign_off() -> None:
    explanation = explain(standard(), standard_facts(budget="10000", duration_months=3), NOW)
    assert explanation.tier.tier.id == "small"
    finance = next(
        i
        for i in needs(explanation, "initiation").not_needed
        if i.requirement.key == "signoff:finance"
    )
    assert finance.reason == "Not needed because budget 10,000 is at most 250,000"


def test_a_rule_that_cannot_be_checked_is_named_and_its_requirement_applies() -> None:
    facts = standard_facts(budget="10000", duration_months=3)
    del facts["risk"], facts["vendor_involved"]
    explanation = explain(standard(), facts, NOW)
    assert (explanation.tier.tier.id, explanation.tier.unchecked) == ("small", ("major", "large"))
    contract = next(
        i
        for i in needs(explanation, "planning").required
        if i.requirement.key == "artifact:vendor_contract"
    )
    assert contract.reason == (
        "Required because its condition cannot be checked yet: vendor involved is not set"
    )


def test_a_skipped_gate_says_why() -> None:
    explanation = explain(matrix(), facts_for(matrix(), budget="100", vendor="no"), NOW)
    assert needs(explanation, "ship").skipped == (
        "Ship gate is skipped because tier is small and regulated is false"
    )
    assert needs(explanation, "start").skipped == ""


def test_a_skipped_gate_lists_no_requirement_as_required() -> None:
    explanation = explain(matrix(), facts_for(matrix(), budget="100", vendor="no"), NOW)
    assert needs(explanation, "ship").required == ()


# --- criteria: do they pass for these facts, and why ------------------------------------------


def check(explanation: Explanation, gate_id: str, criterion_id: str) -> tuple[str, str]:
    key = f"criterion:{criterion_id}"
    need = next(n for n in needs(explanation, gate_id).checks if n.requirement.key == key)
    return need.verdict, need.verdict_reason


LARGE_10_MONTHS = {"budget": "600000", "risk": "high", "duration_months": 10}
CHECKS = [
    pytest.param(
        {}, "initiation", "phased_delivery",
        ("passes", "passes because duration 10 months is at most 36"), id="passes",
    ),
    pytest.param(
        {"duration_months": 40}, "planning", "phased_delivery",
        ("fails", "fails because duration 40 months is over 36"), id="fails",
    ),
    pytest.param(
        {}, "initiation", "business_unit_recorded",
        ("fails", "fails because business unit is not set"), id="guard-unset-fails",
    ),
    pytest.param(
        {"business_unit": "Finance"}, "initiation", "business_unit_recorded",
        ("passes", "passes because business unit is set and length of business unit 7 is over 0"),
        id="guard-set-passes",
    ),
    pytest.param(
        {"regulated": "true", "risk": "low", "budget": "10000"},
        "initiation", "compliance_risk_rating",
        ("fails", "fails because regulated is true and risk is low"), id="negation-fails",
    ),
    pytest.param(
        {"risk": "critical"}, "cutover", "risk_not_critical",
        ("fails", "fails because risk is critical"), id="not-equal-fails",
    ),
    pytest.param(
        {}, "planning", "go_live_date_set",
        ("fails", "fails because go live date is not set"), id="has-unset",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "gate_id", "criterion_id", "expected"), CHECKS)
def test_each_criterion_that_applies_says_whether_it_passes_and_why(
    facts: dict[str, object], gate_id: str, criterion_id: str, expected: tuple[str, str]
) -> None:
    explanation = explain(standard(), standard_facts(**{**LARGE_10_MONTHS, **facts}), NOW)
    assert check(explanation, gate_id, criterion_id) == expected


def test_a_criterion_reading_a_fact_that_is_not_set_cannot_be_told_yet() -> None:
    facts = standard_facts(**LARGE_10_MONTHS)
    del facts["duration_months"]
    explanation = explain(standard(), facts, NOW)
    assert check(explanation, "initiation", "phased_delivery") == (
        "cannot tell yet",
        "cannot tell yet: duration months is not set",
    )


def test_a_criterion_that_does_not_apply_is_not_checked() -> None:
    explanation = explain(standard(), standard_facts(budget="10000", duration_months=3), NOW)
    assert explanation.tier.tier.id == "small"
    [business_unit] = [
        n for n in needs(explanation, "initiation").not_needed
        if n.requirement.key == "criterion:business_unit_recorded"
    ]  # fmt: skip
    assert (business_unit.check, business_unit.verdict) == (None, "")
    assert business_unit.reason == "Not needed because tier is small"


def test_only_criteria_are_checked_and_every_criterion_that_applies_is() -> None:
    explanation = explain(standard(), standard_facts(**LARGE_10_MONTHS), NOW)
    initiation = needs(explanation, "initiation")
    assert [n.requirement.key for n in initiation.checks] == [
        "criterion:phased_delivery",
        "criterion:compliance_risk_rating",
        "criterion:business_unit_recorded",
    ]


def test_the_tiers_tried_before_the_chosen_one_say_why_they_did_not_hold() -> None:
    explanation = explain(standard(), standard_facts(**LARGE_10_MONTHS), NOW)
    assert explanation.tier_reason == "Large because budget 600,000 is over 250,000 or risk is high"
    assert explanation.passed_over == (
        "Not Major because budget 600,000 is under 1,000,000 and risk is high, not critical"
        " and regulated is false",
    )


def test_a_tier_rule_that_cannot_be_told_yet_says_which_fact_is_missing() -> None:
    facts = standard_facts(budget="10000", duration_months=3)
    del facts["risk"]
    explanation = explain(standard(), facts, NOW)
    assert explanation.passed_over == (
        "Major cannot be told yet: risk is not set",
        "Large cannot be told yet: risk is not set",
        "Not Medium because budget 10,000 is under 50,000 and duration 3 months is at most 6",
    )
    assert explanation.tier_reason == "Small: no other tier's rule holds (the default)"
