"""Review verbs: submit a gate, sign, decide, withdraw; and a gate's status (waivers:
workflows.verbs.waivers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import func, select

from gates.authority import READ, SUBMIT, WITHDRAW, Authority, authority
from gates.binding import SNAPSHOT_FORMULA, SignatureContent, signature_hash
from gates.decisions import ON_HOLD, FollowUp, next_gate
from gates.model import APPROVING, Person, ProjectState, Signature, stance
from gates.readiness import Readiness, StaleEvidence, readiness
from gates.refusals import Refusal, refusals_of
from gates.signoffs import ReviewRound
from gates.triggers import owed_refusals
from policies.model import Decision, Gate, Policy, Position
from workflows import inputs
from workflows.authority import Roster, roster_of, signers_on
from workflows.errors import AuthenticationFailed, InvalidInput, Refused
from workflows.identity import Actor
from workflows.machines import DRAFT, Lifecycle, recycle_trigger
from workflows.pending import after_signature, close_pending, refresh_pending
from workflows.refusal_log import refusals_recorded
from workflows.skipping import pass_skipped_gates
from workflows.state import (
    UnderReview,
    authority_on,
    gate_of,
    load_project,
    load_under_review,
    open_review,
    policy_of,
    project_state,
    require,
    snapshot,
    with_vote,
)
from workflows.store.passwords import check_password
from workflows.store.records import (
    FollowUpRecord,
    Project,
    Review,
    SignatureRecord,
    VoteRecord,
)
from workflows.store.uow import UnitOfWork
from workflows.store.writes import insert_row, update_row
from workflows.triggered import owed_reviews
from workflows.verbs.conditions import open_conditions, owners_of
from workflows.verbs.users import Credentials, credentials, find_user

MAX_FAILED_SIGNING = 5
SIGNING_LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class GateStatus:
    """Where a project stands at a gate: the readiness report, the open review (if any),
    and what the reader may do there (gates.authority)."""

    project: Project
    policy: Policy
    gate: Gate
    report: Readiness
    review: Review | None
    authority: Authority
    names: Mapping[str, str]  # printed names of the reader and their delegators, by username


def _decision(value: str | Decision) -> Decision:
    try:
        return Decision(value)
    except ValueError:
        allowed = ", ".join(d.value for d in Decision)
        raise InvalidInput("Unknown decision", {"decision": f"use one of {allowed}"}) from None


def _stance(value: str | Decision | Position) -> Decision | Position:
    """A signer's decision, or the position of an advisory or consulted signer."""
    try:
        return stance(str(value))
    except ValueError:
        allowed = ", ".join([*Decision, *Position])
        raise InvalidInput("Unknown decision", {"decision": f"use one of {allowed}"}) from None


@refusals_recorded
def gate_status(uow: UnitOfWork, actor: Actor, key: str, gate_id: str | None = None) -> GateStatus:
    """The readiness checklist of the project's next gate (or `gate_id`)."""
    project = load_project(uow, key)
    roster = roster_of(uow, actor.username, project.id)
    person = roster.person(actor.username, project.id, uow.now)
    require(authority(person, key), READ)
    policy = policy_of(uow, project)
    review = open_review(uow, project)
    # The open review's gate, where one is open (a re-baseline review repeats a passed gate).
    gate = gate_of(policy, project, gate_id or (review.gate_id if review else None))
    review = review if review is not None and review.gate_id == gate.id else None
    state = project_state(uow, project, policy, gate, review)
    state = replace(state, open_conditions=open_conditions(uow, project.id))
    if review is not None:
        state = with_vote(uow, project, gate, review, state)
    report = readiness(policy, gate, state, uow.now)
    granted = authority(person, key, ReviewRound(policy, report, state))
    return GateStatus(project, policy, gate, report, review, granted, roster.names)


