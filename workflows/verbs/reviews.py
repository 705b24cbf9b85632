"""Review verbs: submit a gate, sign, decide, withdraw, waive; and a gate's status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from gates import access
from gates import decisions as rules
from gates.decisions import FollowUp
from gates.readiness import Readiness, readiness
from gates.signoffs import SignRequest, can_sign
from gates.waivers import can_waive
from policies.model import Decision, Gate, Policy
from workflows import inputs
from workflows.errors import AuthenticationFailed, InvalidInput, Refused
from workflows.machines import DRAFT, Lifecycle
from workflows.state import (
    gate_of,
    load_project,
    load_under_review,
    open_review,
    pinned,
    policy_of,
    project_state,
    require,
    roles_on,
    snapshot,
)
from workflows.store.passwords import check_password
from workflows.store.records import (
    FollowUpRecord,
    Project,
    Review,
    SignatureRecord,
    WaiverRecord,
)
from workflows.store.uow import UnitOfWork
from workflows.store.writes import insert_row, update_row
from workflows.verbs.users import Person, credentials, delegated_roles, find_user, project_roles

MAX_FAILED_SIGNING = 5
SIGNING_LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class GateStatus:
    """Where a project stands at a gate: the readiness report and the open review, if any."""

    project: Project
    policy: Policy
    gate: Gate
    report: Readiness
    review: Review | None


def _decision(value: str | Decision) -> Decision:
    try:
        return Decision(value)
    except ValueError:
        allowed = ", ".join(d.value for d in Decision)
        raise InvalidInput("Unknown decision", {"decision": f"use one of {allowed}"}) from None


def gate_status(uow: UnitOfWork, actor: str, key: str, gate_id: str | None = None) -> GateStatus:
    """The readiness checklist of the project's next gate (or `gate_id`)."""
    project = load_project(uow, key)
    require(
        project,
        access.can_read(roles_on(uow, actor, project)),
        "see this project",
        "people with a role on the project, auditors or the PMO",
    )
    policy = policy_of(uow, project)
    gate = gate_of(policy, project, gate_id)
    review = open_review(uow, project)
    review = review if review is not None and review.gate_id == gate.id else None
    state = project_state(uow, project, policy, gate, review)
    return GateStatus(project, policy, gate, readiness(policy, gate, state, uow.now), review)


def submit_gate(uow: UnitOfWork, actor: str, key: str, gate_id: str | None = None) -> Review:
    """Submit the next gate for review: freezes the evidence snapshot the signers will sign."""
    project = load_project(uow, key, for_update=True)
    require(
        project,
        access.can_manage(roles_on(uow, actor, project)),
        "submit a gate",
        "the project manager or the PMO",
    )
    policy = policy_of(uow, project)
    gate = _next_gate(policy, project, gate_id)
    if open_review(uow, project) is not None:
        raise Refused("submit", [f"{gate.name} is already submitted and waiting for a decision."])
    state = project_state(uow, project, policy, gate)
    report = readiness(policy, gate, state, uow.now)
    round_ = _next_round(uow, project, gate)
    review = Review(
        project_id=project.id,
        gate_id=gate.id,
        round=round_,
        state=DRAFT,
        submitted_by=actor,
        submitted_at=uow.now,
        snapshot={},
        snapshot_digest="",
        due_at=uow.now + timedelta(days=gate.sla_days) if gate.sla_days else None,
    )
    review.state = uow.workspace.reviews.fire(
        DRAFT, "submit", report.reasons(signoffs=False), f"submit {gate.name}"
    )
    review.snapshot, review.snapshot_digest = snapshot(policy, project, gate, state, report)
    uow.session.add(review)
    uow.session.flush()
    uow.record(
        actor,
        "review.submitted",
        key,
        gate=gate.id,
        round=round_,
        snapshot_digest=review.snapshot_digest,
        snapshot=review.snapshot,
    )
    return review


def _next_gate(policy: Policy, project: Project, gate_id: str | None) -> Gate:
    expected = gate_of(policy, project, None)
    if gate_id is not None and gate_id != expected.id:
        gate_of(policy, project, gate_id)
        raise Refused(
            "submit",
            [
                f"{project.key} is in '{project.stage}': the next gate is "
                f"{expected.name} ({expected.id}), not {gate_id}."
            ],
        )
    return expected


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


def _nothing_to(action: str, project: Project) -> Refused:
    return Refused(action, [f"{project.key} has no submitted review: nothing to {action}."])


