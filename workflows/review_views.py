"""Read models for the review pages and the portfolio dashboard.

What a signer sees of one open review, the stages and tiers of the published policies, and
the overdue reviews. Each issues a fixed number of queries whatever the portfolio size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select

from gates import access
from gates.decisions import KILLED, ON_HOLD
from policies.model import Decision, Gate, Policy
from workflows.errors import NotFound, Refused
from workflows.machines import SUBMITTED
from workflows.queries import ProjectFilter
from workflows.records import PolicyVersion, Project, Review, SignatureRecord, User
from workflows.reviews import GateStatus, gate_status
from workflows.uow import UnitOfWork
from workflows.users import delegated_roles

S = TypeVar("S", bound=Select[Any])

READ_ONLY_ROLES = frozenset({access.AUDITOR, access.ADMIN})


@dataclass(frozen=True)
class SnapshotArtifact:
    """One artifact version frozen in a review's evidence snapshot."""

    id: str
    title: str
    version: int
    digest: str


@dataclass(frozen=True)
class ReviewPage:
    """An open review as a signer reads it, and what the reader may sign as."""

    status: GateStatus
    review: Review
    roles: frozenset[str]
    signing_roles: tuple[str, ...]
    on_behalf_of: dict[str, str]
    offers_signature: bool
    overdue: bool

    @property
    def policy(self) -> Policy:
        return self.status.policy

    @property
    def gate(self) -> Gate:
        return self.status.gate

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return self.gate.decisions

    @property
    def signatures(self) -> list[SignatureRecord]:
        """Every signature of the round, superseded ones included, oldest first."""
        return list(self.review.signatures)

    @property
    def snapshot_artifacts(self) -> list[SnapshotArtifact]:
        frozen: dict[str, dict[str, Any]] = self.review.snapshot.get("artifacts", {})
        titles = {a.id: a.title for a in self.gate.artifacts}
        return [
            SnapshotArtifact(i, titles.get(i, i), int(v["version"]), str(v["digest"]))
            for i, v in sorted(frozen.items())
        ]

    @property
    def snapshot_facts(self) -> list[tuple[str, str]]:
        facts: dict[str, Any] = self.review.snapshot.get("facts", {})
        return [(self._fact_title(k), str(v)) for k, v in sorted(facts.items())]

    def _fact_title(self, fact_id: str) -> str:
        fact = self.policy.fact(fact_id)
        return fact.title if fact else fact_id


def review_page(uow: UnitOfWork, user: User, roles: set[str], key: str) -> ReviewPage:
    """The open review of project `key` for `user` (holding `roles` on it).

    Raises NotFound when the project has no open review at its next gate, has no gate left,
    or is not the user's to see.
    """
    try:
        status = gate_status(uow, user.username, key)
    except Refused as error:
        raise NotFound(f"{key} has no open review.") from error
    if status.review is None:
        raise NotFound(f"{key} has no review waiting for signatures.")
    delegated = delegated_roles(uow, user, status.project)
    needed = [
        s.role
        for s in status.gate.signoffs
        if (line := status.report.line(s.key)) is not None and not line.status.ok
    ]
    mine = tuple(r for r in needed if r in roles or r in delegated)
    behalf = {r: delegated[r].display_name for r in mine if r not in roles and r in delegated}
    offers = bool(set(roles) - READ_ONLY_ROLES) or bool(delegated)
    due = status.review.due_at
    overdue = due is not None and due < uow.now
    return ReviewPage(status, status.review, frozenset(roles), mine, behalf, offers, overdue)


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
    uow: UnitOfWork, where: ProjectFilter | None = None, limit: int = 20
) -> list[OverdueReview]:
    """Submitted reviews whose due date has passed, the longest overdue first; one query."""
    query = (
        select(
            Project.key, Project.name, Review.gate_id, Review.round, Review.due_at, PolicyVersion
        )
        .join(Project, Review.project_id == Project.id)
        .join(PolicyVersion, Project.policy_version_id == PolicyVersion.id)
        .where(Review.state == SUBMITTED, Review.due_at < uow.now)
        .order_by(Review.due_at, Project.key)
    )
    if where is not None:
        query = where.apply(query)
    overdue = []
    for key, name, gate_id, round_, due_at, version in uow.session.execute(query.limit(limit)):
        assert due_at is not None  # the query asks for a due date in the past
        gate = uow.workspace.policy(version).gate(gate_id)
        title = gate.name if gate else gate_id
        overdue.append(OverdueReview(key, name, title, round_, due_at, (uow.now - due_at).days))
    return overdue