@refusals_recorded
def submit_gate(uow: UnitOfWork, actor: Actor, key: str, gate_id: str | None = None) -> Review:
    """Submit the next gate for review: freezes the evidence snapshot the signers will sign."""
    project = load_project(uow, key, for_update=True)
    require(authority_on(uow, actor.username, project), SUBMIT)
    policy = policy_of(uow, project)
    gate = _next_gate(uow, policy, project, gate_id)
    if open_review(uow, project) is not None:
        text = f"{gate.name} is already submitted and waiting for a decision."
        raise Refused("submit", [Refusal("submit.already_open", None, text)])
    state = project_state(uow, project, policy, gate)
    report = readiness(policy, gate, state, uow.now)
    if report.skipped:
        text = f"{report.skipped}: it is passed over, with no review, once nothing is open."
        raise Refused("submit", [Refusal("submit.gate_skipped", None, text)])
    round_ = _next_round(uow, project, gate)
    review = Review(
        project_id=project.id,
        gate_id=gate.id,
        round=round_,
        state=DRAFT,
        submitted_by=actor.username,
        submitted_at=uow.now,
        snapshot={},
        snapshot_digest="",
        due_at=uow.now + timedelta(days=gate.sla_days) if gate.sla_days else None,
        digest_formula=SNAPSHOT_FORMULA,
    )
    missing = refusals_of("submit.not_ready", report.reasons(signoffs=False))
    review.state = uow.workspace.reviews.fire(DRAFT, "submit", missing, f"submit {gate.name}")
    review.snapshot, review.snapshot_digest = snapshot(policy, project, gate, state, report, round_)
    uow.session.add(review)
    uow.session.flush()
    refresh_pending(uow, project.id)
    uow.record(
        actor.username,
        "review.submitted",
        key,
        gate=gate.id,
        round=round_,
        snapshot_digest=review.snapshot_digest,
        snapshot=review.snapshot,
        **({"repeat": True} if gate.id != next_gate_id(policy, project) else {}),
    )
    return review


def _next_gate(uow: UnitOfWork, policy: Policy, project: Project, gate_id: str | None) -> Gate:
    """The gate a submission is for: the next one; a review a trigger asks for (an approved
    change, an overdue condition, a recurring date), which must pass first; or a passed gate
    the policy lets be held again (`repeatable`)."""
    owed = owed_reviews(uow, project, policy)
    if gate_id is not None and gate_id in {o.gate for o in owed}:
        return gate_of(policy, project, gate_id)
    expected = gate_of(policy, project, None)
    owed = [o for o in owed if o.gate != expected.id]  # passing the next gate answers it
    if owed:
        raise Refused("submit", owed_refusals(policy, owed, "submitted"))
    if gate_id is not None and gate_id != expected.id:
        gate = gate_of(policy, project, gate_id)
        if gate.repeatable and _passed(policy, project, gate):
            return gate
        raise Refused("submit", [_not_next(policy, project, expected, gate)])
    return expected


def _not_next(policy: Policy, project: Project, expected: Gate, gate: Gate) -> Refusal:
    again = (
        f"; {gate.name} is passed, and the policy does not let it be held again"
        if _passed(policy, project, gate)
        else ""
    )
    text = (
        f"{project.key} is in '{project.stage}': the next gate is "
        f"{expected.name} ({expected.id}), not {gate.id}{again}."
    )
    return Refusal("submit.not_next_gate", "gate", text)


def _passed(policy: Policy, project: Project, gate: Gate) -> bool:
    """True when the project is past `gate`: its stage is the gate's or a later one."""
    stage = project.resume_stage if project.stage == ON_HOLD else project.stage
    stages = policy.stages
    return stage in stages and stages.index(gate.stage) <= stages.index(stage)


def _next_round(uow: UnitOfWork, project: Project, gate: Gate) -> int:
    query = select(func.max(Review.round)).where(
        Review.project_id == project.id, Review.gate_id == gate.id
    )
    return (uow.session.execute(query).scalar() or 0) + 1


def _open_review_or_refuse(uow: UnitOfWork, project: Project, action: str) -> Review:
    review = open_review(uow, project, for_update=True)
    if review is None:
        raise _nothing_to(action, project)
    return review


