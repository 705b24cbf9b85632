"""Programmes as the gate rules read them: what a programme's projects add up to, the
`programme` value a project's conditions read, and whose tier a change moves.

A project in a programme reads its programme's totals (`programme.total_<money fact>`, the
sum over every project of the programme, itself included), its count (`programme.projects`)
and whether its other projects have reached a stage (`programme.reached.<stage>`). So
splitting a project in two under one programme does not escape a tier rule over the total.
A project in no programme is a programme of itself alone. Every project of the programme
counts in its totals, killed ones too, until it is removed from the programme; a killed one
never holds back `reached`, and one on hold counts at the stage it resumes to.

Pure: the caller reads the programme's members (workflows.gate_inputs.programme_members).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from gates.decisions import KILLED, ON_HOLD
from gates.model import PMO
from gates.tiering import classify
from policies.conditions import PROGRAMME_COUNT, PROGRAMME_REACHED, TOTAL
from policies.model import Condition, FactType, FactValue, Policy
from policies.money import base_amount

PROGRAMME_SPONSOR = "programme_sponsor"
"""The role of sponsoring a project's programme, as change requests name it (the collector,
workflows.authority, gives it on every project of the programmes a person sponsors)."""


@dataclass(frozen=True, slots=True)
class Members:
    """A programme's projects as the rules read them: how many, the sum of each money fact,
    and how many are in each stage (killed ones left out, one on hold at its resume stage)."""

    key: str
    count: int
    totals: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    stages: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


def member_stage(stage: str, resume_stage: str | None) -> str | None:
    """The stage a project counts at in its programme: a project on hold at the stage it
    resumes to, a killed one at none."""
    if stage == KILLED:
        return None
    return resume_stage if stage == ON_HOLD and resume_stage else stage


def _money(facts: Mapping[str, FactValue]) -> dict[str, Decimal]:
    """The money facts in the base currency (money given in another is converted)."""
    found = {name: base_amount(value) for name, value in facts.items()}
    return {name: amount for name, amount in found.items() if amount is not None}


def alone(facts: Mapping[str, FactValue], stage: str | None) -> Members:
    """A project in no programme: a programme of itself alone."""
    return joined(Members("", 0), facts, stage)


def joined(members: Members, facts: Mapping[str, FactValue], stage: str | None) -> Members:
    """The programme with one more project, of these facts and this stage."""
    totals = _added(members.totals, _money(facts), 1)
    stages = Counter(members.stages)
    if stage is not None:
        stages[stage] += 1
    return Members(members.key, members.count + 1, totals, +stages)


def left(members: Members, facts: Mapping[str, FactValue], stage: str | None) -> Members:
    """The programme without one of its projects, of these facts and this stage."""
    totals = _added(members.totals, _money(facts), -1)
    stages = Counter(members.stages)
    if stage is not None:
        stages[stage] -= 1
    return Members(members.key, members.count - 1, totals, +stages)


def _added(
    totals: Mapping[str, Decimal], amounts: Mapping[str, Decimal], sign: int
) -> dict[str, Decimal]:
    found = dict(totals)
    for name, amount in amounts.items():
        found[name] = found.get(name, Decimal(0)) + sign * amount
    return found


def changed(
    members: Members,
    old: Mapping[str, FactValue],
    new: Mapping[str, FactValue],
    stage: str | None,
) -> Members:
    """The programme once one of its projects' facts change from `old` to `new`."""
    return joined(left(members, old, stage), new, stage)


def programme_value(
    policy: Policy, members: Members, own_stage: str | None = None
) -> dict[str, object]:
    """The `programme` a condition of `policy` reads for one of `members`' projects, in
    `own_stage`: its count, the total of each money fact of the policy (as a CEL double),
    and for each stage of the policy whether every other project has reached it."""
    value: dict[str, object] = {PROGRAMME_COUNT: members.count}
    for fact in policy.facts:
        if fact.type is FactType.MONEY:
            value[TOTAL + fact.id] = float(members.totals.get(fact.id, 0))
    value[PROGRAMME_REACHED] = reached(policy, members, own_stage)
    return value


def reached(policy: Policy, members: Members, own_stage: str | None) -> dict[str, bool]:
    """For each stage of `policy`, whether every project of `members` but the one in
    `own_stage` is at that stage or beyond (a stage the policy does not have is behind all)."""
    order = {stage: place for place, stage in enumerate(policy.stages)}
    others = Counter(members.stages)
    if own_stage is not None:
        others[own_stage] -= 1
    lowest = min((order.get(s, -1) for s, n in others.items() if n > 0), default=len(order))
    return {stage: lowest >= place for stage, place in order.items()}


def reads_programme(policy: Policy) -> bool:
    """True when a condition of the policy reads `programme`: only then does the batch
    reader read the programmes' members."""
    return any(c.programme for c in conditions_of(policy))


def tiers_read_programme(policy: Policy) -> bool:
    """True when a tier rule reads `programme`: only then can a sibling's change move a
    project's tier."""
    return any(t.when is not None and t.when.programme for t in policy.tiers)


def conditions_of(policy: Policy) -> Iterable[Condition]:
    """Every condition of the policy: tier rules, gate skips, requirement conditions and
    criteria, sign-off counts and deciders."""
    for tier in policy.tiers:
        if tier.when is not None:
            yield tier.when
    for gate in policy.gates:
        if gate.skip_when is not None:
            yield gate.skip_when
        for requirement in gate.requirements:
            if requirement.when is not None:
                yield requirement.when
        for criterion in gate.criteria:
            yield criterion.expr
        for signoff in gate.signoffs:
            if isinstance(signoff.min, Condition):
                yield signoff.min
        for decider in gate.decided_by:
            if decider.when is not None:
                yield decider.when


@dataclass(frozen=True, slots=True)
class Sibling:
    """Another project of the programme, as a change of one project reads it: its policy,
    facts, stored tier, and whether its facts are under change control."""

    key: str
    policy: Policy
    facts: Mapping[str, FactValue]
    tier: str
    stage: str | None
    controlled: bool = False


@dataclass(frozen=True, slots=True)
class TierMove:
    """A project whose tier a change moves: from, to, and why (in words)."""

    key: str
    old_tier: str
    new_tier: str
    reason: str
    controlled: bool = False

    def __str__(self) -> str:
        return f"{self.key} moves from {self.old_tier} to {self.new_tier}"

    def as_record(self) -> dict[str, object]:
        """As a change request and its events keep it."""
        return {"project": self.key, "old_tier": self.old_tier, "new_tier": self.new_tier}


def tier_moves(siblings: Iterable[Sibling], after: Members) -> tuple[TierMove, ...]:
    """The siblings whose tier moves once the programme is `after` (each read against the
    policy it is pinned to), in key order."""
    moves = []
    for sibling in sorted(siblings, key=lambda s: s.key):
        if not tiers_read_programme(sibling.policy):
            continue
        value = programme_value(sibling.policy, after, sibling.stage)
        choice = classify(sibling.policy, sibling.facts, programme=value)
        if choice.tier.id != sibling.tier:
            moves.append(
                TierMove(sibling.key, sibling.tier, choice.tier.id, choice.reason,
                         sibling.controlled)
            )  # fmt: skip
    return tuple(moves)


def change_approvers(approvers: tuple[str, ...], moves_siblings: bool) -> tuple[str, ...]:
    """Who approves a change request: the policy's change approvers, and where the change
    moves another project's tier (or the programme's membership), the programme's sponsor
    and the PMO too."""
    if not moves_siblings:
        return approvers
    return tuple(dict.fromkeys((*approvers, PROGRAMME_SPONSOR, PMO)))
