"""What the gate rules are given about a project: facts, evidence, signatures, waivers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

import cel

from policies.conditions import evaluation_context
from policies.model import Decision, FactValue, Position

APPROVING = frozenset({Decision.GO, Decision.CONDITIONAL_GO})
OBJECTING = frozenset({Position.OBJECT})
"""The one position of an advisory signer that is against the gate (recorded, never blocks)."""

# Global roles: pmo, auditor, admin (and project_manager, for registering projects).
# Project roles: sponsor, project_manager (where one manages), and the roles a policy names.
PMO, AUDITOR, ADMIN = "pmo", "auditor", "admin"
SPONSOR, PROJECT_MANAGER = "sponsor", "project_manager"
GLOBAL_ROLES = (PMO, AUDITOR, ADMIN, PROJECT_MANAGER)


@dataclass(frozen=True, slots=True)
class Evidence:
    """The current version of one artifact attached to a project."""

    artifact_id: str
    version: int
    digest: str
    attached_at: datetime
    attached_by: str = ""


@dataclass(frozen=True, slots=True)
class Signature:
    """One signer's decision on one review round, bound to the snapshot it signed; for an
    advisory or consulted sign-off, a position instead of a decision (stored alike)."""

    signer: str
    role: str
    decision: Decision | Position
    signed_at: datetime
    snapshot_digest: str
    on_behalf_of: str | None = None
    comment: str = ""

    @property
    def principal(self) -> str:
        """Whose authority the signature uses: the delegator, or the signer."""
        return self.on_behalf_of or self.signer

    @property
    def approves(self) -> bool:
        """True when the signer decided go or conditional go (a blocking sign-off), or gave
        a position that is not an objection (an advisory or consulted one)."""
        if isinstance(self.decision, Position):
            return self.decision not in OBJECTING
        return self.decision in APPROVING


def stance(text: str) -> Decision | Position:
    """A signature's stored decision: a decision, or an advisory or consulted position.

    Raises ValueError for anything else."""
    return Decision(text) if text in _DECISIONS else Position(text)


_DECISIONS = frozenset(Decision)


@dataclass(frozen=True, slots=True)
class Waiver:
    """An authorized exception to one requirement, with its justification and expiry."""

    requirement: str
    granted_by: str
    granted_role: str
    justification: str
    granted_at: datetime
    expires_at: datetime | None = None
    status: str = "approved"  # requested, approved, denied or revoked (gates.waivers)


@dataclass(frozen=True, slots=True)
class OpenCondition:
    """A condition of an earlier conditional go that its owner has not closed yet."""

    id: int
    gate_id: str
    action: str
    owner: str
    due: date

    def overdue(self, today: date) -> bool:
        """True once its due date has passed."""
        return self.due < today


@dataclass(frozen=True)
class Ballot:
    """One panel member's vote on a review round (gates.votes)."""

    voter: str
    decision: Decision


@dataclass(frozen=True, slots=True)
class Rated:
    """The assurance review recorded on a review round: who, and the rating they gave."""

    reviewer: str
    rating: str
    recorded_at: datetime


