"""What a project with given facts would need at every gate, and why, in sentences: the tier
and the rules passed over, each gate skipped or not, each requirement needed or not, and
whether each criterion that applies passes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from gates.model import ProjectState
from gates.readiness import title_of
from gates.sentences import Sentence, in_words
from gates.tiering import TierChoice, classify
from policies.model import Condition, Criterion, FactValue, Gate, Policy, Requirement


@dataclass(frozen=True, slots=True)
class Need:
    """One requirement of a gate for the project: does it apply and why; for a criterion that
    applies, `check` says whether it passes and why."""

    requirement: Requirement
    title: str
    applies: bool
    reason: str
    when: Sentence | None = None
    check: Sentence | None = None

    @property
    def verdict(self) -> str:
        """'passes', 'fails' or 'cannot tell yet' for a criterion that applies; else ''."""
        if self.check is None:
            return ""
        return {True: "passes", False: "fails", None: "cannot tell yet"}[self.check.held]

    @property
    def verdict_reason(self) -> str:
        """'passes because duration 10 months is at most 36', 'cannot tell yet: risk is not
        set'; '' when there is nothing to check."""
        if self.check is None:
            return ""
        joint = ":" if self.check.held is None else " because"
        return f"{self.verdict}{joint} {self.check.text}"


@dataclass(frozen=True, slots=True)
class GateNeeds:
    """One gate's requirements for a project: those that apply and those that do not."""

    gate: Gate
    skipped: str
    required: tuple[Need, ...]
    not_needed: tuple[Need, ...]

    @property
    def checks(self) -> tuple[Need, ...]:
        """The criteria that apply, each with whether it passes."""
        return tuple(n for n in self.required if n.check is not None)


@dataclass(frozen=True, slots=True)
class Explanation:
    """A project's tier and why (and why not the tiers tried before it); per gate, what
    applies and why, and whether each criterion passes."""

    tier: TierChoice
    tier_reason: str
    passed_over: tuple[str, ...]
    gates: tuple[GateNeeds, ...]


def explain(policy: Policy, facts: Mapping[str, FactValue], now: datetime) -> Explanation:
    """Classify a project with `facts` and say, per gate, each requirement with its reason
    and each criterion that applies with whether it passes for these facts. `now` is the
    moment the explanation is for (kept for the callers; no rule here reads the clock yet)."""
    choice = classify(policy, facts)
    state = ProjectState(facts=facts, tier=choice.tier.id)
    reason, passed_over = _tier_reasons(policy, choice, facts)
    needs = tuple(_gate_needs(policy, gate, state) for gate in policy.gates)
    return Explanation(choice, reason, passed_over, needs)


def _tier_reasons(
    policy: Policy, choice: TierChoice, facts: Mapping[str, FactValue]
) -> tuple[str, tuple[str, ...]]:
    """Why the chosen tier, and why not each tier tried before it."""
    passed_over: list[str] = []
    for tier in policy.tiers:
        if tier.when is None:
            break
        said = in_words(tier.when, facts, "")
        if tier is choice.tier:
            return f"{tier.title} because {said.text}", tuple(passed_over)
        if said.held is None:
            passed_over.append(f"{tier.title} cannot be told yet: {said.text}")
        else:
            passed_over.append(f"Not {tier.title} because {said.text}")
    return choice.reason, tuple(passed_over)


def _gate_needs(policy: Policy, gate: Gate, state: ProjectState) -> GateNeeds:
    skipped = _skipped(gate, state)
    if skipped:
        return GateNeeds(gate, skipped, (), ())
    items = [_need(policy, r, state) for r in gate.requirements]
    return GateNeeds(
        gate=gate,
        skipped=skipped,
        required=tuple(i for i in items if i.applies),
        not_needed=tuple(i for i in items if not i.applies),
    )


def _skipped(gate: Gate, state: ProjectState) -> str:
    """Why the gate is skipped, or '' (a skip rule that cannot be told yet does not skip)."""
    if gate.skip_when is None:
        return ""
    said = _said(gate.skip_when, state)
    return f"{gate.name} is skipped because {said.text}" if said.held else ""


def _need(policy: Policy, requirement: Requirement, state: ProjectState) -> Need:
    title = title_of(policy, requirement)
    when = None if requirement.when is None else _said(requirement.when, state)
    if when is not None and when.held is False:
        return Need(requirement, title, False, f"Not needed because {when.text}", when)
    if when is None:
        reason = "Required at this gate"
    elif when.held is None:
        reason = f"Required because its condition cannot be checked yet: {when.text}"
    else:
        reason = f"Required because {when.text}"
    check = _said(requirement.expr, state) if isinstance(requirement, Criterion) else None
    return Need(requirement, title, True, reason, when, check)


def _said(condition: Condition, state: ProjectState) -> Sentence:
    return in_words(condition, state.facts, state.tier, state.context)
