"""The pending sign-offs: who each open review waits for, as rows My approvals reads alone.

The rows come from the authority rules (gates.pending over gates.signoffs) fed by the one
collector (workflows.authority), and are written in the transaction of every change that
can alter them: `refresh_pending` recomputes the rows of a batch of projects (one id, or a
SELECT of ids); the two verbs that run on every gate write less: `after_signature` rewrites
only the rows of the people a signature changed, `close_pending` drops the rows of a
review that was decided or withdrawn. `rebuild_pending` recomputes every row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, exists, func, insert, or_, select

from gates.model import ProjectState
from gates.pending import Pending, pending_signoffs
from policies.model import Gate, Policy
from workflows.authority import Roster, signers_on
from workflows.gate_inputs import Batch, for_batch, gate_inputs
from workflows.machines import SUBMITTED
from workflows.store.records import (
    Delegation,
    PendingSignoff,
    Project,
    Review,
    RoleGrant,
    table_of,
)
from workflows.store.uow import UnitOfWork

CHUNK = 500  # projects recomputed at once: bounds the memory of a refresh of thousands

_PENDING, _REVIEWS = table_of(PendingSignoff), table_of(Review)
_GRANTS, _DELEGATIONS, _PROJECTS = table_of(RoleGrant), table_of(Delegation), table_of(Project)
_INSERT = insert(_PENDING)
_DELETE_OF_REVIEW = delete(_PENDING).where(_PENDING.c.review_id == bindparam("review_id"))
_DELETE_OF_PERSON = _DELETE_OF_REVIEW.where(_PENDING.c.user_id == bindparam("user_id"))


def refresh_pending(uow: UnitOfWork, batch: Batch) -> int:
    """Recompute the pending sign-offs of the projects of `batch`, in the caller's
    transaction; returns the number of rows written. Each project refreshed is locked (FOR
    UPDATE), so a concurrent verb on it waits and then sees these rows."""
    uow.session.flush()
    query, params = for_batch(batch, _delete_of)
    uow.session.execute(query, params)
    if isinstance(batch, int):
        return _refresh(uow, batch)
    written, last = 0, 0
    opened = select(_REVIEWS.c.project_id).where(
        _REVIEWS.c.state == SUBMITTED, _REVIEWS.c.project_id.in_(batch)
    )
    while (upper := _chunk_end(uow, opened, last)) is not None:
        chunk = opened.where(_REVIEWS.c.project_id > last, _REVIEWS.c.project_id <= upper)
        written += _refresh(uow, chunk)
        last = upper
    return written


def rebuild_pending(uow: UnitOfWork) -> int:
    """Recompute every pending sign-off (e.g. after an upgrade, or to repair the table);
    returns the number of rows. It changes no governance record, so it appends no audit
    event; the caller commits."""
    uow.session.execute(delete(_PENDING))
    return refresh_pending(uow, select(_PROJECTS.c.id))


def close_pending(uow: UnitOfWork, review: Review) -> None:
    """A review decided or withdrawn waits for nobody: drop its rows (one statement)."""
    uow.session.execute(_DELETE_OF_REVIEW, {"review_id": review.id})


def after_signature(
    uow: UnitOfWork,
    review: Review,
    policy: Policy,
    gate: Gate,
    states: tuple[ProjectState, ProjectState],
    roster: Roster,
) -> None:
    """Rewrite the rows of the people a signature changed (`states`: the round before and
    after it): usually the signer's rows go, and nothing else moves (one statement)."""
    profiles = roster.profiles(review.project_id).values()
    before, after = (
        _by_person(pending_signoffs(profiles, policy, gate, s, uow.now)) for s in states
    )
    changed = sorted(u for u in before.keys() | after.keys() if before[u] != after[u])
    if not changed:
        return
    gone = [{"review_id": review.id, "user_id": roster.ids[u]} for u in changed]
    # One person changed (the signer, nearly always): a plain execute, not an executemany.
    uow.session.execute(_DELETE_OF_PERSON, gone[0] if len(gone) == 1 else gone)
    _insert(uow, review, roster, [row for u in changed for row in after[u]])


