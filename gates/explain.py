"""What a project with given facts would need at every gate, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from gates.model import ProjectState
from gates.readiness import Applicability, applicability, skip_reason
from gates.tiering import TierChoice, classify
from policies.model import FactValue, Gate, Policy


@dataclass(frozen=True, slots=True)
class GateNeeds:
    """One gate's requirements for a project: those that apply and those skipped."""

    gate: Gate
    skipped: str
    required: tuple[Applicability, ...]
    not_needed: tuple[Applicability, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """A project's tier and, per gate, what applies and why."""

    tier: TierChoice
    gates: tuple[GateNeeds, ...]


def explain(policy: Policy, facts: Mapping[str, FactValue], now: datetime) -> Explanation:
    """Classify a project with `facts` and list, per gate, each requirement with its reason."""
    choice = classify(policy, facts)
    state = ProjectState(facts=facts, tier=choice.tier.id)
    needs = tuple(_gate_needs(policy, gate, state, now) for gate in policy.gates)
    return Explanation(choice, needs)


def _gate_needs(policy: Policy, gate: Gate, state: ProjectState, now: datetime) -> GateNeeds:
    skipped = skip_reason(gate, state)
    if skipped:
        return GateNeeds(gate, skipped, (), ())
    items = applicability(policy, gate, state, now)
    return GateNeeds(
        gate=gate,
        skipped=skipped,
        required=tuple(i for i in items if i.applies),
        not_needed=tuple(i for i in items if not i.applies),
    )
