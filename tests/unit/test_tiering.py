"""Tiering: the first tier whose rule holds, at every boundary of the shipped policies."""

from __future__ import annotations

import pytest

from gates.tiering import classify
from policies import Policy, parse_policy, read_facts
from tests.unit.gate_fixtures import facts_for, lite, standard, standard_facts

STANDARD_BOUNDARIES = [
    # budget thresholds of a medium-risk, unregulated, 12-month project
    pytest.param({"budget": "1000001"}, "major", id="major-one-over-1m"),
    pytest.param({"budget": "1000000"}, "major", id="major-exactly-1m"),
    pytest.param({"budget": "999999"}, "large", id="large-one-under-1m"),
    pytest.param({"budget": "250001"}, "large", id="large-one-over-250k"),
    pytest.param({"budget": "250000.01"}, "large", id="large-a-cent-over-250k"),
    pytest.param({"budget": "250000"}, "medium", id="medium-exactly-250k"),
    pytest.param({"budget": "249999"}, "medium", id="medium-one-under-250k"),
    pytest.param({"budget": "50001", "duration_months": 6}, "medium", id="medium-one-over-50k"),
    pytest.param({"budget": "50000", "duration_months": 6}, "medium", id="medium-exactly-50k"),
    pytest.param({"budget": "49999", "duration_months": 6}, "small", id="small-one-under-50k"),
    pytest.param({"budget": "49999.99", "duration_months": 6}, "small", id="small-a-cent-under"),
    # duration
    pytest.param({"budget": "1000", "duration_months": 7}, "medium", id="medium-7-months"),
    pytest.param({"budget": "1000", "duration_months": 6}, "small", id="small-6-months"),
    # risk
    pytest.param({"budget": "1000", "risk": "critical"}, "major", id="major-critical-risk"),
    pytest.param({"budget": "1000", "risk": "high"}, "large", id="large-high-risk"),
    pytest.param({"budget": "1000", "risk": "low", "duration_months": 3}, "small", id="low"),
    # regulated
    pytest.param({"budget": "250000", "regulated": "yes"}, "major", id="major-regulated-250k"),
    pytest.param({"budget": "249999", "regulated": "yes"}, "large", id="large-regulated-under"),
    pytest.param(
        {"budget": "0", "regulated": "yes", "duration_months": 1}, "large", id="large-regulated"
    ),
    # first match wins
    pytest.param({"budget": "2000000", "risk": "high"}, "major", id="major-before-large"),
    pytest.param({"budget": "300000", "duration_months": 40}, "large", id="large-before-medium"),
]


@pytest.mark.parametrize(("raw", "tier"), STANDARD_BOUNDARIES)
def test_the_standard_policy_chooses_the_tier_at_each_boundary(
    raw: dict[str, object], tier: str
) -> None:
    choice = classify(standard(), standard_facts(**raw))
    assert (choice.tier.id, choice.unchecked) == (tier, ())


REASONS = [
    pytest.param({"budget": "250001"}, "Large because budget 250,001 > 250,000", id="budget"),
    pytest.param(
        {"budget": "1000", "risk": "critical"},
        'Major because risk critical == "critical"',
        id="risk",
    ),
    pytest.param(
        {"budget": "250000", "regulated": "yes"},
        "Major because (regulated (true) and budget 250,000 >= 250,000)",
        id="regulated-and-budget",
    ),
    pytest.param(
        {"budget": "1000", "duration_months": 7},
        "Medium because duration_months 7 > 6",
        id="duration",
    ),
    pytest.param(
        {"budget": "2000000", "risk": "critical"},
        'Major because budget 2,000,000 >= 1,000,000 or risk critical == "critical"',
        id="two-parts-held",
    ),
    pytest.param(
        {"budget": "1000", "duration_months": 2},
        "Small: no other tier's rule holds (the default)",
        id="default",
    ),
]


@pytest.mark.parametrize(("raw", "reason"), REASONS)
def test_the_tier_reason_names_the_parts_of_the_rule_that_held(
    raw: dict[str, object], reason: str
) -> None:
    assert classify(standard(), standard_facts(**raw)).reason == reason


@pytest.mark.parametrize(
    ("budget", "tier"),
    [("24999", "small"), ("25000", "standard"), ("25001", "standard")],
)
def test_the_lite_policy_splits_at_25000(budget: str, tier: str) -> None:
    facts = facts_for(lite(), budget=budget, risk="low")
    assert classify(lite(), facts).tier.id == tier


UNCHECKED = [
    pytest.param(
        {"budget": "10", "risk": "low", "regulated": False},
        "small",
        ("medium",),
        id="duration-unset-skips-medium",
    ),
    pytest.param(
        {"budget": "60000", "risk": "low", "regulated": False},
        "medium",
        (),
        id="budget-alone-decides-medium",
    ),
    pytest.param(
        {"budget": "10", "duration_months": 3, "regulated": False},
        "small",
        ("major", "large"),
        id="risk-unset-skips-major-and-large",
    ),
    pytest.param(
        {"budget": "10", "duration_months": 3, "regulated": False, "risk": "critical"},
        "major",
        (),
        id="nothing-unset",
    ),
]


@pytest.mark.parametrize(("raw", "tier", "unchecked"), UNCHECKED)
def test_a_rule_reading_an_unset_fact_is_passed_over_and_named(
    raw: dict[str, object], tier: str, unchecked: tuple[str, ...]
) -> None:
    values, _ = read_facts(standard().facts, raw)
    choice = classify(standard(), values)
    assert (choice.tier.id, choice.unchecked) == (tier, unchecked)


ORDERED = """\
id: ordered
version: 1
title: Ordered
facts:
  budget:
    type: money
roles:
  sponsor:
    title: Sponsor
tiers:
  - id: {first}
    title: {first_title}
    when: project.budget > {first_limit}
  - id: {second}
    when: project.budget > {second_limit}
  - id: rest
    title: Everything else
gates:
  - id: g1
    name: G1
    stage: s1
"""


def ordered_policy(first: tuple[str, int], second: tuple[str, int]) -> Policy:
    text = ORDERED.format(
        first=first[0],
        first_title=first[0].title(),
        first_limit=first[1],
        second=second[0],
        second_limit=second[1],
    )
    return parse_policy(text, "ordered.yaml")


@pytest.mark.parametrize(
    ("first", "second", "chosen"),
    [
        pytest.param(("big", 1000), ("mid", 100), "big", id="big-first"),
        pytest.param(("mid", 100), ("big", 1000), "mid", id="mid-first-shadows-big"),
    ],
)
def test_the_first_tier_whose_rule_holds_wins(
    first: tuple[str, int], second: tuple[str, int], chosen: str
) -> None:
    policy = ordered_policy(first, second)
    facts = facts_for(policy, budget="5000")
    assert classify(policy, facts).tier.id == chosen


def test_the_last_tier_is_the_default_and_says_so() -> None:
    policy = ordered_policy(("big", 1000), ("mid", 100))
    choice = classify(policy, facts_for(policy, budget="100"))
    assert (choice.tier.id, choice.reason, choice.unchecked) == (
        "rest",
        "Everything else: no other tier's rule holds (the default)",
        (),
    )
