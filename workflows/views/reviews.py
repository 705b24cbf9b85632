"""Read models for the review pages and the portfolio dashboard.

What a signer sees of one open review, the stages and tiers of the published policies, and
the overdue reviews. Each issues a fixed number of queries whatever the portfolio size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select

from gates import access
from policies.model import Decision, Gate, Policy
from workflows.errors import NotFound, Refused
from workflows.store.records import Review, SignatureRecord, User
from workflows.store.uow import UnitOfWork
from workflows.verbs.reviews import GateStatus, gate_status
from workflows.verbs.users import delegated_roles

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
