"""Gate decisions: when each may be taken, and where it takes the project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import cel

from gates.conditions import ConditionError, holds
from gates.model import OpenCondition, ProjectState
from gates.readiness import Readiness
from gates.refusals import Refusal, refusals_of
from gates.triggers import WHEN
from policies.model import (
    Decision,
    Gate,
    OpenConditions,
    Overrides,
    Policy,
    Trigger,
)

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


def deciding_roles(gate: Gate, context: cel.Context) -> frozenset[str]:
    """The roles that may decide `gate` for the project in `context`: each of its deciders
    whose condition holds (one that cannot be evaluated for the project does not)."""
    roles = set()
    for decider in gate.decided_by:
        try:
            if decider.when is None or holds(decider.when, context):
                roles.add(decider.role)
        except ConditionError:
            continue
    return frozenset(roles)


def deciders_in_words(policy: Policy, roles: frozenset[str]) -> str:
    """'the Investment board or the Treasury': who may decide, as a refusal names them."""
    titles = sorted(f"the {policy.role_title(r)}" for r in roles)
    return " or ".join(titles) if titles else "nobody"


def deciders_described(policy: Policy, gate: Gate) -> str:
    """Who decides `gate`, as the policy says it: 'the Finance controller (when
    project.budget > 1000000.0) or the Project sponsor'."""
    return " or ".join(
        f"the {policy.role_title(d.role)}" + (f" (when {d.when})" if d.when else "")
        for d in gate.decided_by
    )


def rules_of_the_decision(policy: Policy, gate: Gate) -> list[str]:
    """What a gate's decision waits for beyond its requirements, in words: a panel's vote,
    a cap on its rounds, whether it is held again and what reviews it again ('a vote of the
    Gatekeeper panel (majority)', 'at most 3 rounds', 'reviewed again every 1 year, ...')."""
    rules = []
    if gate.vote is not None:
        rules.append(
            f"a vote of the {policy.role_title(gate.vote.panel)} panel ({gate.vote.needs})"
        )
    if gate.max_rounds is not None:
        rules.append(f"at most {gate.max_rounds} review rounds")
    if gate.repeatable:
        rules.append("may be held again after it passed")
    return rules + [_triggered(t) for t in policy.triggers if t.review == gate.id]


def _triggered(trigger: Trigger) -> str:
    if trigger.recur is not None:
        return f"reviewed again {trigger.recur}"
    return f"reviewed again {WHEN[trigger.on]}"


