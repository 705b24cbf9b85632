"""Triggered reviews read from the database and opened by `lockgate reviews tick`.

`owed_reviews` is the one place the engine asks which reviews a project owes before its next
gate (submit_gate and decide ask it; the project page shows it): the re-baseline reviews an
approved change asks for, and the reviews a tick opened (a recurring date come, a condition
gone overdue), each until a go of its gate is decided after it (gates.triggers.owed).

`open_due_reviews` opens, under the project's lock, each review due and not opened yet: a
`triggered_reviews` row and a `review.triggered` event by the system. A second tick, or two
at once, open nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from gates.change_control import rebaseline_gates, rebaseline_occurrences
from gates.change_requests import ChangeStatus
from gates.decisions import KILLED
from gates.model import APPROVING
from gates.recurrence import Schedule, schedules
from gates.triggers import (
    ConditionDue,
    Occurrence,
    overdue_conditions,
    owed,
    recurring_dates,
    reviewed_gates,
    start_of,
)
from policies.model import Policy, TriggerEvent
from workflows.identity import system
from workflows.state import load_project, policy_of
from workflows.store.records import (
    ChangeRequest,
    FollowUpRecord,
    PolicyVersion,
    Project,
    Review,
    TriggeredReview,
)
from workflows.store.uow import UnitOfWork
from workflows.workspace import Workspace

TICKED = (TriggerEvent.CONDITION_OVERDUE, TriggerEvent.RECURRING)
"""The kinds a tick opens (an approved change's review is asked for when it is applied)."""


@dataclass(frozen=True)
class Passed:
    """When each gate of a project was passed: first (a schedule's start), latest (what
    answers an owed review)."""

    first: dict[str, date]
    latest: dict[str, datetime]


def passed_gates(uow: UnitOfWork, project_id: int) -> Passed:
    """When each gate of the project was first and last passed (go or conditional go)."""
    rows = uow.session.execute(
        select(Review.gate_id, func.min(Review.decided_at), func.max(Review.decided_at))
        .where(Review.project_id == project_id, Review.decision.in_([d.value for d in APPROVING]))
        .group_by(Review.gate_id)
    ).all()
    return Passed(
        {gate: first.date() for gate, first, _ in rows if first},
        {gate: last for gate, _, last in rows if last},
    )


def opened(uow: UnitOfWork, project_id: int) -> list[TriggeredReview]:
    """The reviews triggers opened for the project, oldest first."""
    query = (
        select(TriggeredReview)
        .where(TriggeredReview.project_id == project_id)
        .order_by(TriggeredReview.due_on, TriggeredReview.id)
    )
    return list(uow.session.execute(query).scalars())


def occurrence_of(row: TriggeredReview) -> Occurrence:
    """An opened review as gates.triggers reads it: from the start of the day it came, for a
    date that came (a recurring date, a condition's due day); from the moment it was opened,
    for an event (an assurance rating), so a go earlier that day does not answer it."""
    kind = TriggerEvent(row.kind)
    since = row.opened_at if kind is TriggerEvent.ASSURANCE_RED else start_of(row.due_on)
    return Occurrence(row.gate_id, kind, row.cause, since)


def owed_reviews(uow: UnitOfWork, project: Project, policy: Policy) -> list[Occurrence]:
    """The reviews `project` owes before its next gate, the latest of each gate: re-baseline
    reviews of its last applied change, and those ticks opened, not passed since.

    A policy without triggers owes none, and no statement runs. A review of a gate the
    project's policy version no longer has (after a move) is not owed: it could not be held."""
    if not policy.triggers:
        return []
    found = [occurrence_of(r) for r in opened(uow, project.id) if policy.gate(r.gate_id)]
    if rebaseline_gates(policy):
        changed_at = uow.session.execute(
            select(func.max(ChangeRequest.closed_at)).where(
                ChangeRequest.project_id == project.id,
                ChangeRequest.status == ChangeStatus.APPLIED.value,
            )
        ).scalar()
        found = [*rebaseline_occurrences(policy, changed_at), *found]
    return owed(found, passed_gates(uow, project.id).latest)


def conditions_due(uow: UnitOfWork, project_id: int) -> list[ConditionDue]:
    """Every condition of the project's conditional gos, with its due day and when closed."""
    rows = uow.session.execute(
        select(FollowUpRecord.id, FollowUpRecord.due, FollowUpRecord.done_at)
        .join(Review, Review.id == FollowUpRecord.review_id)
        .where(Review.project_id == project_id)
        .order_by(FollowUpRecord.id)
    )
    return [ConditionDue(n, due, None if done is None else done.date()) for n, due, done in rows]


def coming(uow: UnitOfWork, project: Project, policy: Policy, today: date) -> tuple[Schedule, ...]:
    """The project's recurring reviews as of `today`: dates come, and the next one ahead."""
    if not any(t.recur for t in policy.triggers) or project.stage == KILLED:
        return ()
    return schedules(policy, passed_gates(uow, project.id).first, today)


def due_now(uow: UnitOfWork, project: Project, policy: Policy, today: date) -> list[Occurrence]:
    """Every review a tick should have opened for the project by `today`."""
    found = recurring_dates(coming(uow, project, policy, today))
    if reviewed_gates(policy, TriggerEvent.CONDITION_OVERDUE):
        found += overdue_conditions(policy, conditions_due(uow, project.id), today)
    return found


def open_due_reviews(uow: UnitOfWork, key: str, as_of: date | None = None) -> list[TriggeredReview]:
    """Open the reviews due for project `key` by today (or `as_of`, recorded in each event)
    and not opened yet, as the system: a row and a `review.triggered` event each. The
    project's row is locked first, so two ticks at once open each review once."""
    project = load_project(uow, key, for_update=True)
    policy = policy_of(uow, project)
    if project.stage == KILLED:
        return []
    today = as_of or uow.now.date()
    have = {(r.gate_id, r.kind, r.cause) for r in opened(uow, project.id)}
    rows = []
    for found in due_now(uow, project, policy, today):
        if (found.gate, found.kind.value, found.cause) in have:
            continue
        have.add((found.gate, found.kind.value, found.cause))
        rows.append(open_triggered(uow, project, found, as_of))
    return rows


def open_triggered(
    uow: UnitOfWork, project: Project, found: Occurrence, as_of: date | None = None
) -> TriggeredReview:
    """Record that a trigger fired for `project` (`found`): a `triggered_reviews` row and a
    `review.triggered` event by the system; the review is owed from then on. The caller
    holds the project's lock and has checked it was not opened yet (the unique key would
    refuse a second). A verb that fires a new kind (an assurance rating) calls this."""
    row = TriggeredReview(
        project_id=project.id,
        gate_id=found.gate,
        kind=found.kind.value,
        cause=found.cause,
        due_on=found.due_on,
        opened_at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    given = {"as_of": as_of} if as_of is not None else {}
    uow.record(
        system().username,
        "review.triggered",
        project.key,
        triggered=row.id,
        gate=row.gate_id,
        kind=row.kind,
        cause=row.cause,
        due_on=row.due_on,
        **given,
    )
    return row


def ticked_projects(uow: UnitOfWork) -> list[str]:
    """The keys of the live projects whose policy has a trigger a tick opens."""
    versions = uow.session.execute(select(PolicyVersion)).scalars().all()
    ticking = [
        v.id for v in versions if any(t.on in TICKED for t in uow.workspace.policy(v).triggers)
    ]
    if not ticking:
        return []
    query = (
        select(Project.key)
        .where(Project.policy_version_id.in_(ticking), Project.stage != KILLED)
        .order_by(Project.key)
    )
    return list(uow.session.execute(query).scalars())


@dataclass(frozen=True)
class Opened:
    """A review a tick opened."""

    key: str
    gate: str
    kind: str
    cause: str
    due_on: date


def tick(workspace: Workspace, as_of: date | None = None) -> Sequence[Opened]:
    """Open every review due by today (or `as_of`) across the portfolio, one transaction per
    project; run from cron, as often as liked: a second run opens nothing."""
    with workspace.unit_of_work(read_only=True) as uow:
        keys = ticked_projects(uow)
    done: list[Opened] = []
    for key in keys:
        with workspace.unit_of_work() as uow:
            rows = open_due_reviews(uow, key, as_of)
            done += [Opened(key, r.gate_id, r.kind, r.cause, r.due_on) for r in rows]
            uow.commit()
    return done