def sign(
    uow: UnitOfWork,
    actor: str,
    key: str,
    decision: str | Decision,
    password: str,
    role: str | None = None,
    comment: str = "",
) -> SignatureRecord:
    """Sign the open review with a decision, after typing the password again.

    A wrong password is refused and audited (that record is committed on its own); after
    MAX_FAILED_SIGNING failures in a row, signing is locked for SIGNING_LOCK.
    """
    comment = inputs.long_text(comment, "comment")
    choice = _decision(decision)
    signer = _reauthenticate(uow, actor, password, key)
    project, review = load_under_review(uow, key)
    if review is None:
        raise _nothing_to("sign", project)
    policy = policy_of(uow, project)
    gate = gate_of(policy, project, review.gate_id)
    # Signing reads only the sign-off lines of the report (who still has to sign, in which
    # order): the evidence is bound by the snapshot digest, and is not read here.
    state = project_state(uow, project, policy, gate, review, with_evidence=False)
    report = readiness(policy, gate, state, uow.now)
    role, held, principal = _authority(uow, signer, project, report, role)
    request = SignRequest(
        actor, role, choice, held, principal.username if principal else None, comment
    )
    refusals = can_sign(policy, report, state, request)
    if refusals:
        raise Refused("sign", refusals)
    meaning = _meaning(choice, policy.role_title(role), principal)
    signed = SignatureRecord(
        review_id=review.id,
        signer_id=signer.id,
        on_behalf_of_id=principal.id if principal else None,
        printed_name=signer.display_name,
        role=role,
        meaning=meaning,
        decision=choice.value,
        comment=comment.strip(),
        snapshot_digest=review.snapshot_digest,
        signed_at=uow.now,
        superseded_at=None,
    )
    insert_row(uow.session, signed)
    uow.record(
        actor,
        "review.signed",
        key,
        gate=gate.id,
        round=review.round,
        role=role,
        decision=choice.value,
        meaning=meaning,
        printed_name=signer.display_name,
        comment=signed.comment,
        snapshot_digest=review.snapshot_digest,
        on_behalf_of=principal.username if principal else None,
        signature=signed.id,
    )
    return signed


def _reauthenticate(uow: UnitOfWork, actor: str, password: str, key: str) -> Person:
    # The credentials are read in a short read-only transaction and the slow password check
    # (scrypt, ~60 ms) runs after it, inside no transaction: it never holds SQLite's write
    # lock. Only a failure is written, and committed on its own.
    with uow.workspace.unit_of_work(read_only=True) as reader:
        signer = credentials(reader, actor)
    matches = signer.active and check_password(signer.password_hash, password)
    locked_until = signer.locked_until
    if locked_until is not None and locked_until > uow.now:
        raise Refused(
            "sign",
            [
                f"Signing is locked until {locked_until:%H:%M} UTC after "
                "repeated wrong passwords. Try again later or ask an admin."
            ],
        )
    if matches:
        # A right password resets the count of wrong ones (committed with the signature). The
        # user row is loaded for that only when the reader saw a count to reset.
        if signer.failed_attempts:
            find_user(uow, actor).failed_sign_attempts = 0
        return signer.person
    user = find_user(uow, actor)
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


def _authority(
    uow: UnitOfWork,
    signer: Person,
    project: Project,
    report: Readiness,
    role: str | None,
) -> tuple[str, set[str], Person | None]:
    """The role to sign as, the roles held for it, and the principal when signing for one.

    The signer's own roles come first; delegations are read only when those do not cover
    the sign-off (the common case needs no delegation, and saves the query).
    """
    gate = report.gate
    own = project_roles(uow, signer, project)
    if role in own or (role is None and own.intersection(_needed_roles(gate, report))):
        return role or _signing_role(gate, report, own, {}), own, None
    delegated = delegated_roles(uow, signer, project)
    role = role or _signing_role(gate, report, own, delegated)
    principal = None if role in own else delegated.get(role)
    return role, own | set(delegated), principal


def _needed_roles(gate: Gate, report: Readiness) -> list[str]:
    return [
        s.role
        for s in gate.signoffs
        if (line := report.line(s.key)) is not None and not line.status.ok
    ]


def _signing_role(
    gate: Gate, report: Readiness, own: set[str], delegated: dict[str, Person]
) -> str:
    needed = _needed_roles(gate, report)
    mine = [r for r in needed if r in own] or [r for r in needed if r in delegated]
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise Refused("sign", [f"You hold none of the sign-off roles {gate.name} still needs."])
    titles = ", ".join(mine)
    raise Refused("sign", [f"You hold several roles this gate needs ({titles}): say which."])


def _meaning(decision: Decision, role_title: str, principal: Person | None) -> str:
    verb = {
        Decision.GO: "Approved",
        Decision.CONDITIONAL_GO: "Approved with conditions",
        Decision.RECYCLE: "Sent back for rework",
        Decision.HOLD: "Asked to hold",
        Decision.KILL: "Asked to stop",
    }[decision]
    behalf = f" on behalf of {principal.display_name}" if principal else ""
    return f"{verb} as {role_title}{behalf}"


@dataclass(frozen=True)
class Decided:
    """The review decide() decided, and the stages its project moved from and to."""

    review: Review
    old_stage: str
    new_stage: str