def open_round(
    uow: UnitOfWork, actor: Actor, key: str, doing: str
) -> tuple[UnderReview, Authority, Policy, Gate, ProjectState]:
    """The open review of `key`, locked, as the gate rules read it, for `actor` to decide or
    vote on: what the actor may do there is asked with the round (who decides and who votes
    are the gate's); first, someone the project is nothing to learns nothing of its review."""
    under = load_under_review(uow, key)
    granted = authority_on(uow, actor.username, under.project)
    require(granted, READ, f"{doing} a gate")
    if under.review is None:
        raise _nothing_to(doing, under.project)
    policy = policy_of(uow, under.project)
    gate = gate_of(policy, under.project, under.review.gate_id)
    state = project_state(
        uow, under.project, policy, gate, under.review, signatures=under.signatures
    )
    if _rebaseline(policy, under.project, gate):
        state = replace(state, round=_rounds_of_holding(uow, under.review))
    return under, granted, policy, gate, state


def _rounds_of_holding(uow: UnitOfWork, review: Review) -> int:
    """The rounds of a passed gate held again, counted from its last go: `max_rounds`
    caps each holding, not the gate's rounds over the project's life."""
    last_go = uow.session.execute(
        select(func.max(Review.round)).where(
            Review.project_id == review.project_id,
            Review.gate_id == review.gate_id,
            Review.round < review.round,
            Review.decision.in_([d.value for d in APPROVING]),
        )
    ).scalar()
    return review.round - (last_go or 0)


def _nothing_to(action: str, project: Project) -> Refused:
    text = f"{project.key} has no submitted review: nothing to {action}."
    return Refused(action, [Refusal("review.none_open", None, text)])


@refusals_recorded
def sign(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    decision: str | Decision | Position,
    password: str,
    role: str | None = None,
    comment: str = "",
) -> SignatureRecord:
    """Sign the open review with a decision (for an advisory sign-off a position: support,
    disagree_but_support or object; for a consulted one: comment), after typing the
    password again.

    A wrong password is refused and audited (that record is committed on its own); after
    MAX_FAILED_SIGNING failures in a row, signing is locked for SIGNING_LOCK.
    """
    comment = inputs.long_text(comment, "comment")
    choice = _stance(decision)
    signer = _reauthenticate(uow, actor, password, key)
    under = load_under_review(uow, key)
    project, review = under.project, under.review
    if review is None:
        raise _nothing_to("sign", project)
    policy = policy_of(uow, project)
    gate = gate_of(policy, project, review.gate_id)
    # Signing reads only the sign-off lines of the report (who still has to sign, in which
    # order): the evidence is bound by the snapshot digest, and is not read here.
    state = project_state(uow, project, policy, gate, review, signatures=under.signatures)
    review_round = ReviewRound(policy, readiness(policy, gate, state, uow.now), state)
    # Everyone the gate's sign-offs may wait for, the signer among them: one statement, and
    # what the pending sign-offs are rewritten from once the signature is in.
    roster = signers_on(uow, project.id, {s.role for s in gate.signoffs})
    signing = authority(_signer(roster, actor, project, uow), key, review_round).sign(
        role, choice, comment
    )
    if signing.refusals or signing.role is None:
        raise Refused("sign", signing.refusals)
    role, behalf = signing.role, signing.on_behalf_of
    meaning = _meaning(choice, policy.role_title(role), roster.names.get(behalf or ""))
    content = SignatureContent(
        key, gate.id, review.round, actor.username, role, behalf, meaning, choice.value,
        comment.strip(), review.snapshot_digest, uow.now,
    )  # fmt: skip
    signed = SignatureRecord(
        review_id=review.id,
        signer_id=signer.person.id,
        on_behalf_of_id=roster.ids[behalf] if behalf else None,
        printed_name=signer.person.display_name,
        role=role,
        meaning=meaning,
        decision=choice.value,
        comment=content.comment,
        snapshot_digest=review.snapshot_digest,
        signed_at=uow.now,
        superseded_at=None,
        content_hash=signature_hash(content),
    )
    insert_row(uow.session, signed)
    given = Signature(
        actor.username, role, choice, uow.now, review.snapshot_digest, behalf, signed.comment
    )
    after = replace(state, signatures=(*state.signatures, given))
    after_signature(uow, review, policy, gate, (state, after), roster)
    uow.record(
        actor.username,
        "review.signed",
        key,
        gate=gate.id,
        round=review.round,
        role=role,
        decision=choice.value,
        meaning=meaning,
        printed_name=signer.person.display_name,
        comment=signed.comment,
        snapshot_digest=review.snapshot_digest,
        on_behalf_of=behalf,
        signature=signed.id,
        signature_hash=signed.content_hash,
    )
    return signed


