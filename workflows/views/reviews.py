"""Read models for the review pages and the portfolio dashboard.

What a signer sees of one open review, the stages and tiers of the published policies, and
the overdue reviews. Each issues a fixed number of queries whatever the portfolio size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from gates.assurance import effect
from gates.assurance import required as assurance_required
from gates.authority import Authority
from gates.decisions import deciders_in_words, go_blockers
from gates.model import Ballot, OpenCondition
from gates.refusals import Refusal
from gates.signoffs import Part, SignOption, stances
from gates.votes import Tally, tally
from policies.model import Decision, Gate, Policy, Position
from workflows.errors import NotFound, Refused
from workflows.identity import Actor
from workflows.store.records import AssuranceRecord, OverrideRecord, Review, SignatureRecord
from workflows.store.uow import UnitOfWork
from workflows.verbs.assurance import people_of
from workflows.verbs.overrides import waiting_override
from workflows.verbs.reviews import GateStatus, gate_status
from workflows.verbs.users import find_user


@dataclass(frozen=True)
class SnapshotArtifact:
    """One artifact version frozen in a review's evidence snapshot."""

    id: str
    title: str
    version: int
    digest: str
    kind: str = "file"  # file: downloadable; link or form: shown on the project page


@dataclass(frozen=True)
class ReviewPage:
    """An open review as a signer reads it, and what the reader may do there: every answer
    comes from the authority rules (`status.authority`)."""

    status: GateStatus
    review: Review
    overdue: bool
    override: OverrideRecord | None = None  # the override waiting for a second PMO member
    today: date | None = None
    assurance: AssuranceRecord | None = None  # the round's assurance review, if recorded
    assurance_refusals: tuple[Refusal, ...] = ()  # why the reader may not record it

    @property
    def takes_assurance(self) -> bool:
        """True when the gate asks for an assurance review of this project's round."""
        review = self.status.authority.review
        return review is not None and assurance_required(self.gate, review.state)

    @property
    def may_assure(self) -> bool:
        """True when the reader may record the round's assurance review now."""
        return self.takes_assurance and self.assurance is None and not self.assurance_refusals

    @property
    def assurance_effect(self) -> list[str]:
        """What the rating does to the decision, in words (nothing without a rule that holds)."""
        review = self.status.authority.review
        if review is None:
            return []
        found = effect(self.policy, self.gate, review.state)
        words = []
        if found.decisions is not None:
            left = ", ".join(d.label for d in found.decisions) or "nothing"
            words.append(f"The rating leaves {left}.")
        if found.escalated_to:
            who = deciders_in_words(self.policy, found.escalated_to)
            words.append(f"The decision moved to {who}.")
        return words

    @property
    def open_conditions(self) -> Sequence[OpenCondition]:
        """Conditions of earlier gates still open (a go waits for them, unless the policy
        relaxes it)."""
        review = self.status.authority.review
        return review.state.open_conditions if review is not None else ()

    @property
    def vote(self) -> Tally | None:
        """The panel's vote on the round, where the gate takes one."""
        review = self.status.authority.review
        if review is None or self.gate.vote is None:
            return None
        return tally(self.gate.vote, review.state.panel, review.state.ballots)

    @property
    def ballots(self) -> Sequence[Ballot]:
        """The votes cast on the round, in the order cast."""
        review = self.status.authority.review
        return review.state.ballots if review is not None else ()

    @property
    def may_vote(self) -> bool:
        """True when the reader may vote on the round (any decision the gate allows)."""
        return self.gate.vote is not None and not self.status.authority.vote(Decision.GO)

    @property
    def go_blockers(self) -> list[str]:
        """Everything that stops a go now, in words."""
        review = self.status.authority.review
        if review is None or self.today is None:
            return []
        return go_blockers(self.policy, review.report, review.state, self.today)

    @property
    def may_ask_override(self) -> bool:
        """True when the reader may ask for a PMO override of this review now."""
        if self.override is not None or self.today is None:
            return False
        return not self.authority.override(self.authority.person.username, False, self.today)

    @property
    def may_answer_override(self) -> bool:
        """True when the reader may confirm the override that waits (a second PMO member)."""
        if self.override is None or self.today is None:
            return False
        return not self.authority.override(self.override.requested_by, True, self.today)

    @property
    def authority(self) -> Authority:
        """What the reader may do on the project and its review."""
        return self.status.authority

    @property
    def sign_options(self) -> tuple[SignOption, ...]:
        """The sign-offs the reader could give: their turn first, then those waiting."""
        options = self.authority.signing
        return tuple(sorted(options, key=lambda o: o.part is not Part.YOUR_TURN))

    @property
    def signing_roles(self) -> tuple[str, ...]:
        """The roles the reader may sign as, their turn first."""
        return tuple(o.role for o in self.sign_options)

    @property
    def offers_signature(self) -> bool:
        """True when something of the review waits for the reader's signature."""
        return bool(self.sign_options)

    @property
    def may_decide(self) -> bool:
        """True when the reader may record the gate decision (one of its deciding roles)."""
        return not self.authority.deciding()

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
    def sign_choices(self) -> tuple[Decision | Position, ...]:
        """What the reader may say when signing: the decisions and positions of the
        sign-offs they could give (gates.signoffs.stances), in the policy's order."""
        signoffs = {s.role: s for s in self.gate.signoffs}
        said = [c for o in self.sign_options for c in stances(self.gate, signoffs[o.role])]
        return tuple(dict.fromkeys(said)) or self.gate.decisions

    @property
    def signatures(self) -> list[SignatureRecord]:
        """Every signature of the round, superseded ones included, oldest first."""
        return list(self.review.signatures)

    @property
    def snapshot_artifacts(self) -> list[SnapshotArtifact]:
        frozen: dict[str, dict[str, Any]] = self.review.snapshot.get("artifacts", {})
        known = {a.id: a for a in self.gate.artifacts}
        return [
            SnapshotArtifact(
                i,
                known[i].title if i in known else i,
                int(v["version"]),
                str(v["digest"]),
                known[i].kind.value if i in known else "file",
            )
            for i, v in sorted(frozen.items())
        ]

    @property
    def snapshot_facts(self) -> list[tuple[str, str]]:
        facts: dict[str, Any] = self.review.snapshot.get("facts", {})
        return [(self._fact_title(k), str(v)) for k, v in sorted(facts.items())]

    def _fact_title(self, fact_id: str) -> str:
        fact = self.policy.fact(fact_id)
        return fact.title if fact else fact_id


