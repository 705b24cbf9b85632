"""My approvals for the people who wait on a review rather than sign it: the sponsor, who
decides once it is signed, and the project manager who submitted it.

Where each review stands is read from the pending sign-offs (workflows/pending.py): whose turn
it is now, by name and role; nobody's turn means every sign-off is in and the gate awaits its
decision. Two statements per list: the page of reviews, then whose turn it is on them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from gates.model import SPONSOR
from gates.signoffs import Part
from policies.model import Gate, Policy
from workflows.machines import SUBMITTED
from workflows.pending import holds_now
from workflows.store.records import PendingSignoff, Project, Review, RoleGrant, User
from workflows.store.uow import UnitOfWork

LIMIT = 50


@dataclass(frozen=True)
class Watched:
    """An open review the user waits on, and whose turn it is to sign (none: all signed)."""

    project: Project
    review: Review
    policy: Policy
    turn_of: tuple[tuple[str, str], ...]  # (display name, role) of each signer due now

    @property
    def gate(self) -> Gate | None:
        """The gate under review."""
        return self.policy.gate(self.review.gate_id)

    @property
    def stands(self) -> str:
        """Where the review stands, in words."""
        if not self.turn_of:
            return (
                "No sign-off is due from anyone now: it awaits its decision, or a signer "
                "for a role nobody holds."
            )
        names = ", ".join(f"{name} ({self.policy.role_title(role)})" for name, role in self.turn_of)
        return f"Waiting for {names}."


def coming_up(uow: UnitOfWork, user_id: int, limit: int = LIMIT) -> list[Watched]:
    """The open reviews of the projects the user sponsors (a sponsor grant there) on which no
    sign-off of theirs waits: the user decides them once signed. Oldest first."""
    sponsors = exists().where(
        RoleGrant.user_id == user_id,
        RoleGrant.project_id == Review.project_id,
        RoleGrant.role == SPONSOR,
        RoleGrant.revoked_at.is_(None),
    )
    mine = exists().where(
        PendingSignoff.review_id == Review.id,
        PendingSignoff.user_id == user_id,
        holds_now(uow.now),
    )
    return _watched(uow, (sponsors, ~mine), limit)


def submitted_by(uow: UnitOfWork, username: str, limit: int = LIMIT) -> list[Watched]:
    """The open reviews `username` submitted, oldest first, with where each stands."""
    return _watched(uow, (Review.submitted_by == username,), limit)


def _watched(uow: UnitOfWork, where: Sequence[ColumnElement[bool]], limit: int) -> list[Watched]:
    query = (
        select(Review, Project)
        .join(Project, Project.id == Review.project_id)
        .where(Review.state == SUBMITTED, *where)
        .order_by(Review.submitted_at, Review.id)
        .limit(limit)
    )
    rows = uow.session.execute(query).unique().all()
    turns = _turns(uow, [review.id for review, _ in rows])
    return [
        Watched(
            project,
            review,
            uow.workspace.policy(project.policy_version),
            tuple(turns.get(review.id, ())),
        )
        for review, project in rows
    ]


def _turns(uow: UnitOfWork, review_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    if not review_ids:
        return {}
    query: Any = (
        select(PendingSignoff.review_id, User.display_name, PendingSignoff.role)
        .join(User, User.id == PendingSignoff.user_id)
        .where(
            PendingSignoff.review_id.in_(review_ids),
            PendingSignoff.part == Part.YOUR_TURN.value,
            holds_now(uow.now),
        )
        .order_by(PendingSignoff.review_id, User.display_name, PendingSignoff.role)
    )
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for review_id, name, role in uow.session.execute(query):
        if (name, role) not in found[review_id]:
            found[review_id].append((name, role))
    return found