def _signer(roster: Roster, actor: Actor, project: Project, uow: UnitOfWork) -> Person:
    """The signer as the rules read them; one holding none of the gate's roles was not read
    with the others (their account is active: re-authentication refuses a disabled one)."""
    if actor.username in roster.ids:
        return roster.person(actor.username, project.id, uow.now)
    return Person(actor.username)


def _reauthenticate(uow: UnitOfWork, actor: Actor, password: str, key: str) -> Credentials:
    # The credentials are read in a short read-only transaction and the slow password check
    # (scrypt, ~60 ms) runs after it, inside no transaction: it never holds SQLite's write
    # lock. Only a failure is written, and committed on its own.
    with uow.workspace.unit_of_work(read_only=True) as reader:
        signer = credentials(reader, actor.username)
    matches = signer.active and check_password(signer.password_hash, password)
    locked_until = signer.locked_until
    if locked_until is not None and locked_until > uow.now:
        text = (
            f"Signing is locked until {locked_until:%H:%M} UTC after "
            "repeated wrong passwords. Try again later or ask an admin."
        )
        raise Refused("sign", [Refusal("sign.locked", "password", text)])
    if matches:
        # A right password resets the count of wrong ones (committed with the signature). The
        # user row is loaded for that only when the reader saw a count to reset.
        if signer.failed_attempts:
            find_user(uow, actor.username).failed_sign_attempts = 0
        return signer
    user = find_user(uow, actor.username)
    user.failed_sign_attempts += 1
    locked = user.failed_sign_attempts >= MAX_FAILED_SIGNING
    if locked:
        user.signing_locked_until = uow.now + SIGNING_LOCK
    uow.record(
        user.username,
        "signature.reauthentication_failed",
        key,
        attempts=user.failed_sign_attempts,
        locked=locked,
    )
    uow.commit()
    raise AuthenticationFailed(
        "The password is not correct: the signature was not recorded."
        + (" Signing is now locked for 15 minutes." if locked else "")
    )


def _meaning(decision: Decision | Position, role_title: str, principal: str | None) -> str:
    verb = _MEANINGS[decision]
    behalf = f" on behalf of {principal}" if principal else ""
    return f"{verb} as {role_title}{behalf}"


_MEANINGS: dict[Decision | Position, str] = {
    Decision.GO: "Approved",
    Decision.CONDITIONAL_GO: "Approved with conditions",
    Decision.RECYCLE: "Sent back for rework",
    Decision.HOLD: "Asked to hold",
    Decision.KILL: "Asked to stop",
    Position.SUPPORT: "Supported (advisory)",
    Position.DISAGREE_BUT_SUPPORT: "Disagreed but supported (advisory)",
    Position.OBJECT: "Objected (advisory)",
    Position.COMMENT: "Commented (consulted)",
}


@dataclass(frozen=True)
class Decided:
    """The review decide() decided, and the stages its project moved from and to."""

    review: Review
    old_stage: str
    new_stage: str


