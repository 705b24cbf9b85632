"""Read models for lists, dashboards and queues.

Each function issues a fixed number of queries whatever the portfolio size: counts are
grouped in SQL, lists are paged, and the evidence, reviews and waivers of a page are fetched
for all its projects at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, or_, select

from gates.decisions import KILLED, ON_HOLD, next_gate
from gates.model import ProjectState
from gates.readiness import Readiness
from policies.model import Gate, Policy
from workflows import authority
from workflows.gate_inputs import Batch, gate_inputs
from workflows.machines import SUBMITTED
from workflows.store.records import PolicyVersion, Project, Review, User
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
    visible: Select[int] | None = None  # the ids of the projects one may see

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
        if self.visible is not None:
            query = query.where(Project.id.in_(self.visible))
        return query


@dataclass(frozen=True)
class ProjectListing:
    """One line of a project list: a project and where it stands at its next gate."""

    project: Project
    policy: Policy
    gate: Gate | None
    report: Readiness | None
    review: Review | None
    state: ProjectState | None = None  # what the report was worked out from

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


def visible_projects(uow: UnitOfWork, user: User, global_roles: set[str]) -> Select[int] | None:
    """A SELECT of the ids of the projects `user` may see; None when they see every project
    (the authority rules' READ permission, selected by workflows.authority)."""
    return authority.visible_projects(uow, user.id, global_roles)


def count_by_stage_and_tier(uow: UnitOfWork, where: ProjectFilter) -> dict[tuple[str, str], int]:
    """How many projects per (stage, tier); one grouped query."""
    query = where.apply(select(Project.stage, Project.tier, func.count(Project.id)))
    query = query.group_by(Project.stage, Project.tier)
    return {(stage, tier): n for stage, tier, n in uow.session.execute(query)}


def project_page(
    uow: UnitOfWork, where: ProjectFilter, page: int, size: int
) -> tuple[list[ProjectListing], int]:
    """One page of projects by key, each with its next gate's readiness; and the total."""
    total = uow.session.execute(where.apply(select(func.count(Project.id)))).scalar() or 0
    query = where.apply(select(Project)).order_by(Project.key).offset(page * size).limit(size)
    projects = list(uow.session.execute(query).unique().scalars())
    return listings(uow, projects, query.with_only_columns(Project.id)), total


def listings(uow: UnitOfWork, projects: Sequence[Project], batch: Batch) -> list[ProjectListing]:
    """Each project with the readiness of its next gate: the gate inputs of `batch` (a
    SELECT of the same projects' ids), read in a fixed number of statements."""
    inputs = gate_inputs(uow, projects, batch)
    found = []
    for project in projects:
        at = inputs.get(project.id)
        if at is None:  # at its final stage: no gate ahead
            policy = uow.workspace.policy(project.policy_version)
            found.append(ProjectListing(project, policy, None, None, None))
        else:
            report = at.readiness(uow.now)
            found.append(ProjectListing(project, at.policy, at.gate, report, at.review, at.state))
    return found


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
