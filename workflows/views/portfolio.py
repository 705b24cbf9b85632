"""Read models for lists, dashboards and queues.

Each function issues a fixed number of queries whatever the portfolio size: counts are
grouped in SQL, lists are paged, and the evidence, reviews and waivers of a page are fetched
for all its projects at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from gates.decisions import KILLED, ON_HOLD, next_gate
from gates.model import Evidence, ProjectState, Signature, Waiver
from gates.readiness import Readiness, readiness
from policies.model import Decision, Gate, Policy
from workflows.facts import from_stored
from workflows.machines import SUBMITTED
from workflows.store.records import (
    ArtifactVersion,
    Delegation,
    PolicyVersion,
    Project,
    Review,
    RoleGrant,
    User,
    WaiverRecord,
)
from workflows.store.uow import UnitOfWork

S = TypeVar("S", bound=Select)  # type: ignore[type-arg]


@dataclass(frozen=True)
class ProjectFilter:
    """Which projects a list shows."""

    stage: str | None = None
    tier: str | None = None
    policy: str | None = None
    manager: str | None = None
    search: str | None = None
    project_ids: Sequence[int] | None = None

    def apply(self, query: S) -> S:
        if self.stage:
            query = query.where(Project.stage == self.stage)
        if self.tier:
            query = query.where(Project.tier == self.tier)
        if self.policy:
            versions = select(PolicyVersion.id).where(PolicyVersion.policy_id == self.policy)
            query = query.where(Project.policy_version_id.in_(versions))
        if self.manager:
            query = query.where(Project.manager.has(User.username == self.manager))
        if self.search:
            pattern = f"%{self.search.strip()}%"
            query = query.where(or_(Project.key.ilike(pattern), Project.name.ilike(pattern)))
        if self.project_ids is not None:
            query = query.where(Project.id.in_(self.project_ids))
        return query


@dataclass(frozen=True)
class ProjectRow:
    """One project of a list, with where it stands at its next gate."""

    project: Project
    policy: Policy
    gate: Gate | None
    report: Readiness | None
    review: Review | None

    @property
    def blocking(self) -> int:
        return len(self.report.blocking) if self.report else 0


@dataclass(frozen=True)
class ProjectSummary:
    """One row of the command line's project list."""

    key: str
    name: str
    policy: str
    stage: str
    tier: str
    manager: str
    next_gate: str | None


def project_summaries(
    uow: UnitOfWork, stage: str | None = None, tier: str | None = None
) -> list[ProjectSummary]:
    """Every project (optionally of one stage or tier), ordered by key; one query."""
    query = ProjectFilter(stage=stage, tier=tier).apply(select(Project)).order_by(Project.key)
    summaries = []
    for project in uow.session.execute(query).unique().scalars():
        policy = uow.workspace.policy(project.policy_version)
        gate = next_gate(policy, project.stage)
        summaries.append(
            ProjectSummary(
                project.key,
                project.name,
                policy.ref,
                project.stage,
                project.tier,
                project.manager.username,
                gate.id if gate else None,
            )
        )
    return summaries


def visible_project_ids(uow: UnitOfWork, user: User, global_roles: set[str]) -> list[int] | None:
    """Ids of the projects `user` may see; None when they see every project."""
    if global_roles & {"pmo", "auditor", "admin"}:
        return None
    granted = select(RoleGrant.project_id).where(
        RoleGrant.user_id == user.id,
        RoleGrant.project_id.is_not(None),
        RoleGrant.revoked_at.is_(None),
    )
    managed = select(Project.id).where(Project.manager_id == user.id)
    delegated = select(Delegation.project_id).where(
        Delegation.delegate_id == user.id,
        Delegation.revoked_at.is_(None),
        Delegation.ends_at > uow.now,
        Delegation.project_id.is_not(None),
    )
    ids = uow.session.execute(granted.union(managed, delegated)).scalars()
    return sorted({i for i in ids if i is not None})


