"""A condition said as a sentence a sponsor reads, with the project's values in it."""

from __future__ import annotations

import itertools
from datetime import date

import cel
import pytest

from gates.sentences import Part, in_words
from policies import FactValue
from policies.conditions import Names, compile_condition, evaluation_context
from policies.model import Condition, Criterion
from tests.unit.gate_fixtures import lite, standard, standard_facts

LARGE = {"budget": "600000", "risk": "high", "duration_months": 10}


def condition(source: str) -> Condition:
    """`source` compiled and checked against the standard policy's facts and tiers."""
    policy = standard()
    names = Names({f.id: f for f in policy.facts}, [t.id for t in policy.tiers])
    compiled, problems = compile_condition(source, names)
    assert compiled is not None, problems
    return compiled


def said(source: str, tier: str = "large", **facts: object) -> tuple[bool | None, str]:
    values = standard_facts(**{**LARGE, **facts})
    sentence = in_words(condition(source), values, tier)
    return sentence.held, sentence.text


COMPARISONS = [
    ("project.budget > 250000.0", {}, True, "budget 600,000 is over 250,000"),
    ("project.budget > 250000.0", {"budget": "250000"}, False, "budget 250,000 is at most 250,000"),
    ("project.budget >= 250000.0", {"budget": "250000"}, True,
     "budget 250,000 is at least 250,000"),
    ("project.budget >= 250000.0", {"budget": "249999.99"}, False,
     "budget 249,999.99 is under 250,000"),
    ("project.budget < 50000.0", {"budget": "49999"}, True, "budget 49,999 is under 50,000"),
    ("project.budget < 50000.0", {}, False, "budget 600,000 is at least 50,000"),
    ("project.duration_months <= 36", {"duration_months": 36}, True,
     "duration 36 months is at most 36"),
    ("project.duration_months <= 36", {"duration_months": 37}, False,
     "duration 37 months is over 36"),
    ('project.risk == "high"', {}, True, "risk is high"),
    ('project.risk == "low"', {}, False, "risk is high, not low"),
    ('project.risk != "low"', {}, True, "risk is high, not low"),
    ('project.risk != "high"', {}, False, "risk is high"),
    ('project.risk in ["high", "critical"]', {}, True, "risk high is one of high, critical"),
    ('project.risk in ["low", "medium"]', {}, False, "risk high is not one of low, medium"),
    ("250000.0 < project.budget", {}, True, "budget 600,000 is over 250,000"),
    ("project.regulated == true", {"regulated": "yes"}, True, "regulated is true"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "facts", "held", "text"), COMPARISONS)
def test_each_comparison_says_the_value_and_how_it_compares(
    source: str, facts: dict[str, object], held: bool, text: str
) -> None:
    assert said(source, **facts) == (held, text)


TIER = [
    ('tier != "small"', "large", True, "tier is large, not small"),
    ('tier != "small"', "small", False, "tier is small"),
    ('tier == "small"', "large", False, "tier is large, not small"),
    ('tier == "small"', "small", True, "tier is small"),
    ('tier in ["major", "large"]', "large", True, "tier large is one of major, large"),
    ('tier in ["major", "large"]', "medium", False, "tier medium is not one of major, large"),
]


@pytest.mark.parametrize(("source", "tier", "held", "text"), TIER)
def test_a_tier_rule_names_the_tier_and_the_one_it_was_compared_with(
    source: str, tier: str, held: bool, text: str
) -> None:
    assert said(source, tier) == (held, text)


NEGATIONS = [
    ("!project.regulated", {}, True, "regulated is false"),
    ("!project.regulated", {"regulated": "yes"}, False, "regulated is true"),
    ("project.regulated", {}, False, "regulated is false"),
    ("!(project.regulated && project.budget > 250000.0)", {}, True, "regulated is false"),
    ("!(project.regulated && project.budget > 250000.0)", {"regulated": "yes"}, False,
     "regulated is true and budget 600,000 is over 250,000"),
    ("!(project.regulated || project.handles_personal_data)", {}, True,
     "regulated is false and handles personal data is false"),
    ('!(project.risk == "low")', {}, True, "risk is high, not low"),
    ("!!project.regulated", {}, False, "regulated is false"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "facts", "held", "text"), NEGATIONS)
