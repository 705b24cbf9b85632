"""Four-eyes publication: one PMO member proposes a policy version, another approves it, and
only the approval publishes it. The proposer may withdraw it; an approver may reject it with
a reason. Who may approve is asked of gates.authority (gates.duties has the rules)."""

from __future__ import annotations

from sqlalchemy import func, select

from gates.authority import PROPOSE, authority
from gates.model import PMO
from gates.refusals import Refusal
from policies.loader import check_policy_text
from workflows.authority import person_on
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import Actor
from workflows.inputs import FILE_NAME, long_text, short_text
from workflows.refusal_log import refusals_recorded
from workflows.state import require
from workflows.store.records import PolicyProposal, PolicyVersion, RoleGrant, User
from workflows.store.uow import UnitOfWork
from workflows.verbs.publishing import publish_version, version_refusals

PROPOSED, APPROVED, REJECTED, WITHDRAWN = "proposed", "approved", "rejected", "withdrawn"


@refusals_recorded
def propose(uow: UnitOfWork, actor: Actor, source: str, name: str) -> PolicyProposal:
    """Propose a policy version from its YAML `source` (PMO). Raises InvalidInput with every
    problem of the file, or Refused when the version is not newer than the latest published
    or already proposed."""
    name = short_text(name, "name", FILE_NAME)
    require(authority(person_on(uow, actor.username, None)), PROPOSE, "propose a policy")
    policy, problems = check_policy_text(source, name)
    if policy is None:
        raise InvalidInput(
            f"{name} has {len(problems)} problem(s)",
            {f"{p.line}:{p.column} {p.path}": p.message for p in problems},
        )
    newest = uow.session.execute(
        select(func.max(PolicyVersion.version)).where(PolicyVersion.policy_id == policy.id)
    ).scalar()
    refusals = version_refusals(policy, newest) or _already_proposed(uow, policy.id, policy.version)
    if refusals:
        raise Refused("propose a policy", refusals)
    row = PolicyProposal(
        policy_id=policy.id,
        version=policy.version,
        title=policy.title,
        digest=policy.digest,
        source=source,
        proposed_by=actor.username,
        proposed_at=uow.now,
        status=PROPOSED,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.record(
        actor.username,
        "policy.proposed",
        None,
        proposal=row.id,
        policy=policy.ref,
        digest=policy.digest,
        title=policy.title,
    )
    return row


def _already_proposed(uow: UnitOfWork, policy_id: str, number: int) -> list[Refusal]:
    pending = uow.session.execute(
        select(PolicyProposal.id).where(
            PolicyProposal.policy_id == policy_id,
            PolicyProposal.version == number,
            PolicyProposal.status == PROPOSED,
        )
    ).scalar()
    if pending is None:
        return []
    text = (
        f"{policy_id}@{number} is already proposed (proposal {pending}): approve, reject or "
        "withdraw it first."
    )
    return [Refusal("publish.already_proposed", "version", text)]


def active_pmo(uow: UnitOfWork) -> frozenset[str]:
    """The usernames of the active PMO members (a global, unrevoked pmo grant)."""
    query = (
        select(User.username)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(
            User.active.is_(True),
            RoleGrant.role == PMO,
            RoleGrant.project_id.is_(None),
            RoleGrant.revoked_at.is_(None),
        )
    )
    return frozenset(uow.session.execute(query).scalars())


def proposal(uow: UnitOfWork, proposal_id: int, *, for_update: bool = False) -> PolicyProposal:
    """One proposal, locked when `for_update` (two approvals at once publish once); raises
    NotFound."""
    query = select(PolicyProposal).where(PolicyProposal.id == proposal_id)
    if for_update:
        query = query.with_for_update()
    row = uow.session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No policy proposal {proposal_id}.")
    return row


def proposals(uow: UnitOfWork, status: str | None = PROPOSED) -> list[PolicyProposal]:
    """Proposals, oldest first: those still waiting by default, every one when `status` is None."""
    query = select(PolicyProposal).order_by(PolicyProposal.id)
    if status is not None:
        query = query.where(PolicyProposal.status == status)
    return list(uow.session.execute(query).scalars())


def _still_open(row: PolicyProposal, action: str) -> None:
    if row.status != PROPOSED:
        text = f"Proposal {row.id} ({row.ref}) is already {row.status}."
        raise Refused(action, [Refusal("publish.proposal_closed", None, text)])


@refusals_recorded
def approve(uow: UnitOfWork, actor: Actor, proposal_id: int) -> PolicyVersion:
    """Approve proposal `proposal_id` and so publish it: another PMO member than the
    proposer (an admin where the PMO has one active member). The proposal row is locked, so
    two approvals at once publish once; the second finds it approved and is refused."""
    row = proposal(uow, proposal_id, for_update=True)
    _still_open(row, "approve a policy")
    granted = authority(person_on(uow, actor.username, None))
    refusals = granted.approve_proposal(row.proposed_by, active_pmo(uow))
    if refusals:
        raise Refused("approve a policy", refusals)
    policy, problems = check_policy_text(row.source, row.ref)
    if policy is None:  # the text was checked when proposed; a newer loader may disagree
        raise Refused("approve a policy", [f"{row.ref} no longer loads: {problems[0].message}"])
    newest = uow.session.execute(
        select(func.max(PolicyVersion.version)).where(PolicyVersion.policy_id == policy.id)
    ).scalar()
    stale = version_refusals(policy, newest)
    if stale:
        raise Refused("approve a policy", stale)
    row.status, row.decided_by, row.decided_at = APPROVED, actor.username, uow.now
    # One event for one change: policy.published names the proposal and its approver.
    return publish_version(
        uow, policy, row.source, row.proposed_by, approved_by=actor.username, proposal=row.id
    )


@refusals_recorded
def reject(uow: UnitOfWork, actor: Actor, proposal_id: int, reason: str) -> PolicyProposal:
    """Reject proposal `proposal_id` with a reason: whoever may approve it."""
    reason = long_text(reason, "reason")
    row = proposal(uow, proposal_id, for_update=True)
    _still_open(row, "reject a policy")
    granted = authority(person_on(uow, actor.username, None))
    refusals = granted.approve_proposal(row.proposed_by, active_pmo(uow))
    if not reason.strip():
        refusals.append(
            Refusal(
                "publish.reason_required", "reason", "Give a reason for rejecting the proposal."
            )
        )
    if refusals:
        raise Refused("reject a policy", refusals)
    return _close(uow, actor, row, REJECTED, reason)


@refusals_recorded
def withdraw(uow: UnitOfWork, actor: Actor, proposal_id: int) -> PolicyProposal:
    """Withdraw proposal `proposal_id`: only its proposer."""
    row = proposal(uow, proposal_id, for_update=True)
    _still_open(row, "withdraw a policy proposal")
    if actor.username != row.proposed_by:
        text = f"Only {row.proposed_by}, who proposed it, may withdraw proposal {row.id}."
        raise Refused("withdraw a policy proposal", [Refusal("publish.not_proposer", None, text)])
    return _close(uow, actor, row, WITHDRAWN, None)


def _close(
    uow: UnitOfWork, actor: Actor, row: PolicyProposal, status: str, reason: str | None
) -> PolicyProposal:
    row.status, row.decided_by, row.decided_at, row.reason = status, actor.username, uow.now, reason
    data = {"reason": reason} if reason else {}
    uow.record(actor.username, f"policy.{status}", None, proposal=row.id, policy=row.ref, **data)
    return row
