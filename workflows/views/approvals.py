"""My approvals: every open review waiting for one user, in two parts, paged.

Both parts come from the authority rules, through the pending sign-offs they keep
(workflows/pending.py): "your turn" lists the reviews where signing would be accepted now,
"waiting on others" those the user will sign once earlier links of the signing order have.
The list reads that table alone, joined to the reviews and projects of one page: two
statements whatever the portfolio's size (the counts of both parts, then the page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from gates.signoffs import Part
from policies.model import Gate, Policy
from workflows.pending import holds_now
from workflows.store.records import PendingSignoff, Project, Review, User
from workflows.store.uow import UnitOfWork

PAGE_SIZE = 25


@dataclass(frozen=True)
class SignAs:
    """One way the user signs a review: as `role`, for `on_behalf_of` (a printed name) or
    for themselves; `waiting_for` says which earlier links must sign first."""

    role: str
    on_behalf_of: str | None
    waiting_for: str


@dataclass(frozen=True)
class Approval:
    """A review waiting for the user's signature."""

    project: Project
    review: Review
    policy: Policy
    signs_as: tuple[SignAs, ...]
    overdue: bool

    @property
    def gate(self) -> Gate | None:
        """The gate under review."""
        return self.policy.gate(self.review.gate_id)

    @property
    def since(self) -> datetime:
        """When the review was submitted."""
        return self.review.submitted_at

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """Who must sign first, for each sign-off of the user's that waits."""
        return tuple(dict.fromkeys(s.waiting_for for s in self.signs_as if s.waiting_for))


@dataclass(frozen=True)
class Approvals:
    """One page of one part of My approvals, with the exact count of both parts."""

    part: Part
    approvals: list[Approval]
    counts: dict[Part, int]
    page: int
    size: int

    @property
    def total(self) -> int:
        """How many reviews this part lists, over every page."""
        return self.counts[self.part]

    @property
    def pages(self) -> int:
        """How many pages this part has (at least one)."""
        return max((self.total + self.size - 1) // self.size, 1)

    def page_links(self, around: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last and those near this page; None
        where numbers are skipped."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        links: list[int | None] = []
        for number in sorted(n for n in shown if 1 <= n <= self.pages):
            if links and links[-1] is not None and number > links[-1] + 1:
                links.append(None)
            links.append(number)
        return links


def my_approvals(
    uow: UnitOfWork,
    user_id: int,
    part: Part = Part.YOUR_TURN,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Approvals:
    """Page `page` (from 1) of the reviews of `part` waiting for the user, overdue first
    (the earliest due date first, then those without one), then the oldest; and the exact
    count of both parts. Two statements."""
    mine = _mine(user_id, uow.now)
    counted = select(PendingSignoff.part, func.count()).where(*mine, PendingSignoff.lead)
    counts = dict.fromkeys(Part, 0)
    for found, number in uow.session.execute(counted.group_by(PendingSignoff.part)):
        counts[Part(found)] = number
    return Approvals(part, _page(uow, user_id, part, page, size), counts, page, size)


def _mine(user_id: int, now: datetime) -> list[Any]:
    return [PendingSignoff.user_id == user_id, holds_now(now)]


def _order() -> tuple[Any, ...]:
    return (
        PendingSignoff.due_at.asc().nulls_last(),
        PendingSignoff.submitted_at,
        PendingSignoff.review_id,
    )


def page_of_reviews(user_id: int, now: datetime, part: Part, page: int, size: int) -> Select[int]:
    """A SELECT of the ids of the reviews on page `page` of `part` for the user: their lead
    rows, in the order of the index ix_pending_signoffs_inbox (no sort, stops at the page)."""
    return (
        select(PendingSignoff.review_id)
        .where(*_mine(user_id, now), PendingSignoff.part == part.value, PendingSignoff.lead)
        .order_by(*_order())
        .offset((max(page, 1) - 1) * size)
        .limit(size)
    )


def _page(uow: UnitOfWork, user_id: int, part: Part, page: int, size: int) -> list[Approval]:
    leads = page_of_reviews(user_id, uow.now, part, page, size)
    principal = aliased(User)
    query = (
        select(
            Review,
            Project,
            PendingSignoff.role,
            principal.display_name,
            PendingSignoff.waiting_for,
        )
        .join(Review, Review.id == PendingSignoff.review_id)
        .join(Project, Project.id == Review.project_id)
        .outerjoin(principal, principal.id == PendingSignoff.on_behalf_of_id)
        .where(*_mine(user_id, uow.now), PendingSignoff.review_id.in_(leads.scalar_subquery()))
        .order_by(*_order(), PendingSignoff.lead.desc(), PendingSignoff.id)
    )
    return _approvals(uow, uow.session.execute(query).unique().all())


def _approvals(uow: UnitOfWork, rows: Sequence[Any]) -> list[Approval]:
    grouped: dict[int, tuple[Review, Project, list[SignAs]]] = {}
    for review, project, role, behalf, waiting in rows:
        entry = grouped.setdefault(review.id, (review, project, []))
        entry[2].append(SignAs(role, behalf, waiting))
    return [
        Approval(
            project,
            review,
            uow.workspace.policy(project.policy_version),
            tuple(signs),
            review.due_at is not None and review.due_at < uow.now,
        )
        for review, project, signs in grouped.values()
    ]
