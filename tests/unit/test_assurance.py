"""Independent assurance reviews (gates.assurance): who is independent of a project, whether a
go waits for the review, and what a rating does to the decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gates.assurance import (
    Affiliation,
    Circle,
    decision_refusals,
    effect,
    independence_refusals,
    required,
    reviewer_refusals,
)
from gates.model import Person, ProjectState, Rated
from policies import Decision, Policy, parse_policy
from policies.model import Separation
from tests.unit.gate_fixtures import facts_for, state

POLICY = """\
id: gateway
version: 1
title: Gateway
description: A gate with an independent review on a five-point scale.
facts:
  budget: {type: money, title: Budget}
roles:
  sponsor: {title: Sponsor}
  reviewer: {title: Gateway reviewer}
  board: {title: Investment board}
rating_scales:
  delivery_confidence:
    ratings: [green, amber_green, amber, amber_red, red]
tiers:
  - {id: standard, title: Standard}
gates:
  - id: business_case
    name: Gate 1 Business justification
    stage: delivery
    decisions: [go, conditional_go, recycle, hold, kill]
    assurance:
      reviewers: reviewer
      scale: delivery_confidence
      when: project.budget >= 100000.0
      rules:
        - when: assurance.level >= 3
          decisions: [conditional_go, recycle, hold, kill]
        - when: assurance.rating == "red"
          decisions: [recycle, hold, kill]
          escalate_to: board
"""
AT = datetime(2026, 6, 1, tzinfo=UTC)
MANAGER = Affiliation("pm", "IT", "ERP")
SPONSOR = Affiliation("sam", "Finance", "CFO office")
MEMBER = Affiliation("fay", "Finance", "Controlling")
CIRCLE = Circle(MANAGER, (SPONSOR,), (SPONSOR, MEMBER))


@pytest.fixture(scope="module")
def policy() -> Policy:
    return parse_policy(POLICY, "gateway.yaml")


def project(policy: Policy, rating: str | None = None, budget: str = "500000") -> ProjectState:
    rated = Rated("rita", rating, AT) if rating else None
    return replace(state(policy, facts_for(policy, budget=budget)), assurance=rated)


@pytest.mark.parametrize(
    ("reviewer", "rules"),
    [
        (Affiliation("rita", "Internal Audit", "Gateway"), []),
        (Affiliation("pm", "Internal Audit", "Gateway"), ["sod.assurance_manager"]),
        (Affiliation("sam", "Audit", "Gateway"), ["sod.assurance_sponsor", "sod.assurance_team"]),
        (Affiliation("fay", "Internal Audit", "Gateway"), ["sod.assurance_team"]),
        (Affiliation("rita", "Internal Audit", "erp"), ["sod.assurance_team"]),
        (Affiliation("rita", "finance", "Gateway"), ["sod.assurance_org_unit"]),
        (Affiliation("rita", "", "Gateway"), ["assure.attributes_unknown"]),
        (Affiliation("rita", "Internal Audit", ""), ["assure.attributes_unknown"]),
    ],
)  # fmt: skip
def test_a_reviewer_is_independent_of_the_manager_sponsors_team_and_their_units(
    policy: Policy, reviewer: Affiliation, rules: list[str]
) -> None:
    assurance = policy.gates[0].assurance
    assert assurance is not None

    assert [r.rule for r in independence_refusals(assurance, reviewer, CIRCLE)] == rules


def test_an_unrecorded_unit_of_the_manager_is_named_not_passed() -> None:
    policy = parse_policy(POLICY, "gateway.yaml")
    assurance = policy.gates[0].assurance
    assert assurance is not None
    circle = replace(CIRCLE, manager=Affiliation("pm"))

    team, unit = independence_refusals(assurance, Affiliation("rita", "Audit", "Gateway"), circle)

    assert (team.rule, unit.rule) == ("assure.attributes_unknown", "assure.attributes_unknown")
    assert "the team of pm is not recorded" in team.text
    assert "the org unit of pm is not recorded" in unit.text


def test_the_policy_chooses_what_independence_means(policy: Policy) -> None:
    assurance = policy.gates[0].assurance
    assert assurance is not None
    only_people = replace(assurance, independent_of=frozenset({Separation.PROJECT_MANAGER}))

    assert (
        independence_refusals(only_people, Affiliation("fay", "Finance", "CFO office"), CIRCLE)
        == []
    )


def test_only_a_holder_of_the_reviewers_role_rates_once_a_round(policy: Policy) -> None:
    gate = policy.gates[0]
    outsider = Affiliation("rita", "Audit", "Gateway")

    def rules(person: Person, given: ProjectState) -> list[str]:
        return [r.rule for r in reviewer_refusals(policy, gate, person, outsider, CIRCLE, given)]

    assert rules(Person("rita", project_roles=frozenset({"reviewer"})), project(policy)) == []
    assert rules(Person("rita"), project(policy)) == ["role.assure"]
    assert rules(Person("rita", False, project_roles=frozenset({"reviewer"})), project(policy)) == [
        "role.assure"
    ]
    assert rules(
        Person("rita", project_roles=frozenset({"reviewer"})), project(policy, "amber")
    ) == ["assure.once_per_round"]
    small = project(policy, budget="50000")
    assert rules(Person("rita", project_roles=frozenset({"reviewer"})), small) == [
        "assure.not_needed"
    ]


@pytest.mark.parametrize(
    ("budget", "needed"), [("99999", False), ("100000", True), ("500000", True)]
)
def test_a_go_waits_for_the_review_only_where_the_project_needs_one(
    policy: Policy, budget: str, needed: bool
) -> None:
    given = project(policy, budget=budget)
    refused = decision_refusals(policy, policy.gates[0], given, Decision.GO)

    assert required(policy.gates[0], given) is needed
    assert [r.rule for r in refused] == (["decide.assurance_missing"] if needed else [])
    assert decision_refusals(policy, policy.gates[0], given, Decision.RECYCLE) == []


@pytest.mark.parametrize(
    ("rating", "left", "escalated"),
    [
        ("green", None, frozenset()),
        ("amber", None, frozenset()),
        ("amber_red", ("conditional_go", "recycle", "hold", "kill"), frozenset()),
        ("red", ("recycle", "hold", "kill"), frozenset({"board"})),
    ],
)
def test_each_rule_that_holds_narrows_the_decisions_and_may_move_them(
    policy: Policy, rating: str, left: tuple[str, ...] | None, escalated: frozenset[str]
) -> None:
    found = effect(policy, policy.gates[0], project(policy, rating))

    assert (None if found.decisions is None else tuple(found.decisions)) == left
    assert found.escalated_to == escalated


def test_a_go_after_an_amber_red_is_refused_in_words(policy: Policy) -> None:
    [refusal] = decision_refusals(
        policy, policy.gates[0], project(policy, "amber_red"), Decision.GO
    )

    assert refusal.rule == "decide.assurance_rating"
    assert refusal.text == (
        "The assurance rating amber red (Delivery confidence) leaves conditional go, recycle, "
        "hold, kill at Gate 1 Business justification: 'go' is not one of them."
    )


def test_a_rule_reads_the_programme_and_the_facts_as_every_condition_does() -> None:
    wide = parse_policy(
        POLICY.replace(
            "        - when: assurance.level >= 3\n",
            "        - when: assurance.level >= 3 && programme.projects >= 1\n",
        ),
        "gateway.yaml",
    )

    found = effect(wide, wide.gates[0], project(wide, "amber_red"))

    assert found.decisions == (
        Decision.CONDITIONAL_GO,
        Decision.RECYCLE,
        Decision.HOLD,
        Decision.KILL,
    )
