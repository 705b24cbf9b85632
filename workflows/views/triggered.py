"""The reviews ahead of a project, as the project page and `lockgate project show` list them:
those owed before its next gate, those due that the next tick opens, and the next date of
each recurring review, before it comes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gates.triggers import cause_text
from policies.model import Policy
from workflows.store.records import Project
from workflows.store.uow import UnitOfWork
from workflows.triggered import coming, due_now, opened, owed_reviews

OWED, DUE, COMING = "owed", "due", "coming"


@dataclass(frozen=True)
class ReviewAhead:
    """A review of a gate the project owes (`owed`), that the next tick opens (`due`), or
    that comes on a date (`coming`); `why` says what asks for it."""

    state: str
    gate: str
    gate_name: str
    on: date
    why: str


def reviews_ahead(
    uow: UnitOfWork, project: Project, policy: Policy, today: date
) -> list[ReviewAhead]:
    """The project's reviews ahead as of `today`: owed first, then due, then coming by date."""
    if not policy.triggers:
        return []
    have = {(r.gate_id, r.kind, r.cause) for r in opened(uow, project.id)}
    found = [
        _ahead(policy, OWED, o.gate, o.due_on, cause_text(policy, o))
        for o in owed_reviews(uow, project, policy)
    ]
    found += [
        _ahead(policy, DUE, o.gate, o.due_on, f"{cause_text(policy, o)}; the next tick opens it")
        for o in due_now(uow, project, policy, today)
        if (o.gate, o.kind.value, o.cause) not in have
    ]
    found += [
        _ahead(policy, COMING, s.trigger.review, s.next, f"recurring review {s.trigger.recur}")
        for s in coming(uow, project, policy, today)
        if s.next is not None
    ]
    order = {OWED: 0, DUE: 1, COMING: 2}
    return sorted(found, key=lambda r: (order[r.state], r.on, r.gate))


def _ahead(policy: Policy, state: str, gate_id: str, on: date, why: str) -> ReviewAhead:
    gate = policy.gate(gate_id)
    return ReviewAhead(state, gate_id, gate.name if gate else gate_id, on, why)
