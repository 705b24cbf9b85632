"""Read models of the project pages: the policies and people to choose from, a tier preview,
a project's stages, facts, checklist, every evidence version, and its history.

Each function issues a fixed number of queries (at most two), whatever the project's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from gates.decisions import KILLED, ON_HOLD
from gates.explain import Explanation, explain
from gates.readiness import Readiness
from policies.facts import FactError, format_value, parse_value
from policies.model import Artifact, Decision, FormField, Policy
from policies.money import Money
from workflows.errors import NotFound
from workflows.facts import checked_facts, from_stored
from workflows.store.records import (
    ArtifactVersion,
    AuditEvent,
    PolicyVersion,
    Project,
    RoleGrant,
    User,
)
from workflows.store.uow import UnitOfWork
from workflows.verbs import publishing

HISTORY_LIMIT = 200
_SHORT_DIGEST = 12


@dataclass(frozen=True)
class PolicyChoice:
    """A published policy one can register a project under (its newest version)."""

    policy_id: str
    ref: str
    title: str


def policy_choices(uow: UnitOfWork) -> list[PolicyChoice]:
    """The newest published version of every policy, by policy id; one query."""
    rows = uow.session.execute(select(PolicyVersion).order_by(PolicyVersion.version)).scalars()
    newest = {row.policy_id: row for row in rows}
    return [PolicyChoice(i, newest[i].ref, newest[i].title) for i in sorted(newest)]


def latest_policy(uow: UnitOfWork, policy_id: str) -> Policy:
    """The parsed newest published version of `policy_id`; raises NotFound."""
    return uow.workspace.policy(publishing.latest(uow, policy_id))


def published_policies(uow: UnitOfWork) -> list[Policy]:
    """Every published policy version, parsed (cached by the workspace); one query."""
    rows = uow.session.execute(select(PolicyVersion).order_by(PolicyVersion.id)).scalars()
    return [uow.workspace.policy(row) for row in rows]


def stage_and_tier_choices(uow: UnitOfWork) -> tuple[list[str], list[str]]:
    """The stages and tier ids of every published policy, in policy order, for list filters."""
    stages: dict[str, None] = {}
    tiers: dict[str, None] = {}
    # The policy with the most stages first, so the others' stages fall into its order.
    for policy in sorted(published_policies(uow), key=lambda p: -len(p.stages)):
        stages.update(dict.fromkeys(policy.stages))
        tiers.update(dict.fromkeys(t.id for t in policy.tiers))
    stages.update(dict.fromkeys((ON_HOLD, KILLED)))
    return list(stages), list(tiers)


@dataclass(frozen=True)
class Person:
    """An active user, with the global roles they hold."""

    username: str
    display_name: str
    roles: frozenset[str]


def people(uow: UnitOfWork) -> list[Person]:
    """Every active user by printed name, with their global roles; two queries."""
    users = uow.session.execute(
        select(User).where(User.active.is_(True)).order_by(User.display_name)
    ).scalars()
    grants = uow.session.execute(
        select(RoleGrant.user_id, RoleGrant.role).where(
            RoleGrant.project_id.is_(None), RoleGrant.revoked_at.is_(None)
        )
    )
    roles: dict[int, set[str]] = {}
    for user_id, role in grants:
        roles.setdefault(user_id, set()).add(role)
    return [Person(u.username, u.display_name, frozenset(roles.get(u.id, ()))) for u in users]


def preview_tier(uow: UnitOfWork, policy_id: str, raw: Mapping[str, object]) -> Explanation:
    """The tier `policy_id` would choose for these facts and why, and whether each criterion
    that applies at each gate passes; nothing is saved.

    Raises InvalidInput (problems by fact id) when a fact is not valid, NotFound when the
    policy is not published.
    """
    policy = latest_policy(uow, policy_id)
    return explain(policy, checked_facts(policy, raw), uow.now)


@dataclass(frozen=True)
class StageStep:
    """One stage of the tracker: its name and 'done', 'current' or '' (still ahead)."""

    stage: str
    state: str

    @property
    def label(self) -> str:
        return self.stage.replace("_", " ").capitalize()


def stage_steps(policy: Policy, project: Project) -> list[StageStep]:
    """The policy's stages in order, marked done or current for the project.

    A project on hold is shown where it will resume; a killed one has no current stage.
    """
    here = project.resume_stage if project.stage == ON_HOLD else project.stage
    stages = policy.stages
    index = stages.index(here) if here in stages else -1
    return [
        StageStep(stage, "done" if n < index else "current" if n == index else "")
        for n, stage in enumerate(stages)
    ]


@dataclass(frozen=True)
class FactLine:
    """One fact of a project as a person reads it."""

    fact_id: str
    title: str
    value: str


def fact_lines(policy: Policy, project: Project) -> list[FactLine]:
    """Every fact the policy declares, with the project's value ('—' when not set)."""
    values = from_stored(policy, project.facts)
    return [
        FactLine(f.id, f.title, format_value(values[f.id]) if f.id in values else "—")
        for f in policy.facts
    ]


def fact_cells(policy: Policy, project: Project) -> list[tuple[str, str]]:
    """The project's facts as stored, money in another currency with its conversion:
    ('budget', 'USD 260,000 (EUR 239,200 at 0.92, ECB reference rates 2026-11-30)')."""
    values = from_stored(policy, project.facts)
    return [
        (name, format_value(values[name]) if isinstance(values.get(name), Money) else str(raw))
        for name, raw in project.facts.items()
    ]


