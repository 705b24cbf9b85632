"""Change control on facts: what a change does, when it needs a request, who approves it, and
how the policy says so (gates.change_control, gates.change_requests, the loader)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType

import pytest

from gates.authority import authority
from gates.change_control import due_before_next_gate, impact, under_change_control
from gates.change_requests import ChangeRound, ChangeStatus
from gates.model import Person
from policies import parse_policy
from policies.diff import diff_policies
from policies.loader import check_policy_text
from policies.model import ChangeControl, MoneyThreshold, Trigger, TriggerEvent
from tests.unit.gate_fixtures import standard, standard_facts

MAJOR = {"budget": "400000", "regulated": "yes", "duration_months": 6}
CUT = {**MAJOR, "budget": "40000", "regulated": "no"}


def test_before_the_first_gate_no_change_needs_a_request() -> None:
    found = impact(standard(), "initiation", standard_facts(**MAJOR), standard_facts(**CUT))

    assert (found.old_tier, found.new_tier) == ("major", "small")
    assert not found.needs_request
    assert not under_change_control(standard(), "initiation")


def test_after_the_first_gate_a_change_of_tier_needs_a_request() -> None:
    found = impact(standard(), "planning", standard_facts(**MAJOR), standard_facts(**CUT))

    assert found.needs_request
    assert found.reasons()[0] == "the tier moves from major to small"


def test_requirements_dropped_and_added_are_those_of_the_gate_under_way_and_those_ahead() -> None:
    found = impact(standard(), "planning", standard_facts(**MAJOR), standard_facts(**CUT))

    dropped = {(r.gate, r.key) for r in found.dropped}
    assert ("planning", "artifact:validation_plan") in dropped
    assert ("closure", "signoff:finance") in dropped
    assert not any(r.gate == "initiation" for r in found.dropped), "a passed gate is history"
    assert found.added == ()


def test_a_change_that_only_adds_obligations_within_the_tier_needs_no_request() -> None:
    old = standard_facts(budget="400000")
    new = standard_facts(budget="400000", vendor_involved="yes")

    found = impact(standard(), "planning", old, new)

    assert [r.key for r in found.added] == ["artifact:vendor_contract", "artifact:vendor_closure"]
    assert not found.needs_request


def test_a_change_that_makes_one_requirement_stop_applying_needs_a_request() -> None:
    old = standard_facts(budget="400000", vendor_involved="yes")
    new = standard_facts(budget="400000", vendor_involved="no")

    found = impact(standard(), "execution", old, new)

    assert found.tier_changes is False
    assert found.needs_request
    assert found.reasons() == [
        "Vendor contract closure (G5 Project closure) would no longer be required"
    ]


def ten_percent() -> object:
    return replace(
        standard(), change_control=ChangeControl(money=(MoneyThreshold("budget", Decimal(10)),))
    )


@pytest.mark.parametrize(
    ("budget", "needs"),
    [("440000", False), ("440001", True), ("360000", False), ("359999", True)],
)
def test_money_beyond_its_threshold_either_way_needs_a_request(budget: str, needs: bool) -> None:
    policy = ten_percent()
    old = standard_facts(budget="400000")

    found = impact(policy, "planning", old, standard_facts(budget=budget))

    assert found.needs_request is needs


def test_money_is_measured_from_the_baseline_not_the_last_edit() -> None:
    policy = ten_percent()
    baseline, last = standard_facts(budget="400000"), standard_facts(budget="370000")

    cut = standard_facts(budget="350000")

    found = impact(policy, "planning", last, cut, baseline)

    assert [str(m) for m in found.money] == [
        "budget 400,000 -> 350,000 moves 12.5% from its baseline (more than ±10% needs a request)"
    ]


# -- who approves ------------------------------------------------------------------------------


def change(**approvals: str) -> ChangeRound:
    return ChangeRound(7, ChangeStatus.OPEN, "pm", ("sponsor", "pmo"), MappingProxyType(approvals))


SPONSOR = Person("sam", project_roles=frozenset({"sponsor"}))
PMO = Person("pia", global_roles=frozenset({"pmo"}))
MANAGER = Person("pm", global_roles=frozenset({"project_manager"}), manages=True)


def test_the_sponsor_approves_as_sponsor_and_the_pmo_as_pmo() -> None:
    assert authority(SPONSOR, "ERP-1").approve_change(change()) == ("sponsor", [])
    assert authority(PMO, "ERP-1").approve_change(change(sponsor="sam")) == ("pmo", [])


def test_the_proposing_manager_may_not_approve_for_three_reasons() -> None:
    role, refusals = authority(MANAGER, "ERP-1").approve_change(change())

    assert role is None
    assert [r.rule for r in refusals] == [
        "role.approve_change",
        "sod.proposer_approves_change",
        "sod.manager_approves_change",
    ]


def test_a_manager_who_is_also_pmo_may_not_approve_their_project_s_change() -> None:
    manager_pmo = replace(MANAGER, username="lee", global_roles=frozenset({"pmo"}))

    _, refusals = authority(manager_pmo, "ERP-1").approve_change(change())

    assert [r.rule for r in refusals] == ["sod.manager_approves_change"]


def test_each_role_approves_once() -> None:
    _, refusals = authority(PMO, "ERP-1").approve_change(change(pmo="paul"))

    assert [r.text for r in refusals] == ["The PMO has already approved change request 7."]


def test_nobody_approves_one_change_twice_even_holding_two_approver_roles() -> None:
    both = replace(SPONSOR, global_roles=frozenset({"pmo"}))

    _, refusals = authority(both, "ERP-1").approve_change(change(sponsor="sam"))

    assert [r.rule for r in refusals] == ["sod.approves_change_twice"]


def test_a_closed_change_is_approved_by_nobody() -> None:
    closed = replace(change(), status=ChangeStatus.WITHDRAWN)

    _, refusals = authority(SPONSOR, "ERP-1").approve_change(closed)

    assert [r.text for r in refusals] == ["Change request 7 is withdrawn: it is closed."]


# -- triggers ----------------------------------------------------------------------------------

CHANGED = datetime(2026, 5, 1, tzinfo=UTC)


def test_an_approved_change_opens_the_re_baseline_review_a_trigger_names() -> None:
    policy = replace(standard(), triggers=(Trigger(TriggerEvent.CHANGE_APPROVED, "planning"),))
    assert due_before_next_gate(
        policy, CHANGED, {"planning": datetime(2026, 4, 1, tzinfo=UTC)}
    ) == ("planning",)
    assert (
        due_before_next_gate(policy, CHANGED, {"planning": datetime(2026, 5, 2, tzinfo=UTC)}) == ()
    )


# -- the policy language -----------------------------------------------------------------------


def with_section(valid_policy_text: str, section: str) -> tuple[object, list[str]]:
    policy, problems = check_policy_text(valid_policy_text + section, "standard.yaml")
    return policy, [f"{p.line}:{p.column} {p.path}: {p.message}" for p in problems]


def test_a_policy_that_says_nothing_gets_the_engine_default(valid_policy_text: str) -> None:
    policy = parse_policy(valid_policy_text)

    assert policy.change_control == ChangeControl(("sponsor", "pmo"), ())
    assert policy.triggers == ()


def test_change_control_and_triggers_load(valid_policy_text: str) -> None:
    section = (
        "change_control:\n  approvers: [sponsor, finance, pmo]\n  money: {budget: 12.5%}\n"
        "triggers:\n  - on: change_approved\n    review: initiation\n"
    )
    policy = parse_policy(valid_policy_text + section)

    assert policy.change_control == ChangeControl(
        ("sponsor", "finance", "pmo"), (MoneyThreshold("budget", Decimal("12.5")),)
    )
    assert policy.triggers == (Trigger(TriggerEvent.CHANGE_APPROVED, "initiation"),)


def test_every_mistake_in_change_control_is_named_with_its_place(valid_policy_text: str) -> None:
    lines = valid_policy_text.count("\n")
    section = (
        "change_control:\n"
        "  approvers: [sponsor, finanse]\n"
        "  money: {budgte: 10%, headcount: 5%, budget: ten}\n"
        "triggers:\n"
        "  - on: change_aproved\n"
        "    review: initiation\n"
        "  - on: change_approved\n"
        "    review: initiaton\n"
    )

    _, problems = with_section(valid_policy_text, section)

    assert problems == [
        f"{lines + 2}:24 change_control.approvers[1]: unknown role 'finanse' (did you mean "
        "'finance'?)",
        f"{lines + 3}:19 change_control.money.budgte: unknown fact 'budgte' (did you mean "
        "'budget'?)",
        f"{lines + 3}:35 change_control.money.headcount: 'headcount' is integer, not money: "
        "only money moves by a %",
        f"{lines + 3}:47 change_control.money.budget: 'ten' is not a percentage: write one "
        "from 0.01% to 100%",
        f"{lines + 5}:9 triggers[0].on: 'change_aproved' is not allowed here (did you mean "
        "'change_approved'?); use 'change_approved', 'condition_overdue', 'recurring' or "
        "'assurance_red'",
        f"{lines + 8}:13 triggers[1].review: unknown gate 'initiaton' (did you mean "
        "'initiation'?): a triggered review repeats one of the policy's gates",
    ]


def test_policy_diff_names_changed_approvers_thresholds_and_new_triggers() -> None:
    control = ChangeControl(("sponsor", "pmo", "finance"), (MoneyThreshold("budget", Decimal(10)),))
    trigger = Trigger(TriggerEvent.CHANGE_APPROVED, "planning")
    new = replace(standard(), version=2, change_control=control, triggers=(trigger,))

    shown = [str(c) for c in diff_policies(standard(), new)]

    assert shown == [
        "change control: changed change_control (who approves a change of facts, and money "
        "thresholds)\n    approvers: ['sponsor', 'pmo'] -> ['sponsor', 'pmo', 'finance']\n"
        "    money: (none) -> [budget ±10%]",
        "triggers: added on change_approved: review planning (re-baseline review)",
    ]
