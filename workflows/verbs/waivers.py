"""Waiver verbs: request a waiver of one requirement, approve or deny the request, revoke an
approved waiver. Two people at least: whoever may submit the gate requests, a holder of a
role the requirement is waivable by decides (never the requester nor the project manager).

Each verb is one transaction and one audit event (`waiver.requested`, `waiver.approved`,
`waiver.denied`, `waiver.revoked`); each refusal is recorded (`action.refused`) and changes
nothing else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from gates.authority import Authority
from gates.refusals import Refusal
from gates.waivers import APPROVED, DENIED, REQUESTED, REVOKED
from policies.model import Policy, Requirement
from workflows import inputs
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import Actor
from workflows.pending import refresh_pending
from workflows.refusal_log import refusals_recorded
from workflows.state import authority_on, gate_of, load_project, policy_of
from workflows.store.records import Project, WaiverRecord
from workflows.store.uow import UnitOfWork


@refusals_recorded
def request_waiver(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    requirement_key: str,
    justification: str,
    expires_at: datetime | None = None,
    gate_id: str | None = None,
) -> WaiverRecord:
    """Request a waiver of one requirement of the project's next gate (or `gate_id`), with a
    justification and an expiry (required, at most the policy's max_waiver_days ahead). It
    counts for nothing until another person approves it."""
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
    granted = authority_on(uow, actor.username, project)
    refusals = granted.request_waiver(
        requirement, justification, expires_at, uow.now, policy.max_waiver_days
    )
    if refusals:
        raise Refused("request a waiver", refusals)
    waiver = WaiverRecord(
        project_id=project.id,
        gate_id=gate.id,
        requirement=requirement_key,
        justification=justification.strip(),
        status=REQUESTED,
        requested_by=actor.username,
        requested_at=uow.now,
        expires_at=expires_at,
    )
    uow.session.add(waiver)
    uow.session.flush()
    _record(uow, actor, "waiver.requested", key, waiver, justification=waiver.justification)
    return waiver


def approve_waiver(uow: UnitOfWork, actor: Actor, waiver_id: int) -> WaiverRecord:
    """Approve a requested waiver: from now until its expiry, the requirement is waived."""
    project, waiver = _locked(uow, waiver_id)
    return _approve(uow, actor, project.key, project, waiver)


def deny_waiver(uow: UnitOfWork, actor: Actor, waiver_id: int, reason: str) -> WaiverRecord:
    """Deny a requested waiver, saying why: the requirement stands."""
    reason = inputs.long_text(reason, "reason")
    project, waiver = _locked(uow, waiver_id)
    return _deny(uow, actor, project.key, project, waiver, reason)


def revoke_waiver(uow: UnitOfWork, actor: Actor, waiver_id: int, reason: str) -> WaiverRecord:
    """Revoke an approved waiver, saying why (a waiving role's holder or the PMO): the
    requirement counts again from now."""
    reason = inputs.long_text(reason, "reason")
    project, waiver = _locked(uow, waiver_id)
    return _revoke(uow, actor, project.key, project, waiver, reason)


@refusals_recorded
def _approve(
    uow: UnitOfWork, actor: Actor, key: str, project: Project, waiver: WaiverRecord
) -> WaiverRecord:
    requirement, granted = _waived(uow, actor, project, waiver)
    role, refusals = granted.decide_waiver(
        requirement, waiver.requested_by, waiver.status, waiver.expires_at, uow.now
    )
    if refusals or role is None:
        raise Refused("approve a waiver", refusals)
    waiver.status = APPROVED
    waiver.granted_by = waiver.decided_by = actor.username
    waiver.granted_role = role
    waiver.granted_at = waiver.decided_at = uow.now
    refresh_pending(uow, project.id)
    _record(uow, actor, "waiver.approved", key, waiver, role=role)
    return waiver


@refusals_recorded
def _deny(
    uow: UnitOfWork, actor: Actor, key: str, project: Project, waiver: WaiverRecord, reason: str
) -> WaiverRecord:
    requirement, granted = _waived(uow, actor, project, waiver)
    _role, refusals = granted.decide_waiver(
        requirement, waiver.requested_by, waiver.status, waiver.expires_at, uow.now, False, reason
    )
    if refusals:
        raise Refused("deny a waiver", refusals)
    waiver.status = DENIED
    waiver.decided_by = actor.username
    waiver.decided_at = uow.now
    waiver.decision_reason = reason.strip()
    _record(uow, actor, "waiver.denied", key, waiver, reason=waiver.decision_reason)
    return waiver


@refusals_recorded
def _revoke(
    uow: UnitOfWork, actor: Actor, key: str, project: Project, waiver: WaiverRecord, reason: str
) -> WaiverRecord:
    requirement, granted = _waived(uow, actor, project, waiver)
    refusals = granted.revoke_waiver(requirement, waiver.status, reason)
    if refusals:
        raise Refused("revoke a waiver", refusals)
    waiver.status = REVOKED
    waiver.revoked_by = actor.username
    waiver.revoked_at = uow.now
    waiver.revoke_reason = reason.strip()
    refresh_pending(uow, project.id)
    _record(uow, actor, "waiver.revoked", key, waiver, reason=waiver.revoke_reason)
    return waiver


def _locked(uow: UnitOfWork, waiver_id: int) -> tuple[Project, WaiverRecord]:
    """The waiver and its project, the project's row locked until commit (two deciders of
    one waiver at once: the second reads the first's decision)."""
    project_id = uow.session.execute(
        select(WaiverRecord.project_id).where(WaiverRecord.id == waiver_id)
    ).scalar_one_or_none()
    if project_id is None:
        raise NotFound(f"There is no waiver {waiver_id}: `lockgate waiver list` shows them.")
    key = uow.session.execute(select(Project.key).where(Project.id == project_id)).scalar_one()
    project = load_project(uow, key, for_update=True)
    waiver = uow.session.get(WaiverRecord, waiver_id, populate_existing=True)
    assert waiver is not None
    return project, waiver


def _waived(
    uow: UnitOfWork, actor: Actor, project: Project, waiver: WaiverRecord
) -> tuple[Requirement, Authority]:
    """The requirement the waiver concerns under the project's pinned policy, and what the
    actor may do on the project; refused when that policy no longer lets it be waived."""
    requirement = _requirement(policy_of(uow, project), waiver)
    if requirement is None or not requirement.waivable_by:
        text = (
            f"{project.key}'s policy no longer lets {waiver.requirement} at {waiver.gate_id} "
            "be waived."
        )
        raise Refused("decide a waiver", [Refusal("waive.not_waivable", None, text)])
    return requirement, authority_on(uow, actor.username, project)


def _requirement(policy: Policy, waiver: WaiverRecord) -> Requirement | None:
    gate = policy.gate(waiver.gate_id)
    return gate.requirement(waiver.requirement) if gate else None


def _record(
    uow: UnitOfWork, actor: Actor, action: str, key: str, waiver: WaiverRecord, **data: object
) -> None:
    uow.record(
        actor.username,
        action,
        key,
        waiver=waiver.id,
        gate=waiver.gate_id,
        requirement=waiver.requirement,
        expires_at=waiver.expires_at,
        **data,
    )
