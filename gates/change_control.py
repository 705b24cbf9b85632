"""Change control on facts: what a change of a project's facts would do, and whether it needs
an approved change request.

Before its first gate is passed a project's facts are still being worked out, and change
freely. From then on they are the baseline the gates were passed on: a change that moves the
tier or makes a requirement stop applying (of the gate under way or one still ahead) needs a
change request, and so does a money fact moving beyond the policy's threshold from its
baseline (the facts at the first gate, or at the last approved change, so that a row of small
edits cannot walk past the threshold). Pure: the caller reads the facts and the baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import cel

from gates.conditions import ConditionError, holds
from gates.programmes import TierMove
from gates.readiness import title_of
from gates.tiering import classify
from gates.triggers import Occurrence, owed, reviewed_gates
from policies.conditions import evaluation_context
from policies.facts import format_value
from policies.model import Condition, FactValue, Gate, Policy, Requirement, TriggerEvent
from policies.money import base_amount

NEEDS_REQUEST = "change.needs_request"


@dataclass(frozen=True, slots=True)
class RequirementChange:
    """A requirement of a gate that starts or stops applying."""

    gate: str
    gate_name: str
    key: str
    title: str

    def __str__(self) -> str:
        return f"{self.title} ({self.gate_name})"


@dataclass(frozen=True, slots=True)
class MoneyMove:
    """A money fact moved beyond its threshold from the baseline, measured in the policy's
    base currency (`was` and `now`), shown as entered (`baseline` and `new`)."""

    fact: str
    baseline: FactValue
    new: FactValue
    limit: Decimal
    was: Decimal
    now: Decimal

    def __str__(self) -> str:
        moved = "any change" if not self.was else f"{self.percent:.1f}%"
        return (
            f"{self.fact} {format_value(self.baseline)} -> {format_value(self.new)} moves "
            f"{moved} from its baseline (more than ±{self.limit}% needs a request)"
        )

    @property
    def percent(self) -> Decimal:
        """How far the value moved from the baseline, in percent of the baseline's size."""
        return abs(self.now - self.was) * 100 / abs(self.was) if self.was else Decimal()


@dataclass(frozen=True, slots=True)
class Impact:
    """What a change of facts does: the tier before and after, the requirements it adds and
    drops at the gate under way and the gates ahead, the money moved beyond its threshold,
    and whether it needs an approved change request."""

    old_tier: str
    new_tier: str
    added: tuple[RequirementChange, ...] = ()
    dropped: tuple[RequirementChange, ...] = ()
    money: tuple[MoneyMove, ...] = ()
    controlled: bool = False
    siblings: tuple[TierMove, ...] = ()
    """The other projects of the programme whose tier the change moves."""

    @property
    def tier_changes(self) -> bool:
        """True when the project would move to another tier."""
        return self.old_tier != self.new_tier

    @property
    def moves_controlled_siblings(self) -> bool:
        """True when the change moves the tier of another project past its first gate."""
        return any(move.controlled for move in self.siblings)

    @property
    def needs_request(self) -> bool:
        """True when the change may be made only through an approved change request: it
        changes this project beyond what its change control lets through, or the tier of
        another project of the programme under change control."""
        own = self.controlled and bool(self.tier_changes or self.dropped or self.money)
        return own or self.moves_controlled_siblings

    def reasons(self) -> list[str]:
        """Why the change needs a request, in words; empty when it does not."""
        if not self.needs_request:
            return []
        found = []
        if self.controlled:
            found += [f"the tier moves from {self.old_tier} to {self.new_tier}"] * (
                self.tier_changes
            )
            found += [f"{r} would no longer be required" for r in self.dropped]
            found += [str(m) for m in self.money]
        moved = [f"{m} (same programme)" for m in self.siblings if m.controlled]
        return found + moved

    def as_record(self) -> dict[str, object]:
        """The impact as plain values, as stored with a change request and its events."""
        return {
            "old_tier": self.old_tier,
            "new_tier": self.new_tier,
            "added": [_requirement_record(r) for r in self.added],
            "dropped": [_requirement_record(r) for r in self.dropped],
            "money": [str(m) for m in self.money],
            "needs_request": self.needs_request,
        } | ({"siblings": [m.as_record() for m in self.siblings]} if self.siblings else {})


def _requirement_record(change: RequirementChange) -> dict[str, str]:
    return {"gate": change.gate, "key": change.key, "title": change.title}