def touched_by(user_id: int) -> Select[Any]:
    """A SELECT of the projects with an open review that a change to this user (their
    grants, delegations, active flag) may alter: any grant or delegation of theirs, ever,
    global or on the project. A superset is safe: refreshing is idempotent."""
    reviews, grants, d = _REVIEWS.c, _GRANTS.c, _DELEGATIONS.c
    granted = exists().where(
        grants.user_id == user_id,
        or_(grants.project_id.is_(None), grants.project_id == reviews.project_id),
    )
    delegated = exists().where(
        or_(d.delegator_id == user_id, d.delegate_id == user_id),
        or_(d.project_id.is_(None), d.project_id == reviews.project_id),
    )
    managed = exists().where(
        _PROJECTS.c.id == reviews.project_id, _PROJECTS.c.manager_id == user_id
    )
    return select(reviews.project_id).where(
        reviews.state == SUBMITTED, or_(granted, delegated, managed)
    )


def _delete_of(restrict: Any) -> Any:
    return delete(_PENDING).where(restrict(_PENDING.c.project_id))


def _chunk_end(uow: UnitOfWork, opened: Select[Any], last: int) -> int | None:
    ids = _REVIEWS.c.project_id
    page = opened.where(ids > last).order_by(ids).limit(CHUNK).subquery()
    end: int | None = uow.session.execute(select(func.max(page.c.project_id))).scalar()
    return end


def _refresh(uow: UnitOfWork, batch: Batch) -> int:
    """Write the rows of the projects of `batch` that have an open review."""
    restrict = Project.id == batch if isinstance(batch, int) else Project.id.in_(batch)
    locked = select(Project).where(restrict).with_for_update(of=Project)
    projects = list(uow.session.execute(locked).unique().scalars())
    reviews = _open_reviews(uow, batch)
    if not reviews:
        return 0
    policies = {p.id: uow.workspace.policy(p.policy_version) for p in projects}
    gates = {pid: policies[pid].gate(r.gate_id) for pid, r in reviews.items()}
    known = {pid: g for pid, g in gates.items() if g is not None}
    inputs = gate_inputs(
        uow,
        [p for p in projects if p.id in known],
        batch,
        gates=known,
        policies=policies,
        reviews=reviews,
        evidence=True,  # who attached it: nobody approves evidence they attached
    )
    roles = {s.role for g in known.values() for s in g.signoffs}
    roster = signers_on(uow, batch, roles)
    written = 0
    for pid, at in inputs.items():
        people = roster.profiles(pid).values()
        rows = pending_signoffs(people, at.policy, at.gate, at.state, uow.now)
        written += _insert(uow, reviews[pid], roster, rows)
    return written


def _open_reviews(uow: UnitOfWork, batch: Batch) -> dict[int, Review]:
    opened = select(Review).where(Review.state == SUBMITTED)
    if isinstance(batch, int):
        query = opened.where(Review.project_id == batch)
    else:
        query = opened.where(Review.project_id.in_(batch))
    return {r.project_id: r for r in uow.session.execute(query).scalars()}


def _by_person(rows: Iterable[Pending]) -> defaultdict[str, set[Pending]]:
    found: defaultdict[str, set[Pending]] = defaultdict(set)
    for row in rows:
        found[row.username].add(row)
    return found


def _insert(uow: UnitOfWork, review: Review, roster: Roster, rows: Sequence[Pending]) -> int:
    if not rows:
        return 0
    values = [_values(review, roster, row) for row in rows]
    uow.session.execute(_INSERT, values)
    return len(values)


def _values(review: Review, roster: Roster, row: Pending) -> dict[str, Any]:
    behalf = roster.ids[row.on_behalf_of] if row.on_behalf_of else None
    return {
        "project_id": review.project_id,
        "review_id": review.id,
        "user_id": roster.ids[row.username],
        "role": row.role,
        "on_behalf_of_id": behalf,
        "part": row.part.value,
        "lead": row.lead,
        "waiting_for": row.waiting_for,
        "due_at": review.due_at,
        "submitted_at": review.submitted_at,
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
    }


def holds_now(now: datetime) -> Any:
    """The condition on pending rows that hold at `now` (their bounds around it)."""
    pending = _PENDING.c
    return or_(pending.valid_from.is_(None), pending.valid_from <= now) & or_(
        pending.valid_until.is_(None), pending.valid_until > now
    )