@refusals_recorded
def decide(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    decision: str | Decision,
    reason: str = "",
    follow_ups: Sequence[FollowUp] = (),
    recycle_to: str | None = None,
) -> Decided:
    """Record the gate decision on the open review and move the project accordingly.

    A conditional go's conditions are owned by users (named by username); a recycle may send
    the project back to an earlier gate the policy allows (`recycle_to`).
    """
    reason, follow_ups = inputs.long_text(reason, "reason"), inputs.follow_ups(follow_ups)
    choice = _decision(decision)
    under, granted, policy, gate, state = open_round(uow, actor, key, "decide")
    project, review = under.project, under.review
    assert review is not None
    if choice in APPROVING:
        state = replace(state, open_conditions=open_conditions(uow, project.id))
        state = with_vote(uow, project, gate, review, state)
    report = readiness(policy, gate, state, uow.now)
    at_gate = authority(granted.person, key, ReviewRound(policy, report, state))
    refusals = at_gate.decide(choice, reason, follow_ups, uow.now.date(), recycle_to)
    if choice in APPROVING and not _rebaseline(policy, project, gate):
        owed = [o for o in owed_reviews(uow, project, policy) if o.gate != gate.id]
        refusals = [*refusals, *owed_refusals(policy, owed, "passed")]
    owners = owners_of(uow, follow_ups) if not refusals else {}
    ruling = Ruling(choice, reason, follow_ups, recycle_to, report.stale_evidence())
    return record_decision(uow, actor, under, (policy, gate), refusals, ruling, owners)


@dataclass(frozen=True)
class Ruling:
    """A decision as given: what, why, its conditions, and where a recycle goes back to."""

    choice: Decision
    reason: str
    follow_ups: Sequence[FollowUp] = ()
    recycle_to: str | None = None
    stale: Sequence[StaleEvidence] = ()  # evidence older than allowed, at the decision


def record_decision(
    uow: UnitOfWork,
    actor: Actor,
    under: UnderReview,
    at: tuple[Policy, Gate],
    refusals: Sequence[Refusal],
    given: Ruling,
    owners: Mapping[str, tuple[int, str]],
    override: int | None = None,
) -> Decided:
    """Decide the open review of `under` (the rules were asked: `refusals`), move the
    project, record the conditions and the event, and pass over gates that are skipped.
    `override` names the PMO override that forced a go through."""
    project, review = under.project, under.review
    assert review is not None
    policy, gate = at
    choice = given.choice
    lifecycle = uow.workspace.lifecycle(project.policy_version)
    # Both machines are asked before anything changes: a refusal leaves the review as it was.
    decided = uow.workspace.reviews.fire(
        review.state, "decide", refusals, f"{choice.label} at {gate.name}"
    )
    repeat = _rebaseline(policy, project, gate) and choice in (*APPROVING, Decision.RECYCLE)
    new_stage = None if repeat else _moved_to(lifecycle, project, gate, choice, given.recycle_to)
    result = Decided(review, project.stage, new_stage or project.stage)
    stale = [s.as_record() for s in given.stale]
    update_row(
        uow.session,
        review,
        state=decided,
        decision=choice.value,
        decided_by=actor.username,
        decided_at=uow.now,
        reason=given.reason.strip(),
        stale_evidence=stale or None,
    )
    if new_stage is not None:
        resume_stage = project.stage if choice is Decision.HOLD else None
        update_row(
            uow.session,
            project,
            stage=new_stage,
            resume_stage=resume_stage,
            updated_at=uow.now,
        )
    close_pending(uow, review)
    conditions = []
    for item in given.follow_ups:
        owner_id, owner = owners[item.owner.strip()]
        conditions.append(
            FollowUpRecord(
                review_id=review.id,
                action=item.action,
                owner=owner,
                owner_id=owner_id,
                due=item.due,
                done_at=None,
            )
        )
    uow.session.add_all(conditions)
    uow.session.flush()
    named = [
        {"condition": c.id, "action": c.action, "owner": c.owner, "due": c.due} for c in conditions
    ]
    uow.record(
        actor.username,
        "review.decided",
        project.key,
        gate=gate.id,
        round=review.round,
        decision=choice.value,
        reason=review.reason,
        old_stage=result.old_stage,
        new_stage=result.new_stage,
        recycle_to=given.recycle_to,
        override=override,
        snapshot_digest=review.snapshot_digest,
        follow_ups=named,
        stale_evidence=stale,
    )
    if choice in APPROVING and not repeat:
        pass_skipped_gates(uow, actor.username, project, policy, lifecycle)
    return replace(result, new_stage=project.stage)


