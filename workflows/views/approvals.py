"""My approvals: the open reviews waiting for one user's signature."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from gates.signoffs import SignRequest, can_sign, waiting_for
from policies.model import Decision
from workflows.machines import SUBMITTED
from workflows.store.records import (
    Delegation,
    Review,
    RoleGrant,
    User,
)
from workflows.store.uow import UnitOfWork
from workflows.views.portfolio import ProjectListing, listings, visible_projects


@dataclass(frozen=True)
class Approval:
    """A review waiting for the user's signature."""

    row: ProjectListing
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
    visible = visible_projects(uow, user, global_roles)
    query = select(Review).options(joinedload(Review.project)).where(Review.state == SUBMITTED)
    if visible is not None:
        query = query.where(Review.project_id.in_(visible))
    query = query.order_by(Review.due_at.is_(None), Review.due_at, Review.submitted_at)
    query = query.limit(limit)
    reviews = list(uow.session.execute(query).unique().scalars())
    batch = query.with_only_columns(Review.project_id)
    held = _held_roles(uow, user, batch)
    delegated = _delegated(uow, user)
    projects = [r.project for r in reviews]
    approvals = []
    for row in listings(uow, projects, batch):
        mine = held.get(row.project.id, set()) | set(global_roles)
        if row.project.manager_id == user.id:
            mine.add("project_manager")
        extra = delegated.get(row.project.id, {}) | delegated.get(None, {})
        approval = _approval(row, user, mine, extra, uow.now)
        if approval is not None:
            approvals.append(approval)
    return sorted(approvals, key=lambda a: (not a.overdue, a.since or uow.now))


def _held_roles(uow: UnitOfWork, user: User, batch: Select[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    query = select(RoleGrant.project_id, RoleGrant.role).where(
        RoleGrant.user_id == user.id,
        RoleGrant.project_id.in_(batch),
        RoleGrant.revoked_at.is_(None),
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
    row: ProjectListing, user: User, roles: set[str], delegated: dict[str, str], now: datetime
) -> Approval | None:
    if row.report is None or row.review is None or row.gate is None or row.state is None:
        return None
    state = row.state
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