def test_a_negation_says_what_is_true_of_the_project(
    source: str, facts: dict[str, object], held: bool, text: str
) -> None:
    assert said(source, **facts) == (held, text)


GUARDS = [
    ("has(project.business_unit)", {}, False, "business unit is not set"),
    ("has(project.business_unit)", {"business_unit": "Finance"}, True, "business unit is set"),
    ("!has(project.go_live_date)", {}, True, "go live date is not set"),
    ("has(project.business_unit) && size(project.business_unit) > 0", {}, False,
     "business unit is not set"),
    ("has(project.business_unit) && size(project.business_unit) > 0",
     {"business_unit": "Finance"}, True,
     "business unit is set and length of business unit 7 is over 0"),
    ('has(project.go_live_date) && project.go_live_date < timestamp("2027-01-01T00:00:00Z")',
     {"go_live_date": "2026-09-01"}, True,
     "go live date is set and go live date 2026-09-01 is before 2027-01-01"),
    ('has(project.go_live_date) && project.go_live_date < timestamp("2027-01-01T00:00:00Z")',
     {"go_live_date": "2027-03-01"}, False, "go live date 2027-03-01 is on or after 2027-01-01"),
    ('has(project.go_live_date) && project.go_live_date < timestamp("2027-01-01T00:00:00Z")',
     {}, False, "go live date is not set"),
    ('has(project.business_unit) && project.business_unit.startsWith("Fin")',
     {"business_unit": "Sales"}, False, 'business unit Sales does not start with "Fin"'),
    ('has(project.business_unit) && project.business_unit.contains("an")',
     {"business_unit": "Finance"}, True,
     'business unit is set and business unit Finance contains "an"'),
]  # fmt: skip


@pytest.mark.parametrize(("source", "facts", "held", "text"), GUARDS)
def test_a_has_guard_says_set_or_not_set_and_then_the_rule_it_guards(
    source: str, facts: dict[str, object], held: bool, text: str
) -> None:
    assert said(source, **facts) == (held, text)


MAJOR = (
    'project.budget >= 1000000.0 || project.risk == "critical"'
    " || (project.regulated && project.budget >= 250000.0)"
)
COMPLIANCE = '!(project.regulated || project.handles_personal_data) || project.risk != "low"'
BOTH_WITH_EITHER = (
    "(project.regulated || project.handles_personal_data) && project.budget > 1000000.0"
)
AND_OR = [
    (MAJOR, {"regulated": "yes", "budget": "400000"}, True,
     "regulated is true and budget 400,000 is at least 250,000"),
    (MAJOR, {"risk": "critical", "budget": "2000000"}, True,
     "budget 2,000,000 is at least 1,000,000 or risk is critical"),
    (MAJOR, {}, False,
     "budget 600,000 is under 1,000,000 and risk is high, not critical and regulated is false"),
    (COMPLIANCE, {}, True,
     "(regulated is false and handles personal data is false) or risk is high, not low"),
    (COMPLIANCE, {"regulated": "yes", "risk": "low"}, False,
     "regulated is true and risk is low"),
    ('(project.regulated && project.vendor_involved || project.budget > 1.0)'
     ' || project.risk == "high"',
     {"regulated": "yes", "vendor_involved": "yes", "budget": "0"}, True,
     "(regulated is true and vendor involved is true) or risk is high"),
    (BOTH_WITH_EITHER, {"regulated": "yes"}, False, "budget 600,000 is at most 1,000,000"),
    (BOTH_WITH_EITHER, {"regulated": "yes", "handles_personal_data": "yes", "budget": "2000000"},
     True,
     "(regulated is true or handles personal data is true) and budget 2,000,000 is over 1,000,000"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "facts", "held", "text"), AND_OR)
def test_and_or_name_the_parts_that_decided_with_parentheses_where_words_mix(
    source: str, facts: dict[str, object], held: bool, text: str
) -> None:
    assert said(source, **facts) == (held, text)


def test_a_rule_reading_a_fact_that_is_not_set_cannot_be_told_yet() -> None:
    values = standard_facts(**LARGE)
    del values["duration_months"]
    sentence = in_words(condition("project.duration_months <= 36"), values, "large")
    assert (sentence.held, sentence.text) == (None, "duration months is not set")
    assert sentence.unset == ("duration_months",)


