"""Waiver listings: one project's waivers with what the reader may do to each, and the
portfolio's, filtered by status and paged by key (newest first), so a page reads only its
rows at any number of projects (index ix_waivers_status_id)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select

from gates.authority import PORTFOLIO, READ, Authority, authority
from gates.waivers import APPROVED, EXPIRED, REQUESTED, STATUSES, shown_status
from workflows.authority import person_on
from workflows.errors import InvalidInput, Refused
from workflows.identity import Actor
from workflows.refusal_log import refusals_recorded
from workflows.state import authority_on, load_project, policy_of, require
from workflows.store.records import Project, WaiverRecord
from workflows.store.uow import UnitOfWork
from workflows.views.paging import Cursor, Page, keyset, page_of

PAGE_SIZE = 50
NO_EXPIRY = "no_expiry"
"""The filter of approved waivers without an expiry: granted before expiries were required,
they stay in force until revoked, so someone should review them."""
FILTERS = (*STATUSES, NO_EXPIRY)
LIST_ALL = "list every project's waivers"


@dataclass(frozen=True)
class WaiverRow:
    """One waiver as a person reads it, and what the reader may do to it now."""

    id: int
    project_key: str
    gate_id: str
    requirement: str
    status: str  # gates.waivers.STATUSES: requested, approved, denied, revoked, expired
    justification: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_role: str | None
    decision_reason: str | None
    expires_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    may_decide: bool = False
    may_revoke: bool = False

    def as_json(self) -> dict[str, Any]:
        """The row for `lockgate waiver list --json`."""
        return {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in self.__dict__.items()
            if name not in ("may_decide", "may_revoke")
        }


@refusals_recorded
def project_waivers(uow: UnitOfWork, actor: Actor, key: str) -> list[WaiverRow]:
    """Every waiver of the project, newest first, each with whether the reader may approve
    or deny it (a request) or revoke it (approved and unexpired)."""
    project = load_project(uow, key)
    granted = authority_on(uow, actor.username, project)
    require(granted, READ)
    query = _rows().where(WaiverRecord.project_id == project.id).order_by(WaiverRecord.id.desc())
    rows = [_row(found, uow.now) for found in uow.session.execute(query)]
    return [_actions(uow, granted, project, row) for row in rows]


@refusals_recorded
def portfolio_waivers(
    uow: UnitOfWork,
    actor: Actor,
    status: str | None = None,
    cursor: Cursor[int] | None = None,
    size: int = PAGE_SIZE,
) -> Page[WaiverRow, int]:
    """One page of every project's waivers (the PMO and admins), newest first, with one
    status (or `no_expiry`: approved ones granted before expiries were required)."""
    refusals = authority(person_on(uow, actor.username, None)).refusals(PORTFOLIO, LIST_ALL)
    if refusals:
        raise Refused(LIST_ALL, refusals)
    cursor = cursor or Cursor()
    query = keyset(_filtered(_rows(), status, uow.now), WaiverRecord.id, cursor, size, True)
    rows = [_row(found, uow.now) for found in uow.session.execute(query)]
    return page_of(rows, cursor, size, lambda row: row.id)


def _filtered(query: Select[Any], status: str | None, now: datetime) -> Select[Any]:
    waivers = WaiverRecord
    if status is None:
        return query
    if status not in FILTERS:
        allowed = ", ".join(FILTERS)
        raise InvalidInput(f"Unknown waiver status '{status}'", {"status": f"use one of {allowed}"})
    if status == NO_EXPIRY:
        return query.where(waivers.status == APPROVED, waivers.expires_at.is_(None))
    if status == EXPIRED:
        return query.where(waivers.status == APPROVED, waivers.expires_at <= now)
    if status == APPROVED:
        unexpired = or_(waivers.expires_at.is_(None), waivers.expires_at > now)
        return query.where(waivers.status == APPROVED, unexpired)
    return query.where(waivers.status == status)


def _rows() -> Select[Any]:
    w = WaiverRecord
    columns: list[Any] = [
        w.id,
        Project.key,
        w.gate_id,
        w.requirement,
        w.status,
        w.justification,
        w.requested_by,
        w.requested_at,
        w.decided_by,
        w.granted_role,
        w.decision_reason,
        w.expires_at,
        w.revoked_by,
        w.revoke_reason,
    ]
    return select(*columns).join(Project, Project.id == w.project_id)


def _row(found: Any, now: datetime) -> WaiverRow:
    values = list(found)
    values[4] = shown_status(values[4], values[11], now)
    return WaiverRow(*values)


def _actions(uow: UnitOfWork, granted: Authority, project: Project, row: WaiverRow) -> WaiverRow:
    """The row with what the reader may do to it, as gates.authority answers."""
    gate = policy_of(uow, project).gate(row.gate_id)
    requirement = gate.requirement(row.requirement) if gate else None
    if requirement is None:
        return row
    if row.status == REQUESTED:
        _role, refusals = granted.decide_waiver(
            requirement, row.requested_by, row.status, row.expires_at, uow.now
        )
        return replace(row, may_decide=not refusals)
    if row.status == APPROVED:
        return replace(row, may_revoke=not granted.revoke_waiver(requirement, row.status, "-"))
    return row
