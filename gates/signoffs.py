"""Sign-off rules: who may sign a review round, as which role and on whose behalf, in which
order, and how often.

The sign verb and the lists of what waits for a signer ask the same rules: `sign_options`
lists what a person could sign (their turn now, or waiting only for the signing order), and
`check_sign` answers one request with every refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gates.duties import attachers, previous_gate_signer, role_conflicts
from gates.model import Person, ProjectState
from gates.readiness import Readiness, Status
from gates.refusals import Refusal
from policies.model import (
    POSITIONS,
    Decision,
    Gate,
    Independence,
    Policy,
    Position,
    Signoff,
    SignoffKind,
)

ORDER = "sign.order"


class Part(StrEnum):
    """Where a sign-off stands for one signer: theirs to sign now, or after earlier links."""

    YOUR_TURN = "your_turn"
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class ReviewRound:
    """A gate as the sign-off rules read it: the pinned policy, the gate's readiness report,
    and the project state (the open review's snapshot, its submitter and signatures)."""

    policy: Policy
    report: Readiness
    state: ProjectState

    @property
    def gate(self) -> Gate:
        """The gate under review."""
        return self.report.gate

    def title(self, role: str) -> str:
        """'Finance business partner sign-off'."""
        return f"{self.policy.role_title(role)} sign-off"


@dataclass(frozen=True, slots=True)
class SignOption:
    """A sign-off a person could give: as `role`, for themselves or for a delegator."""

    role: str
    on_behalf_of: str | None
    part: Part
    waiting_for: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Signing:
    """The answer to one request to sign: the role and principal it resolves to (None when
    it resolves to none) and every reason it is refused (none when it may be signed)."""

    role: str | None
    on_behalf_of: str | None
    refusals: tuple[Refusal, ...]


def needed_roles(review: ReviewRound) -> list[str]:
    """The sign-off roles the gate still needs (not satisfied, waived or not applicable)."""
    return [s.role for s in review.gate.signoffs if not _status(review.report, s).ok]


def sign_options(person: Person, review: ReviewRound) -> tuple[SignOption, ...]:
    """Every sign-off still needed that `person` may give, own role first, else by a valid
    delegation: YOUR_TURN when signing would be accepted now, WAITING when only the signing
    order stops it. Refused for any other reason, a sign-off is left out."""
    if not person.active or review.state.snapshot_digest is None:
        return ()
    options = []
    for signoff in review.gate.signoffs:
        held, principal = _authority(person, signoff.role)
        if not held or not _takes_signatures(signoff, _status(review.report, signoff)):
            continue
        refusals = _who_refusals(person, review, signoff, principal)
        if not refusals:
            options.append(SignOption(signoff.role, principal, Part.YOUR_TURN))
        elif all(r.rule == ORDER for r in refusals):
            waiting = tuple(r.text for r in refusals)
            options.append(SignOption(signoff.role, principal, Part.WAITING, waiting))
    return tuple(options)


def check_sign(
    person: Person,
    review: ReviewRound,
    role: str | None,
    decision: Decision | Position,
    comment: str = "",
) -> Signing:
    """Whether `person` may sign the round now as `role` (None: the one needed role they
    hold) with `decision` (a position, for an advisory or consulted sign-off): the role and
    principal it resolves to, and every refusal."""
    gate = review.gate
    if not person.active:
        text = f"{person.username}'s account is disabled."
        return Signing(role, None, (Refusal("person.disabled", None, text),))
    if review.state.snapshot_digest is None:
        text = f"{gate.name} has not been submitted: there is nothing to sign yet."
        return Signing(role, None, (Refusal("sign.not_submitted", None, text),))
    if role is None:
        chosen = _chosen_role(person, review)
        if isinstance(chosen, Refusal):
            return Signing(None, None, (chosen,))
        role = chosen
    signoff = next((s for s in gate.signoffs if s.role == role), None)
    if signoff is None:
        text = f"{gate.name} needs no {review.title(role)}."
        return Signing(role, None, (Refusal("sign.not_at_gate", "role", text),))
    status = _status(review.report, signoff)
    if status is Status.NOT_APPLICABLE:
        text = f"{review.title(role)} is not needed for this project."
        return Signing(role, None, (Refusal("sign.not_needed", "role", text),))
    held, principal = _authority(person, role)
    refusals = [
        *_decision_refusals(review, signoff, decision, comment),
        *([] if held else [_not_held(person, review, role)]),
        *_who_refusals(person, review, signoff, principal),
        *([] if _takes_signatures(signoff, status) else [_complete(review, role, status)]),
    ]
    return Signing(role, principal, tuple(refusals))


def _takes_signatures(signoff: Signoff, status: Status) -> bool:
    """True while the sign-off takes signatures: a blocking one until it is complete; an
    advisory or consulted one that applies from each of its holders who wants to answer,
    even once enough have (every position is recorded), unless it is waived."""
    if signoff.kind is SignoffKind.BLOCKING:
        return not status.ok
    return status not in (Status.WAIVED, Status.NOT_APPLICABLE)


def _status(report: Readiness, signoff: Signoff) -> Status:
    line = report.line(signoff.key)
    return line.status if line is not None else Status.NOT_APPLICABLE


def _authority(person: Person, role: str) -> tuple[bool, str | None]:
    """Whether `person` may sign as `role` here, and for whom: their own role comes first."""
    if role in person.roles:
        return True, None
    delegator = person.delegations.get(role)
    return delegator is not None, delegator


def _chosen_role(person: Person, review: ReviewRound) -> str | Refusal:
    """The one needed role the person holds (their own first, else by delegation)."""
    needed = needed_roles(review)
    mine = [r for r in needed if r in person.roles] or [
        r for r in needed if r in person.delegations
    ]
    if len(mine) == 1:
        return mine[0]
    if not mine:
        text = f"You hold none of the sign-off roles {review.gate.name} still needs."
        return Refusal("sign.no_role", "role", text)
    text = f"You hold several roles this gate needs ({', '.join(mine)}): say which."
    return Refusal("sign.role_ambiguous", "role", text)


def _complete(review: ReviewRound, role: str, status: Status) -> Refusal:
    title = review.title(role)
    if status is Status.WAIVED:
        return Refusal("sign.complete", "role", f"{title} is waived: it needs no signature.")
    return Refusal("sign.complete", "role", f"{title} is complete: it needs no more signatures.")


def _not_held(person: Person, review: ReviewRound, role: str) -> Refusal:
    title = review.policy.role_title(role)
    return Refusal("role.sign", "role", f"{person.username} does not hold the {title} role here.")


def stances(gate: Gate, signoff: Signoff) -> tuple[Decision | Position, ...]:
    """What a signer of `signoff` may say: the gate's decisions for a blocking sign-off, the
    positions of its kind for an advisory or consulted one."""
    if signoff.kind is SignoffKind.BLOCKING:
        return gate.decisions
    return POSITIONS[signoff.kind]


def _decision_refusals(
    review: ReviewRound, signoff: Signoff, decision: Decision | Position, comment: str
) -> list[Refusal]:
    refusals = []
    title = review.title(signoff.role)
    allowed = stances(review.gate, signoff)
    if signoff.kind is SignoffKind.BLOCKING and decision not in allowed:
        words = ", ".join(d.label for d in allowed)
        text = f"'{decision.label}' is not allowed at this gate ({words})."
        refusals.append(Refusal("sign.decision_not_allowed", "decision", text))
    elif decision not in allowed:
        words = " or ".join(p.label for p in POSITIONS[signoff.kind])
        text = f"{title} is {signoff.kind}: it records {words}, not '{decision.label}'."
        refusals.append(Refusal("sign.position_not_allowed", "decision", text))
    if decision not in (Decision.GO, Position.SUPPORT) and not comment.strip():
        text = f"A '{decision.label}' needs a comment saying why."
        if decision is Position.COMMENT:
            text = f"{title} is consulted: the comment is what it records; write it."
        refusals.append(Refusal("sign.comment_required", "comment", text))
    return refusals


def _who_refusals(
    person: Person, review: ReviewRound, signoff: Signoff, principal: str | None
) -> list[Refusal]:
    """The rules about the signer rather than the signature: independence, once per round
    and per principal, and the signing order."""
    people = {person.username, principal} - {None}
    # A delegate signs holding their own roles and the one delegated: both restrict them.
    roles = person.roles | {signoff.role}
    return [
        *_independence(review.state, signoff, people),
        *previous_gate_signer(review.state, signoff, people),
        *role_conflicts(person.username, roles, review.policy.incompatible_roles),
        *_once(review.state, person.username, principal or person.username),
        *waiting_for(review, signoff),
    ]


def _independence(state: ProjectState, signoff: Signoff, people: set[str | None]) -> list[Refusal]:
    refusals = []
    if Independence.SUBMITTER in signoff.independent_of and state.submitter in people:
        text = "Nobody may approve a gate they submitted."
        refusals.append(Refusal("sod.submitter_signs", None, text))
    if Independence.PROJECT_MANAGER in signoff.independent_of and state.project_manager in people:
        text = "The project manager may not approve their own project's gate."
        refusals.append(Refusal("sod.manager_signs", None, text))
    if Independence.EVIDENCE_ATTACHER in signoff.independent_of and people & attachers(state):
        text = "Nobody may approve evidence they attached."
        refusals.append(Refusal("sod.attacher_signs", None, text))
    return refusals


def _once(state: ProjectState, signer: str, principal: str) -> list[Refusal]:
    for signature in state.current_signatures:
        if signer in (signature.signer, signature.principal):
            text = f"{signer} has already signed this review round."
            return [Refusal("sign.once_per_round", None, text)]
        if principal == signature.principal:
            text = f"{principal}'s authority has already been used in this review round."
            return [Refusal("sign.principal_once", None, text)]
    return []


def waiting_for(review: ReviewRound, signoff: Signoff) -> list[Refusal]:
    """Who must sign before `signoff` in a sequential chain: 'Operations signs first'."""
    if signoff.order is None:
        return []
    return [
        Refusal(ORDER, None, f"{review.policy.role_title(s.role)} signs first (order {s.order}).")
        for s in review.gate.signoffs
        if s.order is not None and s.order < signoff.order and not _status(review.report, s).ok
    ]
