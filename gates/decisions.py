"""Gate decisions: when each may be taken, and where it takes the project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gates.model import ProjectState
from gates.readiness import Readiness
from policies.model import Decision, Gate, Policy

ON_HOLD = "on_hold"
KILLED = "killed"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A condition of a conditional go: an action, who owns it, and when it is due."""

    action: str
    owner: str
    due: date


def can_decide(
    report: Readiness,
    state: ProjectState,
    decision: Decision,
    reason: str,
    follow_ups: Sequence[FollowUp],
    today: date,
) -> list[str]:
    """Every reason `decision` may not be taken on this review now; empty when it may."""
    gate = report.gate
    if state.snapshot_digest is None:
        return [f"{gate.name} has not been submitted: there is nothing to decide yet."]
    if decision not in gate.decisions:
        allowed = ", ".join(d.label for d in gate.decisions)
        return [f"'{decision.label}' is not allowed at {gate.name} ({allowed})."]
    if decision in (Decision.GO, Decision.CONDITIONAL_GO):
        return [*report.reasons(), *_follow_up_problems(decision, follow_ups, today)]
    if not reason.strip():
        return [f"A '{decision.label}' decision needs a reason."]
    return []


def _follow_up_problems(
    decision: Decision, follow_ups: Sequence[FollowUp], today: date
) -> list[str]:
    if decision is Decision.GO:
        return ["A plain go has no conditions: use conditional go."] if follow_ups else []
    if not follow_ups:
        return ["A conditional go needs at least one condition (action, owner, due date)."]
    problems = []
    for number, item in enumerate(follow_ups, start=1):
        if not item.action.strip() or not item.owner.strip():
            problems.append(f"Condition {number} needs an action and an owner.")
        if item.due < today:
            problems.append(f"Condition {number} is due {item.due:%Y-%m-%d}, in the past.")
    return problems


def stage_before(policy: Policy, gate: Gate) -> str:
    """The stage a project is in while it waits at `gate`."""
    index = policy.gates.index(gate)
    return policy.stages[index]


def outcome(policy: Policy, gate: Gate, decision: Decision) -> str:
    """The stage the project is in after `decision` at `gate`."""
    if decision in (Decision.GO, Decision.CONDITIONAL_GO):
        return gate.stage
    if decision is Decision.HOLD:
        return ON_HOLD
    if decision is Decision.KILL:
        return KILLED
    return stage_before(policy, gate)


def next_gate(policy: Policy, stage: str) -> Gate | None:
    """The gate a project in `stage` must pass next, or None at the final stage."""
    return next((g for g in policy.gates if stage_before(policy, g) == stage), None)
