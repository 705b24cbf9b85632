"""Read models of change requests: the list (one project's, or every open one a person may
see) and one request with what the person looking at it may do (gates.authority)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from gates.authority import READ, Authority
from gates.change_requests import ChangeStatus
from workflows.errors import Refused
from workflows.identity import Actor
from workflows.refusal_log import refusals_recorded
from workflows.state import authority_on, load_project, policy_of, require
from workflows.store.records import ChangeRequest, Project
from workflows.store.uow import UnitOfWork
from workflows.verbs.change_requests import change_round, load_change


@dataclass(frozen=True)
class ChangeLine:
    """One change request as people read it."""

    id: int
    project: str
    status: str
    proposed_by: str
    proposed_at: datetime
    changes: dict[str, Any]
    reason: str
    impact: dict[str, Any]
    approvals: dict[str, str]
    waiting_for: tuple[str, ...]
    closed_by: str | None
    closed_at: datetime | None
    close_reason: str
    membership: dict[str, Any] | None = None
    """A move into or out of a programme ({"from", "to"}), instead of facts."""

    def as_json(self) -> dict[str, Any]:
        """The line as JSON values (times in ISO 8601, UTC)."""
        return {
            **{k: v for k, v in self.__dict__.items() if not k.endswith("_at")},
            "waiting_for": list(self.waiting_for),
            "proposed_at": self.proposed_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }


def _line(uow: UnitOfWork, record: ChangeRequest) -> ChangeLine:
    change = change_round(policy_of(uow, record.project), record)
    waiting = change.waiting_for if change.status is ChangeStatus.OPEN else ()
    return ChangeLine(
        record.id,
        record.project.key,
        record.status,
        record.proposed_by,
        record.proposed_at,
        dict(record.changes),
        record.reason,
        dict(record.impact),
        dict(change.approvals),
        waiting,
        record.closed_by,
        record.closed_at,
        record.close_reason,
        dict(record.membership) if record.membership is not None else None,
    )


@refusals_recorded
def change_requests(uow: UnitOfWork, actor: Actor, key: str | None = None) -> list[ChangeLine]:
    """Every change request of project `key`, newest first; without a key, the open ones of
    every project the person may see."""
    query = select(ChangeRequest).order_by(ChangeRequest.id.desc())
    if key is not None:
        project = load_project(uow, key)
        require(authority_on(uow, actor.username, project), READ)
        query = query.where(ChangeRequest.project_id == project.id)
    else:
        query = query.where(ChangeRequest.status == ChangeStatus.OPEN.value)
    found = uow.session.execute(query).scalars().all()
    return [_line(uow, r) for r in found if key is not None or _may_read(uow, actor, r.project)]


def _may_read(uow: UnitOfWork, actor: Actor, project: Project) -> bool:
    return authority_on(uow, actor.username, project).may(READ)


@dataclass(frozen=True)
class ChangePage:
    """One change request and what the person may do with it now."""

    line: ChangeLine
    may_approve: bool
    may_reject: bool
    may_withdraw: bool


@refusals_recorded
def change_request(uow: UnitOfWork, actor: Actor, change_id: int) -> ChangePage:
    """Change request `change_id`, for a person who may see its project."""
    record = load_change(uow, change_id)
    granted: Authority = authority_on(uow, actor.username, record.project)
    refusals = granted.refusals(READ)
    if refusals:
        raise Refused(READ.action, refusals, record.project.key)
    change = change_round(policy_of(uow, record.project), record)
    return ChangePage(
        _line(uow, record),
        may_approve=not granted.approve_change(change)[1],
        may_reject=not granted.reject_change(change),
        may_withdraw=not granted.withdraw_change(change),
    )
