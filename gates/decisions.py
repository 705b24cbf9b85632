"""Gate decisions: when each may be taken, and where it takes the project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gates.model import ProjectState
from gates.readiness import Readiness
from gates.refusals import Refusal, refusals_of
from policies.model import Decision, Gate, Policy

ON_HOLD = "on_hold"
KILLED = "killed"


def stage_moves(stage: str, final_stage: str) -> tuple[str, ...]:
    """The moves outside a gate that make sense for a project in `stage`: hold and kill while
    it runs, resume while on hold (a killed or finished project moves no more)."""
    if stage in (KILLED, final_stage):
        return ()
    return ("resume", "kill") if stage == ON_HOLD else ("hold", "kill")


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
) -> list[Refusal]:
    """Every reason `decision` may not be taken on this review now; empty when it may.

    A condition's refusals name its input by its place in `follow_ups`: 'conditions-0'.
    """
    gate = report.gate
    if state.snapshot_digest is None:
        text = f"{gate.name} has not been submitted: there is nothing to decide yet."
        return [Refusal("decide.not_submitted", None, text)]
    if decision not in gate.decisions:
        allowed = ", ".join(d.label for d in gate.decisions)
        text = f"'{decision.label}' is not allowed at {gate.name} ({allowed})."
        return [Refusal("decide.not_allowed", "decision", text)]
    if decision in (Decision.GO, Decision.CONDITIONAL_GO):
        blocking = refusals_of("decide.not_ready", report.reasons())
        return [*blocking, *_follow_up_problems(decision, follow_ups, today)]
    if not reason.strip():
        text = f"A '{decision.label}' decision needs a reason."
        return [Refusal("decide.reason_required", "reason", text)]
    return []


def _follow_up_problems(
    decision: Decision, follow_ups: Sequence[FollowUp], today: date
) -> list[Refusal]:
    if decision is Decision.GO:
        text = "A plain go has no conditions: use conditional go."
        return [Refusal("decide.go_has_conditions", "conditions", text)] if follow_ups else []
    if not follow_ups:
        text = "A conditional go needs at least one condition (action, owner, due date)."
        return [Refusal("decide.conditions_required", "conditions", text)]
    problems = []
    for index, item in enumerate(follow_ups):
        field, number = f"conditions-{index}", index + 1
        if not item.action.strip() or not item.owner.strip():
            text = f"Condition {number} needs an action and an owner."
            problems.append(Refusal("decide.condition_incomplete", field, text))
        if item.due < today:
            text = f"Condition {number} is due {item.due:%Y-%m-%d}, in the past."
            problems.append(Refusal("decide.condition_due_past", field, text))
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
