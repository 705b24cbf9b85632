"""Read models for lists, dashboards and queues.

Each function issues a fixed number of queries whatever the portfolio size: counts are
grouped in SQL, lists are paged, and the evidence, reviews and waivers of a page are fetched
for all its projects at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from gates.decisions import next_gate
from gates.model import Evidence, ProjectState, Signature, Waiver
from gates.readiness import Readiness, readiness
from gates.signoffs import SignRequest, can_sign, waiting_for
from policies.model import Decision, Gate, Policy
from workflows.facts import from_stored
from workflows.machines import SUBMITTED
from workflows.records import (
    ArtifactVersion,
    Delegation,
    PolicyVersion,
    Project,
    Review,
    RoleGrant,
    User,
    WaiverRecord,
)
from workflows.uow import UnitOfWork

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
class Approval:
    """A review waiting for the user's signature."""

    row: ProjectRow
    roles: tuple[str, ...]
    waiting_for: tuple[str, ...]
    on_behalf_of: str | None

    overdue: bool

    @property
    def since(self) -> datetime | None:
        return self.row.review.submitted_at if self.row.review else None


def approvals_for(
    uow: UnitOfWork, user: User, global_roles: set[str], limit: int = 200
) -> list[Approval]:
    """Open reviews that still need a signature `user` may give, overdue first, then oldest.

    A fixed number of queries: open reviews on visible projects, their evidence, waivers,
    the user's grants and delegations.
    """
    visible = visible_project_ids(uow, user, global_roles)
    query = select(Review).options(joinedload(Review.project)).where(Review.state == SUBMITTED)
    if visible is not None:
        query = query.where(Review.project_id.in_(visible or [-1]))
    query = query.order_by(Review.due_at.is_(None), Review.due_at, Review.submitted_at)
    reviews = list(uow.session.execute(query.limit(limit)).unique().scalars())
    held = _held_roles(uow, user, [r.project_id for r in reviews])
    delegated = _delegated(uow, user)
    projects = [r.project for r in reviews]
    approvals = []
    for row in rows_for(uow, projects):
        mine = held.get(row.project.id, set()) | set(global_roles)
        if row.project.manager_id == user.id:
            mine.add("project_manager")
        extra = delegated.get(row.project.id, {}) | delegated.get(None, {})
        approval = _approval(row, user, mine, extra, uow.now)
        if approval is not None:
            approvals.append(approval)
    return sorted(approvals, key=lambda a: (not a.overdue, a.since or uow.now))


def _held_roles(uow: UnitOfWork, user: User, ids: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    if not ids:
        return found
    query = select(RoleGrant.project_id, RoleGrant.role).where(
        RoleGrant.user_id == user.id, RoleGrant.project_id.in_(ids), RoleGrant.revoked_at.is_(None)
    )
    for project_id, role in uow.session.execute(query):
        if project_id is not None:
            found[project_id].add(role)
    return found


def _delegated(uow: UnitOfWork, user: User) -> dict[int | None, dict[str, str]]:
    query = select(Delegation).where(
        Delegation.delegate_id == user.id,
        Delegation.revoked_at.is_(None),
        Delegation.starts_at <= uow.now,
        Delegation.ends_at > uow.now,
    )
    found: dict[int | None, dict[str, str]] = defaultdict(dict)
    for d in uow.session.execute(query).unique().scalars():
        found[d.project_id][d.role] = d.delegator.username
    return found


def _approval(
    row: ProjectRow, user: User, roles: set[str], delegated: dict[str, str], now: datetime
) -> Approval | None:
    if row.report is None or row.review is None or row.gate is None:
        return None
    state = _state(row.project, row.policy, row.gate, row.review, {}, [])
    mine, waiting, behalf = [], [], None
    for signoff in row.gate.signoffs:
        line = row.report.line(signoff.key)
        if line is None or line.status.ok:
            continue
        principal = None if signoff.role in roles else delegated.get(signoff.role)
        if signoff.role not in roles and principal is None:
            continue
        request = SignRequest(
            user.username, signoff.role, Decision.GO, roles | set(delegated), principal
        )
        if can_sign(row.policy, row.report, state, request, check_order=False):
            continue
        mine.append(signoff.role)
        waiting.extend(waiting_for(row.policy, row.report, signoff))
        behalf = behalf or principal
    if not mine:
        return None
    due = row.review.due_at
    return Approval(row, tuple(mine), tuple(waiting), behalf, bool(due and due < now))
