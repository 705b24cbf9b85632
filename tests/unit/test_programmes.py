"""Programmes: what a programme's projects add up to, the tier a project takes from them, whose
tier a change moves, and a gate that waits for the programme's other projects (gates.programmes,
the loader's checks of `programme.<name>`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gates.model import ProjectState
from gates.programmes import (
    PROGRAMME_SPONSOR,
    Members,
    Sibling,
    alone,
    change_approvers,
    changed,
    joined,
    left,
    member_stage,
    programme_value,
    reads_programme,
    tier_moves,
)
from gates.readiness import readiness
from gates.tiering import classify
from policies import parse_policy
from policies.loader import check_policy_text
from policies.model import Policy
from tests.unit.gate_fixtures import NOW

PROGRAMME_POLICY = """\
id: programmed
version: 1
title: Programme-aware policy
initial_stage: initiation
facts:
  budget:
    type: money
    title: Approved budget
  opex:
    type: money
    required: false
roles:
  sponsor:
    title: Project sponsor
tiers:
  - id: major
    when: programme.total_budget > 1000000.0
  - id: standard
gates:
  - id: planning
    name: Planning gate
    stage: planning
  - id: execution
    name: Execution gate
    stage: execution
  - id: cutover
    name: Cutover gate
    stage: cutover
    criteria:
      - id: programme_in_execution
        title: The programme's other projects are in execution
        expr: programme.reached.execution
