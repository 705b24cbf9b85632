"""The conditions of conditional gos as people read them: on a project, in their owner's
inbox, and overdue across the portfolio."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.sql import Executable

from workflows.store.records import ArtifactVersion, FollowUpRecord, Project, Review, User
from workflows.store.uow import UnitOfWork


@dataclass(frozen=True)
class ConditionRow:
    """One condition: where it came from, what it asks, who owns it, and how it was closed."""

    id: int
    key: str
    gate: str
    action: str
    owner: str
    due: date
    closed_at: datetime | None
    closed_by: str | None
    note: str
    evidence: str | None
    today: date

    @property
    def open(self) -> bool:
        """Not closed yet."""
        return self.closed_at is None

    @property
    def days_overdue(self) -> int:
        """Days past its due date while open (0 when not overdue or closed)."""
        return max((self.today - self.due).days, 0) if self.open else 0


def _rows(uow: UnitOfWork, query: Executable) -> list[ConditionRow]:
    today = uow.now.date()
    rows = []
    for (
        id_,
        key,
        gate,
        action,
        owner,
        due,
        done_at,
        closer,
        note,
        artifact,
        version,
    ) in uow.session.execute(query):
        evidence = f"{artifact}@{version}" if artifact is not None else None
        row = ConditionRow(
            id_, key, gate, action, owner, due, done_at, closer, note, evidence, today
        )
        rows.append(row)
    return rows


_SELECT = (
    select(FollowUpRecord.id, Project.key, Review.gate_id, FollowUpRecord.action,
           FollowUpRecord.owner, FollowUpRecord.due, FollowUpRecord.done_at,
           FollowUpRecord.closed_by, FollowUpRecord.close_note, ArtifactVersion.artifact_id,
           ArtifactVersion.version)
    .join(Review, FollowUpRecord.review_id == Review.id)
    .join(Project, Review.project_id == Project.id)
    .outerjoin(ArtifactVersion, FollowUpRecord.evidence_id == ArtifactVersion.id)
)  # fmt: skip


def conditions_of_project(uow: UnitOfWork, project_id: int) -> list[ConditionRow]:
    """Every condition of the project: the open ones first, soonest due, then the closed."""
    query = _SELECT.where(Review.project_id == project_id).order_by(
        FollowUpRecord.done_at.is_not(None), FollowUpRecord.due, FollowUpRecord.id
    )
    return _rows(uow, query)


def owned_by(uow: UnitOfWork, username: str, limit: int = 200) -> list[ConditionRow]:
    """The open conditions `username` owns, soonest due first (their inbox)."""
    query = (
        _SELECT.join(User, FollowUpRecord.owner_id == User.id)
        .where(User.username == username, FollowUpRecord.done_at.is_(None))
        .order_by(FollowUpRecord.due, FollowUpRecord.id)
        .limit(limit)
    )
    return _rows(uow, query)
