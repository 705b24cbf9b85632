"""Read models for lists and dashboards: a bounded number of queries whatever the size."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from gates.decisions import next_gate
from workflows.records import Project
from workflows.uow import UnitOfWork


@dataclass(frozen=True)
class ProjectSummary:
    """One row of a project list."""

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
    query = select(Project).order_by(Project.key)
    if stage:
        query = query.where(Project.stage == stage)
    if tier:
        query = query.where(Project.tier == tier)
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