def review_page(uow: UnitOfWork, actor: Actor, key: str) -> ReviewPage:
    """The open review of project `key` as `actor` reads it.

    Raises NotFound when the project has no open review at its next gate, has no gate left,
    or is not the user's to see.
    """
    try:
        status = gate_status(uow, actor, key)
    except Refused as error:
        raise NotFound(f"{key} has no open review.") from error
    if status.review is None:
        raise NotFound(f"{key} has no review waiting for signatures.")
    due = status.review.due_at
    waiting = waiting_override(uow, status.review.id)
    overdue = due is not None and due < uow.now
    rated, refusals = _assurance_of(uow, actor, status) if status.gate.assurance else (None, ())
    return ReviewPage(
        status, status.review, overdue, waiting, uow.now.date(), rated, tuple(refusals)
    )


def _assurance_of(
    uow: UnitOfWork, actor: Actor, status: GateStatus
) -> tuple[AssuranceRecord | None, list[Refusal]]:
    """The round's assurance review, and why the reader may not record it (gates.assurance,
    asked as the verb asks it; not asked once it is recorded)."""
    assert status.review is not None
    rated = uow.session.execute(
        select(AssuranceRecord).where(AssuranceRecord.review_id == status.review.id)
    ).scalar_one_or_none()
    if rated is not None:
        return rated, []
    people = people_of(uow, find_user(uow, actor.username), status.project, status.gate)
    return None, status.authority.assure(*people)