def test_an_or_decided_by_a_part_that_is_set_ignores_the_part_that_is_not() -> None:
    values = standard_facts(**LARGE)
    del values["duration_months"]
    sentence = in_words(
        condition("project.budget >= 50000.0 || project.duration_months > 6"), values, ""
    )
    assert (sentence.held, sentence.text) == (True, "budget 600,000 is at least 50,000")


def test_each_part_evaluated_says_whether_it_held() -> None:
    sentence = in_words(condition(MAJOR), standard_facts(**LARGE), "")
    assert sentence.parts == (
        Part("budget 600,000 is under 1,000,000", False),
        Part("risk is high, not critical", False),
        Part("regulated is false", False),
        Part("budget 600,000 is at least 250,000", True),
    )


FALLBACKS = [
    pytest.param("project.budget / 2.0 > 250000.0", True, "budget 600,000 / 2.0 > 250,000.0",
                 id="arithmetic-as-written"),
    pytest.param("[1, 2].exists(x, x > 1) && project.regulated", False, "regulated is false",
                 id="macro-not-decisive"),
    pytest.param("[1, 2].exists(x, x > 5) || project.regulated", False,
                 "[1, 2].exists(x, x > 5) and regulated is false", id="macro-as-written"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "held", "text"), FALLBACKS)
def test_a_part_it_cannot_take_apart_is_shown_as_written_with_the_values(
    source: str, held: bool, text: str
) -> None:
    assert said(source) == (held, text)


def test_a_condition_it_cannot_read_is_said_as_before_and_never_raises() -> None:
    source = '{"a": project.budget}["a"] > 1.0'
    written = Condition(source, cel.compile(source), frozenset({"budget"}))
    sentence = in_words(written, standard_facts(**LARGE), "large")
    assert (sentence.held, sentence.text) == (True, '{"a": budget 600,000}["a"] > 1.0')


def test_words_that_disagree_with_the_compiled_outcome_are_never_shown() -> None:
    """The compiled program is the judge: here it says true while the text says false."""
    disagreeing = Condition("project.regulated", cel.compile("true"), frozenset({"regulated"}))
    sentence = in_words(disagreeing, standard_facts(**LARGE), "large")
    assert (sentence.held, sentence.text) == (True, "regulated (false)")


def every_condition() -> list[Condition]:
    """Every tier rule, skip rule, `when` and criterion of the shipped policies."""
    found = []
    for policy in (standard(), lite()):
        found += [t.when for t in policy.tiers if t.when]
        for gate in policy.gates:
            found += [gate.skip_when] if gate.skip_when else []
            for requirement in gate.requirements:
                found += [requirement.when] if requirement.when else []
                found += [requirement.expr] if isinstance(requirement, Criterion) else []
    return list({c.source: c for c in found}.values())


def fact_grid() -> list[dict[str, FactValue]]:
    grid = []
    for budget, risk, flag, unit in itertools.product(
        ("10000", "250000", "2000000"), ("low", "critical"), ("yes", "no"), (None, "Ops")
    ):
        values = standard_facts(budget=budget, risk=risk, regulated=flag, vendor_involved=flag)
        if unit:
            values["business_unit"] = unit
            values["go_live_date"] = date(2026, 9, 1)
        else:
            del values["duration_months"]
        grid.append(values)
    return grid


def outcome(written: Condition, values: dict[str, FactValue], tier: str) -> bool | None:
    try:
        return bool(written.program.execute(evaluation_context(values, tier)))
    except (KeyError, RuntimeError, TypeError, ValueError):
        return None


@pytest.mark.parametrize("written", every_condition(), ids=lambda c: c.source[:40])
def test_every_shipped_condition_is_said_in_words_that_agree_with_cel(
    written: Condition,
) -> None:
    for values, tier in itertools.product(fact_grid(), ("major", "small")):
        sentence = in_words(written, values, tier)
        assert sentence.held == outcome(written, values, tier)
        assert not any(cel_text in sentence.text for cel_text in ("project.", "&&", "||", '"'))