@dataclass(frozen=True)
class ProjectState:
    """Everything the gate rules read about a project at one moment.

    `signatures` are those of the current review round; only the ones bound to
    `snapshot_digest` count (earlier ones were superseded when the evidence changed).
    """

    facts: Mapping[str, FactValue]
    tier: str
    evidence: Mapping[str, Evidence] = field(default_factory=dict)
    signatures: Sequence[Signature] = ()
    waivers: Sequence[Waiver] = ()
    snapshot_digest: str | None = None
    submitter: str | None = None
    project_manager: str | None = None
    open_conditions: Sequence[OpenCondition] = ()
    # Who signed, or was signed for, on the review that passed the previous gate: read only
    # where a sign-off of this gate is `distinct_from_previous_gate`.
    previous_signers: frozenset[str] = frozenset()
    # The gate's vote, read only where the gate takes one: the panel (its active holders on
    # the project) and the ballots cast on the open review.
    panel: frozenset[str] = frozenset()
    ballots: Sequence[Ballot] = ()
    round: int | None = None  # the open review's round number
    # The active holders of a role on the project (globally or there), read only for the
    # roles whose sign-off counts a share of them (`min: majority` or `min: all`).
    holders: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The assurance review recorded on the open round (gates.assurance), if any.
    assurance: Rated | None = None
    # The values of the latest version of each form the policy's conditions read, by artifact
    # id (a form not attached yet is absent), of the fields they read (Policy.fields_read):
    # what `evidence.<artifact>.<field>` reads.
    forms: Mapping[str, Mapping[str, FactValue]] = field(default_factory=dict)
    # The `programme` its conditions read (gates.programmes.programme_value); None: the
    # project alone, whose `programme.reached` names no stage.
    programme: Mapping[str, object] | None = None

    # Derived values are memoized in the instance dict by hand: functools.cached_property
    # takes a lock on every first access in Python 3.11, a tenth of a portfolio's readiness.

    @property
    def context(self) -> cel.Context:
        """The CEL context for this project, built once and shared by every condition."""
        memo = self.__dict__
        if "_context" not in memo:
            memo["_context"] = evaluation_context(self.facts, self.tier, self.forms, self.programme)
        context: cel.Context = memo["_context"]
        return context

    @property
    def current_signatures(self) -> tuple[Signature, ...]:
        """Signatures bound to the current snapshot: the ones that count."""
        digest = self.snapshot_digest
        return tuple(s for s in self.signatures if s.snapshot_digest == digest)

    @property
    def votes(self) -> Mapping[str, RoleVotes]:
        """The current signatures by role: approvals (one per principal) and objections (for
        an advisory sign-off: the positions for, and the objections)."""
        memo = self.__dict__
        if "_votes" not in memo:
            memo["_votes"] = self._count_votes()
        votes: Mapping[str, RoleVotes] = memo["_votes"]
        return votes

    def _count_votes(self) -> dict[str, RoleVotes]:
        votes: dict[str, RoleVotes] = {}
        for signature in self.current_signatures:
            approvals, objections = votes.get(signature.role, ((), ()))
            if not signature.approves:
                objections = (*objections, signature)
            elif all(a.principal != signature.principal for a in approvals):
                approvals = (*approvals, signature)
            votes[signature.role] = (approvals, objections)
        return votes


RoleVotes = tuple[tuple[Signature, ...], tuple[Signature, ...]]
NO_VOTES: RoleVotes = ((), ())


@dataclass(frozen=True)
class Person:
    """Who asks to act, on one project, right now: the authority rules read nothing else.

    `delegations` are the ones valid now, as role -> the delegator's username.
    """

    username: str
    active: bool = True
    global_roles: frozenset[str] = frozenset()
    project_roles: frozenset[str] = frozenset()
    manages: bool = False
    delegations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def roles(self) -> frozenset[str]:
        """The roles held here: global ones and those granted on the project; project manager
        only on the project one manages (a global project_manager grant lets one register)."""
        held = self.global_roles | self.project_roles
        return held | {PROJECT_MANAGER} if self.manages else held - {PROJECT_MANAGER}


@dataclass(frozen=True, slots=True)
class Delegated:
    """A delegation received: signing authority for `role`, from `delegator`, for a period."""

    role: str
    delegator: str
    starts_at: datetime
    ends_at: datetime

    def valid_at(self, moment: datetime) -> bool:
        """True while the delegation's period holds `moment`."""
        return self.starts_at <= moment < self.ends_at


@dataclass(frozen=True)
class Profile:
    """A person on one project as read from the records: roles, and every delegation that
    counts there (the delegator active and holding the role) with its period."""

    username: str
    active: bool = True
    global_roles: frozenset[str] = frozenset()
    project_roles: frozenset[str] = frozenset()
    manages: bool = False
    delegations: tuple[Delegated, ...] = ()

    def at(self, moment: datetime) -> Person:
        """The person at `moment`: the delegations valid then (for a role delegated by
        several people, the earliest started counts)."""
        valid = sorted(
            (d for d in self.delegations if d.valid_at(moment)),
            key=lambda d: (d.starts_at, d.delegator),
        )
        chosen: dict[str, str] = {}
        for delegation in valid:
            chosen.setdefault(delegation.role, delegation.delegator)
        return Person(
            self.username,
            self.active,
            self.global_roles,
            self.project_roles,
            self.manages,
            MappingProxyType(chosen),
        )

    def moments(self) -> set[datetime]:
        """The instants at which this person's authority changes: delegations begin or end."""
        return {d.starts_at for d in self.delegations} | {d.ends_at for d in self.delegations}