def count_by_stage_and_tier(uow: UnitOfWork, where: ProjectFilter) -> dict[tuple[str, str], int]:
    """How many projects per (stage, tier); one grouped query."""
    query = where.apply(select(Project.stage, Project.tier, func.count(Project.id)))
    query = query.group_by(Project.stage, Project.tier)
    return {(stage, tier): n for stage, tier, n in uow.session.execute(query)}


def project_page(
    uow: UnitOfWork, where: ProjectFilter, page: int, size: int
) -> tuple[list[ProjectRow], int]:
    """One page of projects by key, each with its next gate's readiness; and the total."""
    total = uow.session.execute(where.apply(select(func.count(Project.id)))).scalar() or 0
    query = where.apply(select(Project)).order_by(Project.key)
    projects = list(uow.session.execute(query.offset(page * size).limit(size)).unique().scalars())
    return rows_for(uow, projects), total


def rows_for(uow: UnitOfWork, projects: Sequence[Project]) -> list[ProjectRow]:
    """Readiness of each project's next gate, with three queries for all of them."""
    ids = [p.id for p in projects]
    evidence = _latest_evidence(uow, ids)
    waivers = _waivers(uow, ids)
    reviews = {r.project_id: r for r in _open_reviews(uow, ids)}
    rows = []
    for project in projects:
        policy = uow.workspace.policy(project.policy_version)
        gate = next_gate(policy, project.stage)
        review = reviews.get(project.id)
        review = review if review is not None and gate and review.gate_id == gate.id else None
        report = None
        if gate is not None:
            state = _state(
                project,
                policy,
                gate,
                review,
                evidence.get(project.id, {}),
                waivers.get((project.id, gate.id), []),
            )
            report = readiness(policy, gate, state, uow.now)
        rows.append(ProjectRow(project, policy, gate, report, review))
    return rows


def _latest_evidence(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, dict[str, Evidence]]:
    if not ids:
        return {}
    newest = (
        select(
            ArtifactVersion.project_id,
            ArtifactVersion.artifact_id,
            func.max(ArtifactVersion.version).label("v"),
        )
        .where(ArtifactVersion.project_id.in_(ids))
        .group_by(ArtifactVersion.project_id, ArtifactVersion.artifact_id)
        .subquery()
    )
    query = select(
        ArtifactVersion.project_id,
        ArtifactVersion.artifact_id,
        ArtifactVersion.version,
        ArtifactVersion.digest,
        ArtifactVersion.attached_at,
        ArtifactVersion.attached_by,
    ).join(
        newest,
        (ArtifactVersion.project_id == newest.c.project_id)
        & (ArtifactVersion.artifact_id == newest.c.artifact_id)
        & (ArtifactVersion.version == newest.c.v),
    )
    found: dict[int, dict[str, Evidence]] = defaultdict(dict)
    for project_id, artifact_id, version, digest, at, by in uow.session.execute(query):
        found[project_id][artifact_id] = Evidence(artifact_id, version, digest, at, by)
    return found


def _waivers(uow: UnitOfWork, ids: Sequence[int]) -> dict[tuple[int, str], list[Waiver]]:
    found: dict[tuple[int, str], list[Waiver]] = defaultdict(list)
    if not ids:
        return found
    query = select(WaiverRecord).where(
        WaiverRecord.project_id.in_(ids), WaiverRecord.revoked_at.is_(None)
    )
    for w in uow.session.execute(query).scalars():
        found[(w.project_id, w.gate_id)].append(
            Waiver(
                w.requirement,
                w.granted_by,
                w.granted_role,
                w.justification,
                w.granted_at,
                w.expires_at,
            )
        )
    return found


def _open_reviews(uow: UnitOfWork, ids: Sequence[int] | None) -> list[Review]:
    query = select(Review).options(selectinload(Review.signatures))
    query = query.where(Review.state == SUBMITTED)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Review.project_id.in_(ids))
    return list(uow.session.execute(query).unique().scalars())


