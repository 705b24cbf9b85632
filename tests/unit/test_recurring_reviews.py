"""Reviews that repeat or are triggered: a recurring review's dates (gates.recurrence), the
reviews triggers leave owed (gates.triggers), and how a policy says so (the loader)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from gates.recurrence import add, schedule
from gates.triggers import ConditionDue, Occurrence, overdue_conditions, owed, owed_refusals
from policies import parse_policy
from policies.diff import diff_policies
from policies.model import Period, PeriodUnit, Recurrence, Trigger, TriggerEvent
from tests.unit.gate_fixtures import standard

MONTH, YEAR = Period(1, PeriodUnit.MONTHS), Period(1, PeriodUnit.YEARS)


@pytest.mark.parametrize(
    ("day", "period", "times", "expected"),
    [
        (date(2027, 1, 31), MONTH, 1, date(2027, 2, 28)),  # clamped to the month's end
        (date(2028, 1, 31), MONTH, 1, date(2028, 2, 29)),  # a leap year's February
        (date(2027, 1, 31), MONTH, 2, date(2027, 3, 31)),  # counted from the start: no drift
        (date(2028, 2, 29), YEAR, 1, date(2029, 2, 28)),
        (date(2028, 2, 29), YEAR, 4, date(2032, 2, 29)),
        (date(2026, 12, 15), MONTH, 1, date(2027, 1, 15)),  # over the year's end
        (date(2026, 12, 15), Period(2, PeriodUnit.WEEKS), 1, date(2026, 12, 29)),
        (date(2026, 12, 15), Period(90, PeriodUnit.DAYS), 1, date(2027, 3, 15)),
    ],
)
def test_a_period_moves_a_day_on_by_the_calendar(day, period, times, expected) -> None:
    assert add(day, period, times) == expected


SIX_MONTHS = Period(6, PeriodUnit.MONTHS)
ANNUAL = Trigger(
    TriggerEvent.RECURRING,
    "execution",
    Recurrence(Period(12, PeriodUnit.MONTHS), SIX_MONTHS, "execution", "closure"),
)
POLICY = replace(standard(), triggers=(ANNUAL,))
EXECUTION_PASSED = {"execution": date(2026, 1, 15)}


@pytest.mark.parametrize(
    ("passed", "today", "stopped", "due", "upcoming"),
    [
        pytest.param({}, date(2030, 1, 1), None, (), None, id="never passed: nothing comes"),
        pytest.param(
            EXECUTION_PASSED, date(2026, 7, 14), None, (), date(2026, 7, 15),
            id="the day before the first date: coming up",
        ),
        pytest.param(
            EXECUTION_PASSED, date(2026, 7, 15), None, (date(2026, 7, 15),), date(2027, 7, 15),
            id="on the first date: it has come",
        ),
        pytest.param(
            EXECUTION_PASSED, date(2028, 8, 1), None,
            (date(2026, 7, 15), date(2027, 7, 15), date(2028, 7, 15)), date(2029, 7, 15),
            id="every date since has come",
        ),
        pytest.param(
            {**EXECUTION_PASSED, "cutover": date(2027, 7, 15)}, date(2030, 1, 1), None,
            (date(2026, 7, 15),), None,
            id="until the stage is reached: from that day on no date comes",
        ),
        pytest.param(
            EXECUTION_PASSED, date(2030, 1, 1), date(2027, 1, 1), (date(2026, 7, 15),), None,
            id="a killed project's schedule ends",
        ),
    ],
)  # fmt: skip
def test_a_recurring_review_comes_every_period_after_its_gate_until_its_stage(
    passed, today, stopped, due, upcoming
) -> None:
    found = schedule(POLICY, ANNUAL, passed, today, stopped)

    assert (found.due, found.next, found.started) == (due, upcoming, bool(passed))


def test_a_review_first_due_on_a_leap_day_comes_on_the_last_of_february_after() -> None:
    found = schedule(POLICY, ANNUAL, {"execution": date(2027, 8, 29)}, date(2030, 3, 1))

    assert found.due == (date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28))


# -- owed reviews ------------------------------------------------------------------------------

OVERDUE_POLICY = replace(
    standard(), triggers=(Trigger(TriggerEvent.CONDITION_OVERDUE, "planning"),)
)
MAY_1 = date(2026, 5, 1)


@pytest.mark.parametrize(
    ("closed_on", "today", "overdue"),
    [
        (None, MAY_1, False),  # due today: not overdue yet
        (None, date(2026, 5, 2), True),
        (MAY_1, date(2026, 6, 1), False),  # closed in time
        (date(2026, 5, 3), date(2026, 6, 1), True),  # closed late: it went overdue all the same
    ],
)
def test_a_condition_open_after_its_due_day_triggers_the_review(closed_on, today, overdue) -> None:
    found = overdue_conditions(OVERDUE_POLICY, [ConditionDue(12, MAY_1, closed_on)], today)

    expected = Occurrence(
        "planning", TriggerEvent.CONDITION_OVERDUE, "condition 12",
        datetime(2026, 5, 2, tzinfo=UTC),
    )  # fmt: skip
    assert found == ([expected] if overdue else [])


def test_no_condition_triggers_a_review_where_the_policy_has_no_such_trigger() -> None:
    assert overdue_conditions(standard(), [ConditionDue(1, MAY_1)], date(2027, 1, 1)) == []


def _at(day: int) -> datetime:
    return datetime(2026, 5, day, tzinfo=UTC)


def test_a_review_is_owed_until_a_go_of_its_gate_is_decided_after_it() -> None:
    first = Occurrence("execution", TriggerEvent.RECURRING, "2026-05-02", _at(2))
    later = Occurrence("execution", TriggerEvent.CONDITION_OVERDUE, "condition 3", _at(9))

    assert owed([first, later], {}) == [later]  # one per gate: the latest
    assert owed([first, later], {"execution": _at(5)}) == [later]
    assert owed([first, later], {"execution": _at(10)}) == []


def test_an_owed_review_is_refused_in_words_naming_what_asked_for_it() -> None:
    found = Occurrence("execution", TriggerEvent.RECURRING, "2026-05-02", _at(2))
    overdue = Occurrence("planning", TriggerEvent.CONDITION_OVERDUE, "condition 3", _at(9))

    refusals = owed_refusals(standard(), [found, overdue], "passed")

    assert [(r.rule, r.text) for r in refusals] == [
        (
            "trigger.recurring",
            "The recurring review of G3 Readiness for cutover came due on 2026-05-02 before "
            "the next gate is passed: submit it with `--gate execution` and have it decided "
            "first.",
        ),
        (
            "trigger.condition_overdue",
            "Condition 3 went overdue on 2026-05-09 while open: the policy asks for a review "
            "of G2 Baseline approval before the next gate is passed: submit it with "
            "`--gate planning` and have it decided first.",
        ),
    ]


# -- the policy language -----------------------------------------------------------------------


def _problems(valid_policy_text: str, section: str) -> list[str]:
    from policies.loader import check_policy_text

    _, problems = check_policy_text(valid_policy_text + section, "standard.yaml")
    return [f"{p.path}: {p.message}" for p in problems]


def test_recurring_and_overdue_triggers_load(valid_policy_text: str) -> None:
    section = (
        "triggers:\n"
        "  - on: recurring\n    review: execution\n    every: 12 months\n"
        "    first: 6 months after gate initiation\n    until: execution\n"
        "  - on: recurring\n    review: initiation\n    every: 1 year\n"
        "  - on: condition_overdue\n    review: initiation\n"
    )

    policy = parse_policy(valid_policy_text + section)

    assert policy.triggers == (
        Trigger(
            TriggerEvent.RECURRING, "execution",
            Recurrence(Period(12, PeriodUnit.MONTHS), SIX_MONTHS, "initiation", "execution"),
        ),
        Trigger(TriggerEvent.RECURRING, "initiation", Recurrence(YEAR, YEAR, "initiation")),
        Trigger(TriggerEvent.CONDITION_OVERDUE, "initiation"),
    )  # fmt: skip


def test_a_gate_may_be_marked_repeatable(valid_policy_text: str) -> None:
    text = valid_policy_text.replace("    stage: execution\n", "    stage: execution\n"
                                     "    repeatable: true\n")  # fmt: skip

    policy = parse_policy(text)

    assert [g.repeatable for g in policy.gates] == [False, True]


@pytest.mark.parametrize(
    ("trigger", "problem"),
    [
        (
            "every: 12 monthz",
            "triggers[0].every: '12 monthz' is not a period: write a number and a unit: "
            "'90 days', '2 weeks', '12 months' or '1 year'",
        ),
        ("every: 0 months", "triggers[0].every: '0 months' is out of range: from 1 to 120 months"),
        ("every: 3 days", "triggers[0].every: '3 days' is out of range: from 7 to 3660 days"),
        (
            "every: 1 year\n    first: 6 months after gate initiaton",
            "triggers[0].first: unknown gate 'initiaton' (did you mean 'initiation'?)",
        ),
        (
            "every: 1 year\n    first: soon",
            "triggers[0].first: 'soon' does not say when: write a period after a gate, e.g. "
            "'6 months after gate go_live'",
        ),
        (
            "every: 1 year\n    until: executoin",
            "triggers[0].until: unknown stage 'executoin' (did you mean 'execution'?)",
        ),
        (
            "every: 1 year\n    first: 1 month after gate execution\n    until: planning",
            "triggers[0].until: the project reaches 'planning' no later than gate execution "
            "passes, so the review would never come: name a later stage",
        ),
        ("first: 1 month after gate initiation",
         "triggers[0]: a recurring trigger needs 'every', e.g. every: 12 months"),
    ],
)  # fmt: skip
def test_each_mistake_in_a_recurring_trigger_is_named(valid_policy_text, trigger, problem) -> None:
    section = f"triggers:\n  - on: recurring\n    review: execution\n    {trigger}\n"

    assert _problems(valid_policy_text, section) == [problem]


def test_only_a_recurring_trigger_has_a_schedule(valid_policy_text: str) -> None:
    section = "triggers:\n  - on: condition_overdue\n    review: execution\n    every: 1 year\n"

    assert _problems(valid_policy_text, section) == [
        "triggers[0].every: only a recurring trigger has a schedule"
    ]


def test_policy_diff_says_when_a_recurring_review_comes() -> None:
    changes = diff_policies(standard(), replace(standard(), version=2, triggers=(ANNUAL,)))

    assert [str(c) for c in changes if c.scope == "triggers"] == [
        "triggers: added on recurring: review execution (recurring review every 12 months, "
        "first 6 months after gate execution, until closure)"
    ]


def test_policy_show_says_a_gate_is_held_again_and_what_reviews_it() -> None:
    from gates.decisions import rules_of_the_decision

    overdue = Trigger(TriggerEvent.CONDITION_OVERDUE, "planning")
    policy = replace(standard(), triggers=(ANNUAL, overdue))
    planning = replace(policy.gates[1], repeatable=True)

    assert rules_of_the_decision(policy, planning) == [
        "may be held again after it passed",
        "reviewed again when a condition goes overdue",
    ]
    assert rules_of_the_decision(policy, policy.gates[2]) == [
        "reviewed again every 12 months, first 6 months after gate execution, until closure"
    ]