@dataclass(frozen=True)
class ChecklistItem:
    """One line of a gate's readiness checklist; `artifact_id` is set for evidence lines."""

    title: str
    status: str
    ok: bool
    reason: str
    artifact_id: str | None


def checklist(report: Readiness) -> list[ChecklistItem]:
    """The readiness report as lines to show, evidence lines naming their artifact."""
    return [
        ChecklistItem(
            line.title,
            line.status.value,
            line.status.ok,
            line.reason,
            line.requirement.id if isinstance(line.requirement, Artifact) else None,
        )
        for line in report.lines
    ]


def artifacts_of(policy: Policy) -> dict[str, Artifact]:
    """Every artifact the policy asks for, by id (the first gate's wording wins)."""
    found: dict[str, Artifact] = {}
    for gate in policy.gates:
        for artifact in gate.artifacts:
            found.setdefault(artifact.id, artifact)
    return found


@dataclass(frozen=True)
class EvidenceItem:
    """One version of one artifact, with its title and its form values in words."""

    row: ArtifactVersion
    title: str
    form_values: tuple[tuple[str, str], ...]


def evidence_versions(uow: UnitOfWork, policy: Policy, project: Project) -> list[EvidenceItem]:
    """Every version of every artifact of the project, in the policy's order, newest version
    first; one query."""
    query = select(ArtifactVersion).where(ArtifactVersion.project_id == project.id)
    artifacts = artifacts_of(policy)
    order = {artifact_id: n for n, artifact_id in enumerate(artifacts)}
    rows = sorted(
        uow.session.execute(query).scalars(),
        key=lambda r: (order.get(r.artifact_id, len(order)), r.artifact_id, -r.version),
    )
    return [_evidence_item(row, artifacts.get(row.artifact_id)) for row in rows]


def _evidence_item(row: ArtifactVersion, artifact: Artifact | None) -> EvidenceItem:
    fields = {f.id: f for f in artifact.fields} if artifact else {}
    values = tuple(
        (fields[k].title if k in fields else k, _form_value(fields.get(k), v))
        for k, v in (row.form or {}).items()
    )
    return EvidenceItem(row, artifact.title if artifact else row.artifact_id, values)


def _form_value(field: FormField | None, value: Any) -> str:
    if field is None or value is None:
        return _text(value)
    try:
        return format_value(parse_value(field.type, value, field.values))
    except FactError:
        return _text(value)


def evidence_file(
    uow: UnitOfWork, project: Project, artifact_id: str, version: int
) -> ArtifactVersion:
    """One stored file version of the project's evidence; raises NotFound for anything else."""
    query = select(ArtifactVersion).where(
        ArtifactVersion.project_id == project.id,
        ArtifactVersion.artifact_id == artifact_id,
        ArtifactVersion.version == version,
        ArtifactVersion.kind == "file",
    )
    row = uow.session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{project.key} has no file '{artifact_id}' version {version}.")
    return row


@dataclass(frozen=True)
class HistoryEntry:
    """One audit event of a project, its data as (name, text) pairs to read."""

    seq: int
    at: datetime
    actor: str
    action: str
    details: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        """'artifact.attached' as 'Artifact attached'."""
        return self.action.replace(".", " ").replace("_", " ").capitalize()


def history(uow: UnitOfWork, key: str, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The project's newest `limit` audit events, newest first, read from the hashed bytes."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.project_key == key)
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    )
    return [_entry(event) for event in uow.session.execute(query).scalars()]


def _entry(event: AuditEvent) -> HistoryEntry:
    data: dict[str, Any] = orjson.loads(event.body).get("data") or {}
    details = tuple(
        (name.replace("_", " "), _shown(name, value))
        for name, value in data.items()
        if name != "snapshot" and value not in (None, "", [], {})
    )
    return HistoryEntry(event.seq, event.at, event.actor, event.action, details)


def _shown(name: str, value: Any) -> str:
    text = _text(value)
    if ("digest" in name or "hash" in name) and len(text) > _SHORT_DIGEST:
        return text[:_SHORT_DIGEST] + "…"
    return text


def _text(value: Any) -> str:
    if isinstance(value, dict):
        if set(value) == {"old", "new"}:
            return f"{_text(value['old'])} → {_text(value['new'])}"
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "—" if value is None else str(value)


@dataclass(frozen=True)
class Standing:
    """Why a project stands where it does, when someone stopped or sent it back: a banner."""

    kind: str  # "on_hold", "killed" or "recycled"
    at: datetime
    actor: str
    reason: str
    gate: str | None = None


_STANDING_ACTIONS = ("project.hold", "project.kill", "review.decided", "review.submitted")


def standing_of(uow: UnitOfWork, project: Project) -> Standing | None:
    """The hold, kill or recycle that explains the project's standing now, from its newest
    such event; None when it moves normally (a recycled gate submitted again, say)."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.project_key == project.key, AuditEvent.action.in_(_STANDING_ACTIONS))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    event = uow.session.execute(query).scalar_one_or_none()
    if event is None:
        return None
    data: dict[str, Any] = orjson.loads(event.body).get("data") or {}
    reason = str(data.get("reason") or "")
    if event.action == "project.hold" and project.stage == ON_HOLD:
        return Standing("on_hold", event.at, event.actor, reason)
    if project.stage == KILLED and event.action in ("project.kill", "review.decided"):
        return Standing("killed", event.at, event.actor, reason, data.get("gate"))
    if event.action == "review.decided" and data.get("decision") == Decision.RECYCLE.value:
        return Standing("recycled", event.at, event.actor, reason, data.get("gate"))
    return None
