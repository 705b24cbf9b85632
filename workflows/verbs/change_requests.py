"""Change requests: proposing a change of facts that needs approval, approving, rejecting and
withdrawing it; applying it when every approver role has approved.

The rules are gates.change_control (what a change does, whether it needs a request) and
gates.change_requests (who may approve), asked through gates.authority. A project has at most
one open change request: its impact was computed on the facts of the day, so the facts wait
for it (update_facts refuses meanwhile) rather than drift under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import bindparam, select

from gates.authority import PROPOSE_CHANGE, authority
from gates.change_control import Impact, rebaseline_gates
from gates.change_requests import ChangeRound, ChangeStatus
from gates.programmes import change_approvers, member_stage, tier_moves
from gates.programmes import changed as with_change
from gates.refusals import Refusal
from policies.model import Policy
from workflows.authority import person_on
from workflows.change_control import APPLIED_STATUS, assess, refuse_while_open
from workflows.errors import NotFound, Refused
from workflows.facts import checked_facts, from_stored, to_stored
from workflows.identity import Actor
from workflows.inputs import long_text
from workflows.pending import refresh_pending
from workflows.programmes import retier, standing, tier_in
from workflows.refusal_log import refusals_recorded
from workflows.skipping import pass_skipped_gates
from workflows.state import (
    authority_on,
    load_project,
    open_review,
    policy_of,
    refresh_snapshot,
    require,
)
from workflows.store.records import ChangeApproval, ChangeRequest, Project
from workflows.store.uow import UnitOfWork
from workflows.verbs.programmes import move_membership

PROPOSED, APPROVED, REJECTED = "change.proposed", "change.approved", "change.rejected"
WITHDRAWN, APPLIED = "change.withdrawn", "change.applied"


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {name: new.get(name) for name in sorted(new) if new.get(name) != old.get(name)}


@dataclass(frozen=True)
class Proposal:
    """A change request just proposed, with its impact."""

    record: ChangeRequest
    impact: Impact


@refusals_recorded
def propose_change(
    uow: UnitOfWork, actor: Actor, key: str, changes: Mapping[str, object], reason: str
) -> Proposal:
    """Propose changing some facts of project `key`, with a reason (project manager or PMO);
    applied once every approver role of the policy has approved it."""
    reason = long_text(reason, "reason")
    project = load_project(uow, key, for_update=True)
    require(authority_on(uow, actor.username, project), PROPOSE_CHANGE)
    if not reason:
        text = "A change request needs a reason: say why the facts change."
        refusal = Refusal("change.reason_required", "reason", text)
        raise Refused("propose a change request", [refusal])
    refuse_while_open(uow, project, "propose a change request")
    policy = policy_of(uow, project)
    found = assess(uow, project, policy, changes)
    record = ChangeRequest(
        project_id=project.id,
        changes=_changed(project.facts, found.facts),
        facts=found.facts,
        reason=reason,
        impact=found.impact.as_record(),
        status=ChangeStatus.OPEN.value,
        proposed_by=actor.username,
        proposed_at=uow.now,
        closed_by=None,
        closed_at=None,
    )
    uow.session.add(record)
    uow.session.flush()
    uow.record(
        actor.username,
        PROPOSED,
        key,
        change=record.id,
        changes=record.changes,
        reason=reason,
        impact=record.impact,
        approvers=list(approvers_of(policy, record)),
    )
    return Proposal(record, found.impact)


def preview_change(
    uow: UnitOfWork, actor: Actor, key: str, changes: Mapping[str, object]
) -> Impact:
    """What changing the facts of `key` would do, read only (whoever may update facts)."""
    project = load_project(uow, key)
    require(authority_on(uow, actor.username, project), PROPOSE_CHANGE, "preview a change")
    return assess(uow, project, policy_of(uow, project), changes).impact


def approvers_of(policy: Policy, record: ChangeRequest) -> tuple[str, ...]:
    """Who approves the change request: the policy's change approvers, and the programme's
    sponsor and the PMO too where it moves another project's tier or a membership."""
    covers = bool(record.impact.get("siblings")) or record.membership is not None
    return change_approvers(policy.change_control.approvers, covers)


def change_round(policy: Policy, record: ChangeRequest) -> ChangeRound:
    """The change request as the approval rules read it."""
    return ChangeRound(
        record.id,
        ChangeStatus(record.status),
        record.proposed_by,
        approvers_of(policy, record),
        MappingProxyType({a.role: a.approver for a in record.approvals}),
    )


def load_change(uow: UnitOfWork, change_id: int, *, for_update: bool = False) -> ChangeRequest:
    """The change request with this id; with `for_update`, its project is locked first (read
    afresh after the wait, as every verb on the project does), then the request itself."""
    if not isinstance(change_id, int) or isinstance(change_id, bool):
        raise NotFound(f"There is no change request {change_id}.")
    record = None
    if not for_update:
        record = uow.session.get(ChangeRequest, change_id)
    else:
        key = uow.session.execute(_PROJECT_OF_CHANGE, {"change_id": change_id}).scalar()
        if key is not None:
            load_project(uow, key, for_update=True)
            found = uow.session.execute(_CHANGE_LOCKED, {"change_id": change_id})
            record = found.unique().scalar_one()
    if record is None:
        raise NotFound(f"There is no change request {change_id}.")
    return record


