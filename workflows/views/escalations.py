"""My approvals, third part: the overdue reviews escalated to the user.

Who is told is gates.escalation.sees_escalation: the holders of the gate's `escalate_to` role,
globally or on the project, once the review is past its due date. The roles a gate escalates
to are in the policies, not in the tables; so the published policies are read first (a
handful of versions, compiled once per process), turned into (policy version, gate) pairs per
role, and one keyed query reads the open overdue reviews of those gates (index
ix_reviews_state_due_at) where the user holds the role: globally (every project) or by a
grant on the project (an EXISTS on ix_role_grants_user_project). No row is written: the part
changes with the clock alone, and a review leaves it the moment it is decided or withdrawn.
Being told grants nothing: signing still asks gates.authority.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, tuple_

from gates.escalation import days_overdue, escalating_gates, escalation_roles
from gates.model import PROJECT_MANAGER
from policies.model import Gate, Policy
from workflows.authority import roster_of
from workflows.machines import SUBMITTED
from workflows.store.records import PolicyVersion, Project, Review, RoleGrant
from workflows.store.uow import UnitOfWork

PAGE_SIZE = 25


@dataclass(frozen=True)
class Escalated:
    """An open review past its due date, escalated to the user."""

    project: Project
    review: Review
    policy: Policy
    days_overdue: int

    @property
    def gate(self) -> Gate | None:
        """The gate under review."""
        return self.policy.gate(self.review.gate_id)


@dataclass(frozen=True)
class Escalations:
    """One page of the reviews escalated to the user, and how many there are in all."""

    escalated: list[Escalated]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        """How many pages (at least one)."""
        return max((self.total + self.size - 1) // self.size, 1)


def escalated_to(
    uow: UnitOfWork, username: str, page: int = 1, size: int = PAGE_SIZE
) -> Escalations:
    """Page `page` (from 1) of the open overdue reviews escalated to `username`, the longest
    overdue first, and their count. Three statements (policies, the user, the count; then
    the page when there is one)."""
    condition = _escalated_condition(uow, username)
    if condition is None:
        return Escalations([], 0, page, size)
    counted = (
        select(func.count())
        .select_from(Review)
        .join(Project, Project.id == Review.project_id)
        .where(condition)
    )
    total = uow.session.execute(counted).scalar_one()
    if not total:
        return Escalations([], 0, page, size)
    query = (
        select(Review, Project)
        .join(Project, Project.id == Review.project_id)
        .where(condition)
        .order_by(Review.due_at, Review.id)
        .offset((max(page, 1) - 1) * size)
        .limit(size)
    )
    rows = uow.session.execute(query).unique().all()
    escalated = [
        Escalated(
            project,
            review,
            uow.workspace.policy(project.policy_version),
            days_overdue(review.due_at, uow.now) if review.due_at else 0,
        )
        for review, project in rows
    ]
    return Escalations(escalated, total, page, size)


def _open_overdue(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (Review.state == SUBMITTED, Review.due_at < now)


def _escalated_condition(uow: UnitOfWork, username: str) -> ColumnElement[bool] | None:
    """The condition on reviews (joined to projects) for those escalated to the user; None
    when nothing can be (an inactive user, or no role any gate escalates to)."""
    roster = roster_of(uow, username, None)
    if not roster.active.get(username, False):
        return None
    policies = _published(uow)
    roles = escalation_roles(policies.values())
    if not roles:
        return None
    held = frozenset(roster.global_roles.get(username, ())) - {PROJECT_MANAGER}
    user_id = roster.ids[username]
    on_projects = _held_on_projects(uow, user_id, roles - held)
    paths: list[ColumnElement[bool]] = []
    for role, pairs in escalating_gates(policies, roles).items():
        gates = tuple_(Project.policy_version_id, Review.gate_id).in_(sorted(pairs))
        if role in held:
            paths.append(gates)
        elif role == PROJECT_MANAGER:
            paths.append(gates & (Project.manager_id == user_id))
        elif role in on_projects:
            paths.append(gates & _granted_there(user_id, role))
    if not paths:
        return None
    return and_(*_open_overdue(uow.now), or_(false(), *paths))


def _held_on_projects(uow: UnitOfWork, user_id: int, roles: frozenset[str]) -> set[str]:
    """Which of `roles` the user holds on some project: only those are looked for per review
    (a person with none of them, most people, costs no scan of the overdue reviews)."""
    if not roles:
        return set()
    query = select(RoleGrant.role).where(
        RoleGrant.user_id == user_id,
        RoleGrant.project_id.is_not(None),
        RoleGrant.revoked_at.is_(None),
        RoleGrant.role.in_(sorted(roles)),
    )
    return set(uow.session.execute(query.distinct()).scalars())


def _granted_there(user_id: int, role: str) -> ColumnElement[bool]:
    return exists().where(
        RoleGrant.user_id == user_id,
        RoleGrant.project_id == Project.id,
        RoleGrant.role == role,
        RoleGrant.revoked_at.is_(None),
    )


def _published(uow: UnitOfWork) -> dict[int, Policy]:
    """Every published version's policy, by id: its YAML is read only when not cached."""
    found: dict[int, Policy] = {}
    for version_id, digest in uow.session.execute(select(PolicyVersion.id, PolicyVersion.digest)):
        known = uow.workspace.known_policy(version_id, digest)
        found[version_id] = known or uow.workspace.policy(
            uow.session.get_one(PolicyVersion, version_id)
        )
    return found