def under_change_control(policy: Policy, stage: str) -> bool:
    """True once the project's first gate is passed: any stage but the initial one (a
    project on hold is asked about the stage it resumes to)."""
    return stage != policy.initial_stage


def gates_ahead(policy: Policy, stage: str) -> tuple[Gate, ...]:
    """The gate under way for a project in `stage` and every gate after it."""
    stages = policy.stages
    if stage not in stages:
        return ()
    return policy.gates[stages.index(stage) :]


def impact(
    policy: Policy,
    stage: str,
    old: Mapping[str, FactValue],
    new: Mapping[str, FactValue],
    baseline: Mapping[str, FactValue] | None = None,
    *,
    programme: tuple[Mapping[str, object], Mapping[str, object]] | None = None,
    siblings: tuple[TierMove, ...] = (),
) -> Impact:
    """What changing the facts of a project in `stage` from `old` to `new` does; money moves
    are measured from `baseline` (default: `old`). `programme` is the project's `programme`
    value before and after (gates.programmes.programme_value; None: the project alone), and
    `siblings` the other projects of the programme whose tier the change moves."""
    was, will = programme or (None, None)
    old_tier = classify(policy, old, programme=was).tier.id
    new_tier = classify(policy, new, programme=will).tier.id
    before = _applying(policy, stage, old, old_tier, was)
    after = _applying(policy, stage, new, new_tier, will)
    return Impact(
        old_tier,
        new_tier,
        added=tuple(r for r in after if r not in before),
        dropped=tuple(r for r in before if r not in after),
        money=_money_moves(policy, baseline if baseline is not None else old, new),
        controlled=under_change_control(policy, stage),
        siblings=siblings,
    )


def _applying(
    policy: Policy,
    stage: str,
    facts: Mapping[str, FactValue],
    tier: str,
    programme: Mapping[str, object] | None = None,
) -> list[RequirementChange]:
    context = evaluation_context(facts, tier, programme=programme)
    found = []
    for gate in gates_ahead(policy, stage):
        if gate.skip_when is not None and _holds(gate.skip_when, context):
            continue
        found += [
            RequirementChange(gate.id, gate.name, r.key, title_of(policy, r))
            for r in gate.requirements
            if _applies(r, context)
        ]
    return found


def _applies(requirement: Requirement, context: cel.Context) -> bool:
    """A requirement whose condition cannot be checked applies (as readiness says)."""
    if requirement.when is None:
        return True
    try:
        return holds(requirement.when, context)
    except ConditionError:
        return True


def _holds(condition: Condition, context: cel.Context) -> bool:
    try:
        return holds(condition, context)
    except ConditionError:
        return False


def _money_moves(
    policy: Policy, baseline: Mapping[str, FactValue], new: Mapping[str, FactValue]
) -> tuple[MoneyMove, ...]:
    moves = []
    for threshold in policy.change_control.money:
        before, after = baseline.get(threshold.fact), new.get(threshold.fact)
        was, now = base_amount(before), base_amount(after)
        if before is None or after is None or was is None or now is None or was == now:
            continue
        move = MoneyMove(threshold.fact, before, after, threshold.percent, was, now)
        if not was or move.percent > threshold.percent:
            moves.append(move)
    return tuple(moves)


def rebaseline_gates(policy: Policy) -> tuple[str, ...]:
    """The gates whose review an approved change opens again (`triggers`, on
    change_approved), in policy order."""
    return reviewed_gates(policy, TriggerEvent.CHANGE_APPROVED)


def rebaseline_occurrences(policy: Policy, changed_at: datetime | None) -> list[Occurrence]:
    """The re-baseline reviews the last approved change (`changed_at`, None when there was
    none) asks for, as gates.triggers reads every triggered review."""
    if changed_at is None:
        return []
    kind = TriggerEvent.CHANGE_APPROVED
    return [Occurrence(gate, kind, "change", changed_at) for gate in rebaseline_gates(policy)]


def due_before_next_gate(
    policy: Policy, changed_at: datetime | None, passed: Mapping[str, datetime]
) -> tuple[str, ...]:
    """The re-baseline reviews that must pass before the project's next gate: each gate a
    trigger names whose latest go (`passed`: gate id -> when) is older than the last
    approved change (`changed_at`, None when there was none)."""
    return tuple(o.gate for o in owed(rebaseline_occurrences(policy, changed_at), passed))