def can_decide(
    report: Readiness,
    state: ProjectState,
    decision: Decision,
    reason: str,
    follow_ups: Sequence[FollowUp],
    today: date,
    *,
    open_conditions: OpenConditions = OpenConditions.BLOCK,
    recycle_to: str | None = None,
) -> list[Refusal]:
    """Every reason `decision` may not be taken on this review now; empty when it may.

    A condition's refusals name its input by its place in `follow_ups`: 'conditions-0'.
    `open_conditions` is the policy's word on conditions of earlier gates still open
    (`state.open_conditions`); `recycle_to` the earlier gate a recycle sends the project to.
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
        unclosed = conditions_blocking(state.open_conditions, open_conditions, today)
        return [*blocking, *unclosed, *_follow_up_problems(decision, follow_ups, today)]
    refusals = recycle_refusals(gate, recycle_to) if decision is Decision.RECYCLE else []
    if decision is Decision.RECYCLE:
        refusals += rounds_refusals(gate, state.round)
    if recycle_to is not None and decision is not Decision.RECYCLE:
        text = "Only a recycle sends the project back to an earlier gate."
        refusals.append(Refusal("decide.recycle_target_unused", "recycle_to", text))
    if not reason.strip():
        text = f"A '{decision.label}' decision needs a reason."
        refusals.append(Refusal("decide.reason_required", "reason", text))
    return refusals


def rounds_refusals(gate: Gate, round_: int | None) -> list[Refusal]:
    """A recycle at the last round the gate's `max_rounds` allows is refused: the project
    is then decided, held or killed."""
    if gate.max_rounds is None or round_ is None or round_ < gate.max_rounds:
        return []
    text = (
        f"{gate.name} has had {round_} review rounds, the most its policy allows: it cannot be "
        "recycled again. Decide it, hold the project or kill it."
    )
    return [Refusal("decide.max_rounds", "decision", text)]


def conditions_blocking(
    conditions: Sequence[OpenCondition], rule: OpenConditions, today: date
) -> list[Refusal]:
    """Why open conditions of earlier gates stop a go now: one refusal per condition, unless
    the policy lets the next gate pass with them open."""
    if rule is OpenConditions.ALLOW:
        return []
    refusals = []
    for item in conditions:
        late = f", overdue since {item.due:%Y-%m-%d}" if item.overdue(today) else ""
        text = (
            f"Condition {item.id} of {item.gate_id} is still open ({item.action}; owner "
            f"{item.owner}, due {item.due:%Y-%m-%d}{late}): its owner closes it first."
        )
        refusals.append(Refusal("decide.open_conditions", None, text))
    return refusals


def recycle_refusals(gate: Gate, target: str | None) -> list[Refusal]:
    """Why a recycle at `gate` may not send the project back to `target` (None: rework this
    gate, always allowed)."""
    if target is None or target == gate.id or target in gate.recycle_to:
        return []
    if gate.recycle_to:
        allowed = f"{gate.id} (rework here) or {', '.join(gate.recycle_to)}"
    else:
        allowed = f"{gate.id} only: the policy allows no recycle to an earlier gate"
    text = f"A recycle at {gate.name} may go back to {allowed}, not '{target}'."
    return [Refusal("decide.recycle_target", "recycle_to", text)]


def go_blockers(policy: Policy, report: Readiness, state: ProjectState, today: date) -> list[str]:
    """Everything that stops a go now, in words: the gate's blocking requirements, then the
    open conditions of earlier gates the policy holds it to (what an override passes over)."""
    unclosed = conditions_blocking(state.open_conditions, policy.open_conditions, today)
    return [*report.reasons(), *(refusal.text for refusal in unclosed)]


def can_override(
    policy: Policy,
    report: Readiness,
    state: ProjectState,
    today: date,
    requested_by: str,
    confirmer: str | None = None,
) -> list[Refusal]:
    """Why a PMO override may not force `report`'s gate through now (requested by
    `requested_by`; with `confirmer`, the second PMO member's confirmation); empty when it may.

    An override is for a gate that something stops (go_blockers), where the policy allows
    it; the second member is never the one who asked.
    """
    refusals = []
    if policy.overrides is Overrides.FORBIDDEN:
        text = f"{policy.ref} forbids PMO overrides: the gate passes only when it is ready."
        refusals.append(Refusal("override.forbidden", None, text))
    elif not go_blockers(policy, report, state, today):
        text = f"{report.gate.name} is ready: decide it as usual, no override is needed."
        refusals.append(Refusal("override.not_needed", None, text))
    if confirmer is not None:
        refusals.extend(second_member_refusals(requested_by, confirmer))
    return refusals


def second_member_refusals(requested_by: str, answerer: str) -> list[Refusal]:
    """Why `answerer` may not answer (confirm or decline) an override `requested_by` asked
    for: only a second member of the PMO answers it."""
    if answerer != requested_by:
        return []
    text = (
        "You asked for this override: a second member of the PMO must confirm it, "
        "never the one who asked."
    )
    return [Refusal("sod.override_second_member", None, text)]


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


def close_refusals(closer: str, owner: str, closed: bool, note: str | None) -> list[Refusal]:
    """Why `closer` may not close a condition owned by `owner` now (`closed`: it already
    is); a condition is closed by its owner, with a note saying what was done (None: the
    question is whether they may close it at all)."""
    if closed:
        return [Refusal("condition.closed", None, "This condition is already closed.")]
    refusals = []
    if closer != owner:
        text = f"Only the condition's owner ({owner}) may close it."
        refusals.append(Refusal("condition.not_owner", None, text))
    if note is not None and not note.strip():
        text = "Say what was done to meet the condition."
        refusals.append(Refusal("condition.note_required", "note", text))
    return refusals


def stage_before(policy: Policy, gate: Gate) -> str:
    """The stage a project is in while it waits at `gate`."""
    index = policy.gates.index(gate)
    return policy.stages[index]


def outcome(policy: Policy, gate: Gate, decision: Decision, recycle_to: str | None = None) -> str:
    """The stage the project is in after `decision` at `gate` (a recycle: back before
    `recycle_to`, or before this gate)."""
    if decision in (Decision.GO, Decision.CONDITIONAL_GO):
        return gate.stage
    if decision is Decision.HOLD:
        return ON_HOLD
    if decision is Decision.KILL:
        return KILLED
    target = policy.gate(recycle_to) if recycle_to else None
    return stage_before(policy, target or gate)


def next_gate(policy: Policy, stage: str) -> Gate | None:
    """The gate a project in `stage` must pass next, or None at the final stage."""
    return next((g for g in policy.gates if stage_before(policy, g) == stage), None)