_PROJECT_OF_CHANGE = (
    select(Project.key)
    .join(ChangeRequest, ChangeRequest.project_id == Project.id)
    .where(ChangeRequest.id == bindparam("change_id"))
)
_CHANGE_LOCKED = (
    select(ChangeRequest)
    .where(ChangeRequest.id == bindparam("change_id"))
    .with_for_update(of=ChangeRequest)
)


@refusals_recorded
def approve_change(
    uow: UnitOfWork, actor: Actor, change_id: int, role: str | None = None, comment: str = ""
) -> ChangeRequest:
    """Approve change request `change_id` as one approver role; the last approval applies it
    (facts and tier changed, the snapshot of a submitted gate refreshed)."""
    comment = long_text(comment, "comment")
    record = load_change(uow, change_id, for_update=True)
    project = record.project
    policy = policy_of(uow, project)
    change = change_round(policy, record)
    person = person_on(uow, actor.username, project)
    chosen, refusals = authority(person, project.key).approve_change(change, role)
    if refusals or chosen is None:
        raise Refused("approve the change request", refusals, project.key)
    record.approvals.append(
        ChangeApproval(role=chosen, approver=actor.username, comment=comment, approved_at=uow.now)
    )
    waiting = [r for r in change.waiting_for if r != chosen]
    uow.record(
        actor.username,
        APPROVED,
        project.key,
        change=record.id,
        role=chosen,
        comment=comment,
        waiting_for=waiting,
    )
    if not waiting:
        _apply(uow, actor, project, policy, record)
    return record


def _apply(
    uow: UnitOfWork, actor: Actor, project: Project, policy: Policy, record: ChangeRequest
) -> None:
    old_facts, old_tier = project.facts, project.tier
    if record.membership is not None:  # a move instead of facts: it re-tiers who it moves
        move_membership(uow, actor, project, policy, record.membership, record.reason, record.id)
    old = from_stored(policy, project.facts)
    values = checked_facts(policy, {**project.facts, **record.changes})
    now = standing(uow, project)
    stage = member_stage(project.stage, project.resume_stage)
    after = with_change(now.members, old, values, stage)
    choice = tier_in(policy, values, after, project)
    moves = tier_moves(now.siblings(uow), after)
    project.facts, project.tier, project.updated_at = to_stored(values), choice.tier.id, uow.now
    record.status, record.closed_by, record.closed_at = APPLIED_STATUS, actor.username, uow.now
    changed = {
        name: {"old": old_facts.get(name), "new": project.facts.get(name)}
        for name in sorted(old_facts.keys() | project.facts.keys())
        if old_facts.get(name) != project.facts.get(name)
    }
    uow.record(
        actor.username,
        APPLIED,
        project.key,
        change=record.id,
        changed=changed,
        old_tier=old_tier,
        new_tier=choice.tier.id,
        tier_reason=choice.reason,
        approvals={a.role: a.approver for a in record.approvals},
        rebaseline=list(rebaseline_gates(policy)),
    )
    retier(uow, actor, moves, {"moved_by": project.key, "change": record.id})
    refresh_snapshot(uow, actor.username, project, policy, f"change request {record.id} applied")
    refresh_pending(uow, project.id)
    if open_review(uow, project) is None:
        lifecycle = uow.workspace.lifecycle(project.policy_version)
        pass_skipped_gates(uow, actor.username, project, policy, lifecycle)


@refusals_recorded
def reject_change(uow: UnitOfWork, actor: Actor, change_id: int, reason: str) -> ChangeRequest:
    """Reject change request `change_id`, saying why (an approver role); nothing changes."""
    reason = long_text(reason, "reason")
    record = load_change(uow, change_id, for_update=True)
    project = record.project
    change = change_round(policy_of(uow, project), record)
    refusals = authority(person_on(uow, actor.username, project), project.key).reject_change(change)
    if not reason:
        text = "To reject a change request, give a reason."
        refusals.append(Refusal("change.reason_required", "reason", text))
    if refusals:
        raise Refused("reject the change request", refusals, project.key)
    _close(uow, actor, record, ChangeStatus.REJECTED, reason, REJECTED)
    return record


@refusals_recorded
def withdraw_change(
    uow: UnitOfWork, actor: Actor, change_id: int, reason: str = ""
) -> ChangeRequest:
    """Withdraw change request `change_id` (its proposer); nothing changes."""
    reason = long_text(reason, "reason")
    record = load_change(uow, change_id, for_update=True)
    project = record.project
    change = change_round(policy_of(uow, project), record)
    person = person_on(uow, actor.username, project)
    refusals = authority(person, project.key).withdraw_change(change)
    if refusals:
        raise Refused("withdraw the change request", refusals, project.key)
    _close(uow, actor, record, ChangeStatus.WITHDRAWN, reason, WITHDRAWN)
    return record


def _close(
    uow: UnitOfWork,
    actor: Actor,
    record: ChangeRequest,
    status: ChangeStatus,
    reason: str,
    action: str,
) -> None:
    record.status, record.closed_by, record.closed_at = status.value, actor.username, uow.now
    record.close_reason = reason
    uow.record(actor.username, action, record.project.key, change=record.id, reason=reason)
