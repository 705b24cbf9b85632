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
    assert regulated_400k.tier.reason == (
        "Major because (regulated (true) and budget 400,000 >= 250,000)"
    )
    assert regulated_400k.tier.unchecked == ()


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
            ("artifact:vendor_contract", "Not needed: only when vendor_involved (false)"),
            (
                "artifact:privacy_impact_assessment",
                "Not needed: only when handles_personal_data (false)",
            ),
            ("signoff:security", "Not needed: only when handles_personal_data (false)"),
        ],
        id="planning",
    ),
    pytest.param(
        "execution",
        [
            (
                "artifact:decommissioning_plan",
                "Not needed: only when replaces_legacy_system (false)",
            )
        ],
        id="execution",
    ),
    pytest.param("cutover", [], id="cutover"),
    pytest.param(
        "closure",
        [
            ("artifact:vendor_closure", "Not needed: only when vendor_involved (false)"),
            (
                "artifact:decommissioning_record",
                "Not needed: only when replaces_legacy_system (false)",
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
        "Required because budget 400,000 > 250,000 (tier: major)",
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
        'Required because tier major != "small"',
        id="business-case-by-tier",
    ),
    pytest.param(
        "planning",
        "artifact:validation_plan",
        "Validation plan",
        "Required because regulated (true) (tier: major)",
        id="validation-plan-because-regulated",
    ),
    pytest.param(
        "planning",
        "signoff:validation",
        "Quality / validation sign-off",
        "Required because regulated (true) (tier: major)",
        id="validation-signoff",
    ),
    pytest.param(
        "execution",
        "artifact:security_assessment",
        "Security assessment (penetration test or vulnerability scan)",
        'Required because tier major == "major"',
        id="or-names-only-the-part-that-held",
    ),
    pytest.param(
        "closure",
        "signoff:finance",
        "Finance business partner sign-off",
        "Required because budget 400,000 > 250,000 (tier: major)",
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
    assert finance.reason == "Not needed: only when budget 10,000 > 250,000"


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
        "Required because its condition cannot be checked yet (vendor_involved (not set))"
    )


def test_a_skipped_gate_says_why() -> None:
    explanation = explain(matrix(), facts_for(matrix(), budget="100", vendor="no"), NOW)
    assert needs(explanation, "ship").skipped == (
        'Ship gate is skipped because tier small == "small" and not regulated (false)'
    )
    assert needs(explanation, "start").skipped == ""


def test_a_skipped_gate_lists_no_requirement_as_required() -> None:
    explanation = explain(matrix(), facts_for(matrix(), budget="100", vendor="no"), NOW)
    assert needs(explanation, "ship").required == ()
