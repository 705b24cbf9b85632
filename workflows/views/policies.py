"""Read models of the policy pages: the library of published versions, one version laid out
for reading, its gate flow, and the preview of an uploaded file before it is published."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy import func, select

from gates.counts import who_signs
from gates.decisions import deciders_described, rules_of_the_decision, stage_before
from gates.duties import duties_in_words
from gates.readiness import title_of
from gates.refusals import texts
from policies.diff import Change, diff_policies
from policies.loader import check_policy_text
from policies.model import (
    Artifact,
    Criterion,
    Fact,
    Gate,
    Policy,
    Requirement,
    Signoff,
    Tier,
)
from policies.money import rates_described
from policies.problems import Problem
from workflows.errors import NotFound
from workflows.machines import Definition, project_definition
from workflows.store.records import PolicyVersion, Project
from workflows.store.uow import UnitOfWork
from workflows.verbs.publishing import latest, version, version_refusals

CONTEXT_LINES = 2


@dataclass(frozen=True)
class PolicyShelf:
    """One policy id and its published versions, newest first."""

    policy_id: str
    versions: list[PolicyVersion]


def library(uow: UnitOfWork) -> list[PolicyShelf]:
    """Every published policy version, grouped by policy id (ids in alphabetical order)."""
    query = select(PolicyVersion).order_by(PolicyVersion.policy_id, PolicyVersion.version.desc())
    rows = uow.session.execute(query).scalars()
    return [PolicyShelf(key, list(group)) for key, group in groupby(rows, lambda r: r.policy_id)]


@dataclass(frozen=True)
class RequirementRow:
    """One requirement of a gate, in words: what kind, what, when it applies, its details."""

    kind: str
    key: str
    title: str
    when: str
    details: tuple[str, ...]


@dataclass(frozen=True)
class GateSheet:
    """A gate as the policy page shows it."""

    gate: Gate
    source: str
    escalate_to: str | None
    decisions: tuple[str, ...]
    decided_by: str
    also: tuple[str, ...]  # a panel's vote, a cap on rounds
    requirements: tuple[RequirementRow, ...]


@dataclass(frozen=True)
class PolicySheet:
    """A published policy version laid out for reading."""

    row: PolicyVersion
    policy: Policy
    facts: tuple[tuple[Fact, str], ...]
    tiers: tuple[tuple[Tier, str], ...]
    gates: tuple[GateSheet, ...]
    projects: int
    duties: tuple[str, ...] = ()
    relaxations: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    """The base currency and the exchange rates, in sentences (none: no currency stated)."""


def policy_sheet(uow: UnitOfWork, policy_id: str, number: int) -> PolicySheet:
    """The readable layout of `policy_id@number`; raises NotFound."""
    row = version(uow, policy_id, number)
    policy = uow.workspace.policy(row)
    pinned = select(func.count()).select_from(Project).where(Project.policy_version_id == row.id)
    duties, relaxations = duties_in_words(policy)
    return PolicySheet(
        row=row,
        policy=policy,
        facts=tuple((fact, _fact_detail(fact)) for fact in policy.facts),
        tiers=tuple((tier, str(tier.when) if tier.when else "otherwise") for tier in policy.tiers),
        gates=tuple(_gate_sheet(policy, gate) for gate in policy.gates),
        projects=uow.session.execute(pinned).scalar() or 0,
        duties=duties,
        relaxations=relaxations,
        money=rates_described(policy.exchange_rates),
    )


def published_policy(uow: UnitOfWork, policy_id: str, number: int) -> Policy:
    """The parsed policy of a published version; raises NotFound."""
    return uow.workspace.policy(version(uow, policy_id, number))


def gate_flow(policy: Policy) -> tuple[Definition, dict[str, str]]:
    """The project machine definition the engine runs, and a label per gate trigger."""
    definition = project_definition(policy)
    names = {f"pass_{gate.id}": gate.name for gate in policy.gates}
    labels = {
        t["trigger"]: names[t["trigger"]] for t in definition.transitions if t["trigger"] in names
    }
    return definition, labels


def _fact_detail(fact: Fact) -> str:
    parts = [fact.type.value, *fact.money.described()]
    if fact.values:
        parts.append("one of " + ", ".join(fact.values))
    parts.append("required" if fact.required and fact.default is None else "optional")
    if isinstance(fact.default, bool):
        parts.append(f"default {'true' if fact.default else 'false'}")
    elif fact.default is not None:
        parts.append(f"default {fact.default}")
    return "; ".join(parts)


def _gate_sheet(policy: Policy, gate: Gate) -> GateSheet:
    return GateSheet(
        gate=gate,
        source=stage_before(policy, gate),
        escalate_to=policy.role_title(gate.escalate_to) if gate.escalate_to else None,
        decisions=tuple(d.label for d in gate.decisions),
        decided_by=deciders_described(policy, gate),
        also=tuple(rules_of_the_decision(policy, gate)),
        requirements=tuple(_requirement_row(policy, r) for r in gate.requirements),
    )


def _requirement_row(policy: Policy, requirement: Requirement) -> RequirementRow:
    when = str(requirement.when) if requirement.when else "always"
    if isinstance(requirement, Artifact):
        kind, details = "artifact", _artifact_details(requirement)
    elif isinstance(requirement, Criterion):
        kind, details = "criterion", [f"must hold: {requirement.expr}"]
    else:
        kind, details = "sign-off", _signoff_details(requirement)
    why = getattr(requirement, "why", "")
    if why:
        details.append(f"why: {why}")
    if requirement.waivable_by:
        titles = ", ".join(policy.role_title(r) for r in requirement.waivable_by)
        details.append(f"waivable by {titles}")
    title = title_of(policy, requirement)
    return RequirementRow(kind, requirement.key, title, when, tuple(details))


def _artifact_details(artifact: Artifact) -> list[str]:
    details = [f"kind: {artifact.kind.value}"]
    if artifact.fields:
        fields = [
            f"{f.title} ({f.type.value}{'' if f.required else ', optional'})"
            for f in artifact.fields
        ]
        details.append("fields: " + "; ".join(fields))
    if artifact.max_age_days:
        details.append(f"at most {artifact.max_age_days} days old")
    return details


def _signoff_details(signoff: Signoff) -> list[str]:
    details = who_signs(signoff)
    if signoff.order is not None:
        details.append(f"signs in order {signoff.order}")
    independent = sorted(i.value.replace("_", " ") for i in signoff.independent_of)
    details.append(
        "independent of the " + " and the ".join(independent)
        if independent
        else "need not be independent (allowed by the policy)"
    )
    return details


@dataclass(frozen=True)
class SourceLine:
    """A line of an uploaded file, with the problems found on it; `gap` marks skipped lines."""

    number: int
    text: str
    problems: tuple[Problem, ...] = ()
    gap: bool = False


@dataclass(frozen=True)
class PolicyPreview:
    """What publishing a file would do: its problems, or the changes from the latest version."""

    policy: Policy | None
    problems: list[Problem]
    excerpt: list[SourceLine]
    latest: PolicyVersion | None
    changes: list[Change]
    refusals: list[str] = field(default_factory=list)
    """Why publishing this file would be refused now (its version is not newer)."""


def preview_policy(uow: UnitOfWork, text: str, name: str) -> PolicyPreview:
    """Check policy `text`; when valid, compare it with the latest published version of its id."""
    policy, problems = check_policy_text(text, name)
    if policy is None:
        return PolicyPreview(None, problems, source_excerpt(text, problems), None, [])
    latest = _latest_or_none(uow, policy.id)
    changes = diff_policies(uow.workspace.policy(latest), policy) if latest else []
    return PolicyPreview(
        policy,
        [],
        [],
        latest,
        changes,
        texts(version_refusals(policy, latest.version if latest else None)),
    )


def _latest_or_none(uow: UnitOfWork, policy_id: str) -> PolicyVersion | None:
    try:
        return latest(uow, policy_id)
    except NotFound:
        return None


def source_excerpt(text: str, problems: Sequence[Problem]) -> list[SourceLine]:
    """The lines around each problem (two either side), gaps marked, problems attached."""
    lines = text.splitlines() or [""]
    by_line: dict[int, list[Problem]] = {}
    for problem in problems:
        number = min(max(problem.line, 1), len(lines))
        by_line.setdefault(number, []).append(problem)
    shown = sorted(
        {
            n
            for line in by_line
            for n in range(line - CONTEXT_LINES, line + CONTEXT_LINES + 1)
            if 1 <= n <= len(lines)
        }
    )
    excerpt, previous = [], 0
    for number in shown:
        gap = previous != 0 and number != previous + 1
        excerpt.append(SourceLine(number, lines[number - 1], tuple(by_line.get(number, ())), gap))
        previous = number
    return excerpt
