"""Read models of the portfolio dashboard beyond its lists and counts: the shape of the
published policies (stages and tiers, in order) and the overdue reviews."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from gates.decisions import KILLED, ON_HOLD
from workflows.machines import SUBMITTED
from workflows.store.records import FollowUpRecord, PolicyVersion, Project, Review
from workflows.store.uow import UnitOfWork
from workflows.views.portfolio import ProjectFilter


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
    uow: UnitOfWork, where: ProjectFilter | None = None, limit: int | None = 20
) -> list[OverdueReview]:
    """Submitted reviews whose due date has passed, the longest overdue first (`limit`
    of them; None: all); one query."""
    query = (
        select(
            Project.key,
            Project.name,
            Review.gate_id,
            Review.round,
            Review.due_at,
            PolicyVersion.id,
            PolicyVersion.digest,
        )
        .join(Project, Review.project_id == Project.id)
        .join(PolicyVersion, Project.policy_version_id == PolicyVersion.id)
        .where(Review.state == SUBMITTED, Review.due_at < uow.now)
        .order_by(Review.due_at, Project.key)
    )
    if where is not None:
        query = where.apply(query)
    overdue = []
    rows = uow.session.execute(query if limit is None else query.limit(limit))
    for key, name, gate_id, round_, due_at, version_id, digest in rows:
        assert due_at is not None  # the query asks for a due date in the past
        policy = uow.workspace.known_policy(version_id, digest) or uow.workspace.policy(
            uow.session.get_one(PolicyVersion, version_id)
        )
        gate = policy.gate(gate_id)
        title = gate.name if gate else gate_id
        overdue.append(OverdueReview(key, name, title, round_, due_at, (uow.now - due_at).days))
    return overdue


@dataclass(frozen=True)
class OverdueCondition:
    """An open condition of a conditional go, past its due date."""

    key: str
    gate: str
    action: str
    owner: str
    due: date
    days_overdue: int


def overdue_conditions(uow: UnitOfWork) -> list[OverdueCondition]:
    """Open conditions whose due date has passed, the longest overdue first; one query."""
    today = uow.now.date()
    query = (
        select(Project.key, Review.gate_id, FollowUpRecord.action, FollowUpRecord.owner,
               FollowUpRecord.due)
        .join(Review, FollowUpRecord.review_id == Review.id)
        .join(Project, Review.project_id == Project.id)
        .where(FollowUpRecord.done_at.is_(None), FollowUpRecord.due < today)
        .order_by(FollowUpRecord.due, Project.key, FollowUpRecord.id)
    )  # fmt: skip
    return [
        OverdueCondition(key, gate, action, owner, due, (today - due).days)
        for key, gate, action, owner, due in uow.session.execute(query)
    ]
