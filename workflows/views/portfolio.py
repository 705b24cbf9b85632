"""Read models for lists, dashboards and queues.

Each function issues a fixed number of statements whatever the portfolio size, and each
statement reads a bounded number of rows: lists are paged by key, and the evidence, reviews
and waivers of a page are fetched for all its projects at once. Counts: views.counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, CompoundSelect, Select, or_, select, union

from gates.decisions import next_gate
from gates.model import ProjectState
from gates.readiness import Readiness
from policies.model import Gate, Policy
from workflows import authority
from workflows.gate_inputs import Batch, gate_inputs
from workflows.store.records import PolicyVersion, Project, Review, User
from workflows.store.uow import UnitOfWork
from workflows.views.paging import Cursor, Page, keyset, page_of

S = TypeVar("S", bound=Select)  # type: ignore[type-arg]

PAGE_SIZE = 50


@dataclass(frozen=True)
class ProjectFilter:
    """Which projects a list shows."""

    stage: str | None = None
    tier: str | None = None
    policy: str | None = None
    manager: str | None = None
    search: str | None = None
    visible: Viewer | None = None  # only the projects this person may see

    @property
    def counted(self) -> bool:
        """True when the stored counts answer this filter (stage, tier and policy only)."""
        return not (self.manager or self.search or self.visible is not None)

    def apply(self, query: S) -> S:
        """`query` restricted to the projects this filter shows."""
        query = self.apply_fields(query)
        if self.visible is not None:
            query = query.where(or_(*self.visible.paths()))
        return query

    def apply_fields(self, query: S) -> S:
        """`query` restricted by every field but `visible`."""
        if self.stage:
            query = query.where(Project.stage == self.stage)
        if self.tier:
            query = query.where(Project.tier == self.tier)
        if self.policy:
            versions = select(PolicyVersion.id).where(PolicyVersion.policy_id == self.policy)
            query = query.where(Project.policy_version_id.in_(versions))
        if self.manager:
            manager = select(User.id).where(User.username == self.manager).scalar_subquery()
            query = query.where(Project.manager_id == manager)
        if self.search:
            pattern = f"%{self.search.strip()}%"
            query = query.where(or_(Project.key.ilike(pattern), Project.name.ilike(pattern)))
        return query


@dataclass(frozen=True)
class Viewer:
    """The projects one person may see, as the authority rules say (gates.authority.READ):
    one condition on projects per way of seeing one (workflows.authority.visible_paths)."""

    conditions: tuple[ColumnElement[bool], ...]

    def paths(self) -> tuple[ColumnElement[bool], ...]:
        """One condition on projects per way of seeing one. Asked one at a time, each uses
        its own index, whether the person sees ten projects or a million."""
        return self.conditions


def viewer_of(uow: UnitOfWork, user: User, global_roles: set[str]) -> Viewer | None:
    """What `user` may see of the projects; None when they see every project."""
    paths = authority.visible_paths(uow, user.id, global_roles)
    return None if paths is None else Viewer(paths)


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


def project_page(
    uow: UnitOfWork,
    where: ProjectFilter,
    cursor: Cursor[str] | None = None,
    size: int = PAGE_SIZE,
) -> Page[ProjectListing, str]:
    """One page of projects in key order, each with its next gate's readiness.

    Paged by key: as fast at the millionth project as at the first. A fixed number of
    statements whatever the portfolio size (the page, then its gate inputs).
    """
    cursor = cursor or Cursor()
    if where.visible is None:
        query = where.apply(select(Project))
    else:
        query = select(Project).where(
            Project.id.in_(_visible_page(where, where.visible, cursor, size))
        )
    query = keyset(query, Project.key, cursor, size, descending=False)
    projects = list(uow.session.execute(query).unique().scalars())
    found = page_of(projects, cursor, size, lambda p: p.key)
    # The page's gate inputs are read for its own ids: a page's worth of parameters, where
    # the page's query, run again for each input, would repeat its whole search.
    batch = select(Project.id).where(Project.id.in_([p.id for p in projects]))
    return Page(listings(uow, found.rows, batch), found.previous, found.next)


def _visible_page(
    where: ProjectFilter, viewer: Viewer, cursor: Cursor[str], size: int
) -> CompoundSelect[int]:
    """The ids of the page's candidates: the page of each way of seeing a project, merged.
    One condition that ORs them would leave the database one plan for a person who sees
    ten projects and for one who sees a million."""
    pages = [
        keyset(
            where.apply_fields(select(Project.id, Project.key)).where(path),
            Project.key,
            cursor,
            size,
            descending=False,
        ).subquery()
        for path in viewer.paths()
    ]
    return union(*(select(page.c.id) for page in pages))


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