def _state(
    project: Project,
    policy: Policy,
    gate: Gate,
    review: Review | None,
    evidence: dict[str, Evidence],
    waivers: list[Waiver],
) -> ProjectState:
    signatures = [
        Signature(
            s.signer.username,
            s.role,
            Decision(s.decision),
            s.signed_at,
            s.snapshot_digest,
            s.on_behalf_of.username if s.on_behalf_of else None,
            s.comment,
        )
        for s in (review.signatures if review else [])
        if s.superseded_at is None
    ]
    return ProjectState(
        facts=from_stored(policy, project.facts),
        tier=project.tier,
        evidence=evidence,
        signatures=signatures,
        waivers=waivers,
        snapshot_digest=review.snapshot_digest if review else None,
        submitter=review.submitted_by if review else None,
        project_manager=project.manager.username,
    )


@dataclass(frozen=True)
class PortfolioShape:
    """The published policies' ids, their stages in order (then on hold, killed), their tiers."""

    policies: tuple[str, ...]
    stages: tuple[str, ...]
    tiers: tuple[str, ...]


def portfolio_shape(uow: UnitOfWork) -> PortfolioShape:
    """Stages and tiers of every published policy version, merged in order; one query."""
    rows = uow.session.execute(
        select(PolicyVersion).order_by(PolicyVersion.policy_id, PolicyVersion.version)
    ).scalars()
    policies = [uow.workspace.policy(row) for row in rows]
    stages = _merged(p.stages for p in policies)
    stages += [s for s in (ON_HOLD, KILLED) if s not in stages]
    tiers = _merged(tuple(t.id for t in p.tiers) for p in policies)
    ids = tuple(dict.fromkeys(p.id for p in policies))
    return PortfolioShape(ids, tuple(stages), tuple(tiers))


def _merged(sequences: Iterable[Sequence[str]]) -> list[str]:
    """The union of ordered sequences, the longest first; each new item is placed after its
    predecessor in its own sequence, or else before its successor."""
    merged: list[str] = []
    for sequence in sorted(sequences, key=len, reverse=True):
        for index, item in enumerate(sequence):
            if item in merged:
                continue
            merged.insert(_place(merged, sequence, index), item)
    return merged


def _place(merged: list[str], sequence: Sequence[str], index: int) -> int:
    if index > 0 and sequence[index - 1] in merged:
        return merged.index(sequence[index - 1]) + 1
    after = next((merged.index(s) for s in sequence[index + 1 :] if s in merged), None)
    return len(merged) if after is None else after


@dataclass(frozen=True)
class OverdueReview:
    """A submitted review past its due date."""

    key: str
    name: str
    gate: str
    round: int
    due_at: datetime
    days_overdue: int


def overdue_reviews(
    uow: UnitOfWork, where: ProjectFilter | None = None, limit: int = 20
) -> list[OverdueReview]:
    """Submitted reviews whose due date has passed, the longest overdue first; one query."""
    query = (
        select(
            Project.key, Project.name, Review.gate_id, Review.round, Review.due_at, PolicyVersion
        )
        .join(Project, Review.project_id == Project.id)
        .join(PolicyVersion, Project.policy_version_id == PolicyVersion.id)
        .where(Review.state == SUBMITTED, Review.due_at < uow.now)
        .order_by(Review.due_at, Project.key)
    )
    if where is not None:
        query = where.apply(query)
    overdue = []
    for key, name, gate_id, round_, due_at, version in uow.session.execute(query.limit(limit)):
        assert due_at is not None  # the query asks for a due date in the past
        gate = uow.workspace.policy(version).gate(gate_id)
        title = gate.name if gate else gate_id
        overdue.append(OverdueReview(key, name, title, round_, due_at, (uow.now - due_at).days))
    return overdue