def _rebaseline(policy: Policy, project: Project, gate: Gate) -> bool:
    """True when a review of `gate` repeats a gate the project has passed (one a trigger
    asked for, or a repeatable gate held again): deciding it does not move the project."""
    return next_gate_id(policy, project) != gate.id


def next_gate_id(policy: Policy, project: Project) -> str | None:
    """The id of the gate the project goes through next (a held one: once resumed)."""
    stage = project.resume_stage if project.stage == ON_HOLD else project.stage
    upcoming = next_gate(policy, stage or project.stage)
    return upcoming.id if upcoming else None


def _moved_to(
    lifecycle: Lifecycle, project: Project, gate: Gate, choice: Decision, recycle_to: str | None
) -> str | None:
    """The stage a decision moves the project to; None for one that does not move it (a
    recycle that reworks this gate).

    Raises Refused when the project's machine refuses the move (e.g. the project is on hold).
    """
    if choice is Decision.RECYCLE:
        if recycle_to is None or recycle_to == gate.id:
            return None
        trigger = recycle_trigger(gate.id, recycle_to)
    else:
        trigger = {
            Decision.GO: f"pass_{gate.id}",
            Decision.CONDITIONAL_GO: f"pass_{gate.id}",
            Decision.HOLD: "hold",
            Decision.KILL: "kill",
        }[choice]
    return lifecycle.fire(project.stage, trigger, [], choice.label)


@refusals_recorded
def vote(
    uow: UnitOfWork, actor: Actor, key: str, decision: str | Decision, comment: str = ""
) -> VoteRecord:
    """Vote on the open review of `key` as a member of its gate's panel (gates.votes): once a
    round; a go at such a gate needs the votes the policy asks for."""
    comment = inputs.long_text(comment, "comment")
    choice = _decision(decision)
    under, granted, policy, gate, state = open_round(uow, actor, key, "vote on")
    project, review = under.project, under.review
    assert review is not None
    state = with_vote(uow, project, gate, review, state)
    at_gate = authority(
        granted.person, key, ReviewRound(policy, readiness(policy, gate, state, uow.now), state)
    )
    refusals = at_gate.vote(choice)
    if refusals:
        raise Refused("vote", refusals, key)
    row = VoteRecord(
        review_id=review.id,
        voter_id=find_user(uow, actor.username).id,
        decision=choice.value,
        comment=comment.strip(),
        voted_at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.record(
        actor.username,
        "review.voted",
        key,
        gate=gate.id,
        round=review.round,
        vote=row.id,
        decision=choice.value,
        comment=row.comment,
    )
    return row


@refusals_recorded
def withdraw(uow: UnitOfWork, actor: Actor, key: str, reason: str) -> Review:
    """Withdraw the open review (project manager or PMO), e.g. to rework the evidence."""
    reason = inputs.long_text(reason, "reason")
    project = load_project(uow, key, for_update=True)
    require(authority_on(uow, actor.username, project), WITHDRAW)
    review = _open_review_or_refuse(uow, project, "withdraw")
    why = Refusal("withdraw.reason_required", "reason", "Say why the review is withdrawn.")
    refusals = [] if reason.strip() else [why]
    review.state = uow.workspace.reviews.fire(review.state, "withdraw", refusals, "withdraw")
    review.reason = reason.strip()
    close_pending(uow, review)
    uow.record(
        actor.username,
        "review.withdrawn",
        key,
        gate=review.gate_id,
        round=review.round,
        reason=review.reason,
    )
    return review