def decide(
    uow: UnitOfWork,
    actor: str,
    key: str,
    decision: str | Decision,
    reason: str = "",
    follow_ups: Sequence[FollowUp] = (),
) -> Decided:
    """Record the gate decision on the open review and move the project accordingly."""
    reason, follow_ups = inputs.long_text(reason, "reason"), inputs.follow_ups(follow_ups)
    choice = _decision(decision)
    project, review = load_under_review(uow, key)
    require(
        project,
        access.can_decide(roles_on(uow, actor, project)),
        "decide a gate",
        "the sponsor or the PMO",
    )
    if review is None:
        raise _nothing_to("decide", project)
    policy, lifecycle = pinned(uow, project)
    gate = gate_of(policy, project, review.gate_id)
    state = project_state(uow, project, policy, gate, review)
    report = readiness(policy, gate, state, uow.now)
    refusals = rules.can_decide(report, state, choice, reason, follow_ups, uow.now.date())
    # Both machines are asked before anything changes: a refusal leaves the review as it was.
    decided = uow.workspace.reviews.fire(
        review.state, "decide", refusals, f"{choice.label} at {gate.name}"
    )
    new_stage = _moved_to(lifecycle, project, gate, choice)
    result = Decided(review, project.stage, new_stage or project.stage)
    update_row(
        uow.session,
        review,
        state=decided,
        decision=choice.value,
        decided_by=actor,
        decided_at=uow.now,
        reason=reason.strip(),
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
    for item in follow_ups:
        uow.session.add(
            FollowUpRecord(
                review_id=review.id,
                action=item.action,
                owner=item.owner,
                due=item.due,
                done_at=None,
            )
        )
    uow.record(
        actor,
        "review.decided",
        key,
        gate=gate.id,
        round=review.round,
        decision=choice.value,
        reason=review.reason,
        old_stage=result.old_stage,
        new_stage=result.new_stage,
        snapshot_digest=review.snapshot_digest,
        follow_ups=[{"action": f.action, "owner": f.owner, "due": f.due} for f in follow_ups],
    )
    return result


def _moved_to(lifecycle: Lifecycle, project: Project, gate: Gate, choice: Decision) -> str | None:
    """The stage a decision moves the project to; None for one that does not move it (recycle).

    Raises Refused when the project's machine refuses the move (e.g. the project is on hold).
    """
    trigger = {
        Decision.GO: f"pass_{gate.id}",
        Decision.CONDITIONAL_GO: f"pass_{gate.id}",
        Decision.HOLD: "hold",
        Decision.KILL: "kill",
    }.get(choice)
    if trigger is None:
        return None
    return lifecycle.fire(project.stage, trigger, [], choice.label)


def withdraw(uow: UnitOfWork, actor: str, key: str, reason: str) -> Review:
    """Withdraw the open review (project manager or PMO), e.g. to rework the evidence."""
    reason = inputs.long_text(reason, "reason")
    project = load_project(uow, key, for_update=True)
    require(
        project,
        access.can_manage(roles_on(uow, actor, project)),
        "withdraw a review",
        "the project manager or the PMO",
    )
    review = _open_review_or_refuse(uow, project, "withdraw")
    refusals = [] if reason.strip() else ["Say why the review is withdrawn."]
    review.state = uow.workspace.reviews.fire(review.state, "withdraw", refusals, "withdraw")
    review.reason = reason.strip()
    uow.record(
        actor,
        "review.withdrawn",
        key,
        gate=review.gate_id,
        round=review.round,
        reason=review.reason,
    )
    return review


def waive(
    uow: UnitOfWork,
    actor: str,
    key: str,
    requirement_key: str,
    justification: str,
    expires_at: datetime | None = None,
    gate_id: str | None = None,
) -> WaiverRecord:
    """Waive one requirement of a gate, by a role the policy allows, with a justification."""
    justification = inputs.long_text(justification, "justification")
    project = load_project(uow, key, for_update=True)
    policy = policy_of(uow, project)
    gate = gate_of(policy, project, gate_id)
    requirement = gate.requirement(requirement_key)
    if requirement is None:
        keys = ", ".join(r.key for r in gate.requirements)
        raise InvalidInput(
            f"{gate.name} has no requirement '{requirement_key}'",
            {"requirement": f"use one of {keys}"},
        )
    roles = roles_on(uow, actor, project)
    role = next((r for r in requirement.waivable_by if r in roles), "")
    problems = can_waive(requirement, role or ",".join(sorted(roles)), justification)
    if expires_at is not None and expires_at <= uow.now:
        problems.append("The expiry must be in the future.")
    if problems:
        raise Refused("waive", problems)
    waiver = WaiverRecord(
        project_id=project.id,
        gate_id=gate.id,
        requirement=requirement_key,
        justification=justification.strip(),
        granted_by=actor,
        granted_role=role,
        granted_at=uow.now,
        expires_at=expires_at,
        revoked_at=None,
    )
    uow.session.add(waiver)
    uow.record(
        actor,
        "requirement.waived",
        key,
        gate=gate.id,
        requirement=requirement_key,
        role=role,
        justification=waiver.justification,
        expires_at=expires_at,
    )
    return waiver