"""


def policy() -> Policy:
    return parse_policy(PROGRAMME_POLICY, "programmed.yaml")


def money(amount: str) -> dict[str, Decimal]:
    return {"budget": Decimal(amount)}


def programme_of(*projects: tuple[str, str]) -> Members:
    members = Members("PRG-1", 0)
    for amount, stage in projects:
        members = joined(members, money(amount), stage)
    return members


def test_a_programme_totals_each_money_fact_and_counts_its_projects() -> None:
    members = programme_of(("600000", "planning"), ("600000", "execution"))

    assert members.count == 2
    assert members.totals["budget"] == Decimal("1200000")
    assert dict(members.stages) == {"planning": 1, "execution": 1}


def test_a_project_in_no_programme_reads_a_programme_of_itself() -> None:
    value = programme_value(policy(), alone(money("700000"), "planning"), "planning")

    assert value["projects"] == 1
    assert value["total_budget"] == 700000.0
    assert value["total_opex"] == 0.0, "an unset money fact adds nothing"


def test_a_split_project_stays_major_when_its_programme_totals_over_the_threshold() -> None:
    halves = programme_of(("600000", "planning"), ("600000", "planning"))

    together = classify(policy(), money("600000"), programme=programme_value(policy(), halves))
    on_its_own = classify(policy(), money("600000"))

    assert together.tier.id == "major"
    assert "programme total budget 1,200,000 > 1,000,000" in together.reason
    assert on_its_own.tier.id == "standard"


def test_a_change_replaces_the_projects_facts_in_the_totals() -> None:
    members = programme_of(("600000", "planning"), ("600000", "planning"))

    after = changed(members, money("600000"), money("300000"), "planning")

    assert after.totals["budget"] == Decimal("900000")
    assert after.count == 2


def test_leaving_takes_the_projects_facts_and_stage_out() -> None:
    members = programme_of(("600000", "planning"), ("400000", "execution"))

    after = left(members, money("400000"), "execution")

    assert (after.count, after.totals["budget"], dict(after.stages)) == (
        1, Decimal("600000"), {"planning": 1},
    )  # fmt: skip


def test_a_killed_project_holds_back_no_stage_and_one_on_hold_counts_where_it_resumes() -> None:
    assert member_stage("killed", None) is None
    assert member_stage("on_hold", "execution") == "execution"
    assert member_stage("planning", None) == "planning"


def test_a_sibling_whose_tier_the_change_moves_is_named_with_its_move() -> None:
    members = programme_of(("600000", "planning"), ("600000", "planning"))
    sibling = Sibling("ERP-2", policy(), money("600000"), "major", "planning", controlled=True)

    moves = tier_moves([sibling], changed(members, money("600000"), money("300000"), "planning"))

    assert [(m.key, m.old_tier, m.new_tier, m.controlled) for m in moves] == [
        ("ERP-2", "major", "standard", True)
    ]


def test_a_change_that_keeps_the_siblings_tier_moves_nobody() -> None:
    members = programme_of(("600000", "planning"), ("600000", "planning"))
    sibling = Sibling("ERP-2", policy(), money("600000"), "major", "planning")

    assert (
        tier_moves([sibling], changed(members, money("600000"), money("500000"), "planning")) == ()
    )


def test_a_change_that_moves_a_sibling_is_approved_by_the_programme_sponsor_and_the_pmo() -> None:
    assert change_approvers(("sponsor",), moves_siblings=True) == (
        "sponsor", PROGRAMME_SPONSOR, "pmo",
    )  # fmt: skip
    assert change_approvers(("sponsor", "pmo"), moves_siblings=False) == ("sponsor", "pmo")


@pytest.mark.parametrize(
    ("others", "met"),
    [
        ((), True),
        (("execution",), True),
        (("cutover",), True),
        (("planning",), False),
        (("execution", "initiation"), False),
    ],
)
def test_a_gate_can_wait_for_the_programmes_other_projects_to_reach_a_stage(
    others: tuple[str, ...], met: bool
) -> None:
    members = programme_of(("100000", "execution"), *((("100000", s)) for s in others))
    gate = policy().gate("cutover")
    assert gate is not None
    state = ProjectState(
        facts=money("100000"),
        tier="standard",
        programme=programme_value(policy(), members, "execution"),
    )

    line = readiness(policy(), gate, state, NOW).line("criterion:programme_in_execution")

    assert line is not None
    assert line.status.ok is met
    assert ("have reached execution" if met else "have not all reached execution") in line.reason


def test_a_policy_that_reads_no_programme_is_read_without_one() -> None:
    assert reads_programme(policy())
    plain = PROGRAMME_POLICY.replace("programme.total_budget", "project.budget").split(
        "    criteria"
    )[0]
    assert not reads_programme(parse_policy(plain, "plain.yaml"))


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (
            "programme.total_budgte > 1.0",
            "unknown name 'programme.total_budgte' (did you mean 'programme.total_budget'?)",
        ),
        ("programme.count > 1", "(did you mean 'programme.projects'?)"),
        ("programme.reached.execution", "a tier rule cannot use 'programme.reached'"),
    ],
)
def test_a_tier_rule_naming_what_a_programme_lacks_fails_at_policy_check(
    wrong: str, message: str
) -> None:
    text = PROGRAMME_POLICY.replace("programme.total_budget > 1000000.0", wrong)

    found, problems = check_policy_text(text, "programmed.yaml")

    assert found is None
    assert any(message in str(p) and "tiers[0].when" in str(p) for p in problems), problems


def test_a_criterion_waiting_for_a_stage_the_policy_lacks_fails_with_did_you_mean() -> None:
    text = PROGRAMME_POLICY.replace("programme.reached.execution", "programme.reached.excution")

    found, problems = check_policy_text(text, "programmed.yaml")

    assert found is None
    assert any("unknown stage 'excution' (did you mean 'execution'?)" in str(p) for p in problems)


def test_a_programme_adds_money_given_in_another_currency_in_the_base_one(
    money_policy: Policy,
) -> None:
    from policies.facts import read_facts

    dollars, _ = read_facts(money_policy.facts, {"budget": "USD 100000", "headcount": 3})
    euros, _ = read_facts(money_policy.facts, {"budget": "50000", "headcount": 3})

    members = joined(joined(Members("P", 0), dollars, "planning"), euros, "planning")

    assert members.totals["budget"] == Decimal("142000.00")  # 92,000 + 50,000
