"""Gate decisions: when each may be taken, and the stage it takes the project to."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gates.decisions import KILLED, ON_HOLD, FollowUp, can_decide, next_gate, outcome, stage_before
from gates.model import ProjectState
from gates.readiness import Readiness
from policies import Decision
from tests.unit.gate_fixtures import (
    TODAY,
    evidence,
    facts_for,
    gate,
    lite,
    matrix,
    report,
    signature,
    standard,
    state,
)

GO, CONDITIONAL_GO = Decision.GO, Decision.CONDITIONAL_GO
RECYCLE, HOLD, KILL = Decision.RECYCLE, Decision.HOLD, Decision.KILL

FOLLOW_UP = FollowUp("Book the DR test", "olga", TODAY + timedelta(days=14))


def ready_project(*, submitted: bool = True) -> tuple[Readiness, ProjectState]:
    """A small matrix project whose start gate is ready to decide."""
    project = state(
        matrix(),
        facts_for(matrix(), budget="100000", vendor="yes"),
        evidence=[evidence("charter"), evidence("contract")],
        signatures=[
            signature("sam", "sponsor"),
            signature("ann", "architecture"),
            signature("bob", "architecture"),
        ],
        submitted=submitted,
    )
    return report(matrix(), "start", project), project


def blocked_project() -> tuple[Readiness, ProjectState]:
    """A small matrix project missing its charter and one architecture signature."""
    project = state(
        matrix(),
        facts_for(matrix(), budget="100000", vendor="yes"),
        evidence=[evidence("contract")],
        signatures=[signature("sam", "sponsor"), signature("ann", "architecture")],
    )
    return report(matrix(), "start", project), project


def decide(
    decision: Decision,
    reason: str = "",
    follow_ups: tuple[FollowUp, ...] = (),
    *,
    ready: bool = True,
    submitted: bool = True,
) -> list[str]:
    result, project = ready_project(submitted=submitted) if ready else blocked_project()
    return [r.text for r in can_decide(result, project, decision, reason, follow_ups, TODAY)]


def test_go_is_refused_while_something_is_missing_and_lists_every_reason() -> None:
    assert decide(GO, ready=False) == [
        "Project charter is missing",
        "Architecture board sign-off required: 1 of 2 signed",
    ]


def test_go_is_allowed_when_the_gate_is_ready() -> None:
    assert decide(GO) == []


def test_conditional_go_is_refused_while_something_is_missing() -> None:
    assert decide(CONDITIONAL_GO, follow_ups=(FOLLOW_UP,), ready=False) == [
        "Project charter is missing",
        "Architecture board sign-off required: 1 of 2 signed",
    ]


def test_nothing_can_be_decided_before_submission() -> None:
    assert decide(GO, submitted=False) == [
        "Start gate has not been submitted: there is nothing to decide yet."
    ]


FOLLOW_UPS = [
    pytest.param(
        CONDITIONAL_GO,
        (FOLLOW_UP,),
        [],
        id="conditional-go-with-a-follow-up",
    ),
    pytest.param(
        CONDITIONAL_GO,
        (FollowUp("Book the DR test", "olga", TODAY),),
        [],
        id="conditional-go-due-today",
    ),
    pytest.param(
        CONDITIONAL_GO,
        (),
        ["A conditional go needs at least one condition (action, owner, due date)."],
        id="conditional-go-without-follow-ups",
    ),
    pytest.param(
        CONDITIONAL_GO,
        (FollowUp("Book the DR test", "olga", TODAY - timedelta(days=1)),),
        ["Condition 1 is due 2026-05-31, in the past."],
        id="conditional-go-due-yesterday",
    ),
    pytest.param(
        CONDITIONAL_GO,
        (FOLLOW_UP, FollowUp("  ", "olga", TODAY)),
        ["Condition 2 needs an action and an owner."],
        id="conditional-go-without-an-action",
    ),
    pytest.param(
        CONDITIONAL_GO,
        (FollowUp("Book the DR test", "", date(2020, 1, 1)),),
        [
            "Condition 1 needs an action and an owner.",
            "Condition 1 is due 2020-01-01, in the past.",
        ],
        id="conditional-go-without-owner-and-overdue",
    ),
    pytest.param(
        GO,
        (FOLLOW_UP,),
        ["A plain go has no conditions: use conditional go."],
        id="plain-go-with-follow-ups",
    ),
]


@pytest.mark.parametrize(("decision", "follow_ups", "expected"), FOLLOW_UPS)
def test_a_conditional_go_needs_follow_ups_with_owner_action_and_a_due_date(
    decision: Decision, follow_ups: tuple[FollowUp, ...], expected: list[str]
) -> None:
    assert decide(decision, follow_ups=follow_ups) == expected


@pytest.mark.parametrize("decision", [RECYCLE, HOLD, KILL])
def test_recycle_hold_and_kill_need_a_reason(decision: Decision) -> None:
    assert decide(decision, "  ") == [f"A '{decision.label}' decision needs a reason."]


@pytest.mark.parametrize("decision", [RECYCLE, HOLD, KILL])
def test_recycle_hold_and_kill_with_a_reason_are_allowed_even_when_not_ready(
    decision: Decision,
) -> None:
    assert decide(decision, "The vendor went bankrupt", ready=False) == []


@pytest.mark.parametrize("decision", [CONDITIONAL_GO, KILL])
def test_a_decision_the_gate_does_not_allow_is_refused(decision: Decision) -> None:
    policy = standard()
    project = state(policy, facts_for(policy, budget="1", risk="low", duration_months=1))
    result = report(policy, "closure", project)
    problems = can_decide(result, project, decision, "because", (FOLLOW_UP,), TODAY)
    assert [p.text for p in problems] == [
        f"'{decision.label}' is not allowed at G5 Project closure (go, recycle, hold)."
    ]


# --- where a decision takes the project ------------------------------------------------------

OUTCOMES = [
    pytest.param("initiation", GO, "planning", id="g1-go"),
    pytest.param("initiation", CONDITIONAL_GO, "planning", id="g1-conditional-go"),
    pytest.param("initiation", RECYCLE, "initiation", id="g1-recycle-stays-in-initiation"),
    pytest.param("planning", RECYCLE, "planning", id="g2-recycle"),
    pytest.param("cutover", GO, "closure", id="g4-go"),
    pytest.param("cutover", RECYCLE, "cutover", id="g4-recycle"),
    pytest.param("closure", GO, "closed", id="g5-go"),
    pytest.param("closure", RECYCLE, "closure", id="g5-recycle"),
    pytest.param("execution", HOLD, ON_HOLD, id="hold"),
    pytest.param("execution", KILL, KILLED, id="kill"),
]


@pytest.mark.parametrize(("gate_id", "decision", "stage"), OUTCOMES)
def test_each_decision_moves_the_project_to_its_stage(
    gate_id: str, decision: Decision, stage: str
) -> None:
    assert outcome(standard(), gate(standard(), gate_id), decision) == stage


def test_hold_and_kill_are_the_reserved_stages() -> None:
    assert (ON_HOLD, KILLED) == ("on_hold", "killed")


@pytest.mark.parametrize(
    ("gate_id", "stage"),
    [
        ("initiation", "initiation"),
        ("planning", "planning"),
        ("execution", "execution"),
        ("cutover", "cutover"),
        ("closure", "closure"),
    ],
)
def test_the_stage_before_a_gate_is_the_one_the_project_waits_in(gate_id: str, stage: str) -> None:
    assert stage_before(standard(), gate(standard(), gate_id)) == stage


NEXT_GATES = [
    pytest.param("standard", "initiation", "initiation", id="standard-initiation"),
    pytest.param("standard", "planning", "planning", id="standard-planning"),
    pytest.param("standard", "execution", "execution", id="standard-execution"),
    pytest.param("standard", "cutover", "cutover", id="standard-cutover"),
    pytest.param("standard", "closure", "closure", id="standard-closure"),
    pytest.param("standard", "closed", None, id="standard-closed-is-final"),
    pytest.param("standard", ON_HOLD, None, id="standard-on-hold"),
    pytest.param("standard", KILLED, None, id="standard-killed"),
    pytest.param("lite", "initiation", "initiation", id="lite-initiation"),
    pytest.param("lite", "execution", "cutover", id="lite-execution"),
    pytest.param("lite", "closure", "closure", id="lite-closure"),
    pytest.param("lite", "closed", None, id="lite-closed-is-final"),
    pytest.param("matrix", "idea", "start", id="matrix-idea"),
    pytest.param("matrix", "build", "ship", id="matrix-build"),
    pytest.param("matrix", "live", None, id="matrix-live-is-final"),
]


@pytest.mark.parametrize(("policy_name", "stage", "gate_id"), NEXT_GATES)
def test_next_gate_for_each_stage(policy_name: str, stage: str, gate_id: str | None) -> None:
    policy = {"standard": standard, "lite": lite, "matrix": matrix}[policy_name]()
    found = next_gate(policy, stage)
    assert (found.id if found else None) == gate_id


# -- a cap on review rounds --------------------------------------------------------------------


def capped(rounds: int | None, at_round: int) -> tuple[Readiness, ProjectState]:
    """The ready matrix project at review round `at_round` of a start gate capped at `rounds`."""
    from dataclasses import replace

    found, project = ready_project()
    return replace(found, gate=replace(found.gate, max_rounds=rounds)), replace(
        project, round=at_round
    )


@pytest.mark.parametrize(
    ("rounds", "at_round", "refused"),
    [(3, 2, False), (3, 3, True), (3, 4, True), (1, 1, True), (None, 50, False)],
)
def test_a_recycle_at_the_last_round_the_gate_allows_is_refused(rounds, at_round, refused) -> None:
    found, project = capped(rounds, at_round)

    refusals = can_decide(found, project, RECYCLE, "Rework", (), TODAY)

    assert [r.rule for r in refusals] == (["decide.max_rounds"] if refused else [])


def test_at_the_last_round_the_project_is_still_decided_held_or_killed() -> None:
    found, project = capped(2, 2)

    assert can_decide(found, project, GO, "", (), TODAY) == []
    assert can_decide(found, project, HOLD, "Funding", (), TODAY) == []
    assert can_decide(found, project, KILL, "Stopped", (), TODAY) == []
    [refusal] = can_decide(found, project, RECYCLE, "Again", (), TODAY)
    assert refusal.text == (
        "Start gate has had 2 review rounds, the most its policy allows: it cannot be recycled "
        "again. Decide it, hold the project or kill it."
    )
