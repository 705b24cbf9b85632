"""Loading a project and what the gate rules read about it: facts, evidence, signatures,
waivers; and the evidence snapshot a review is bound to."""

from __future__ import annotations

import hashlib
from itertools import starmap
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from gates import access
from gates.chain import canonical_bytes
from gates.decisions import next_gate
from gates.model import Evidence, ProjectState, Signature, Waiver
from gates.readiness import Readiness, Status, readiness
from gates.waivers import any_waivable
from policies.model import Artifact, Decision, Gate, Policy
from workflows.errors import NotFound, Refused
from workflows.facts import from_stored
from workflows.machines import SUBMITTED, Lifecycle
from workflows.store.records import (
    AnyProject,
    ArtifactVersion,
    PolicyVersion,
    Project,
    ProjectRow,
    Review,
    ReviewRow,
    SignatureRecord,
    User,
    WaiverRecord,
)
from workflows.store.uow import UnitOfWork
from workflows.verbs.users import roles_of

AnyReview = Review | ReviewRow

# The statements every verb runs, built once: building one costs more than running it on
# SQLite, and a statement object reused keeps its compiled form's cache key.
_PROJECT = select(Project).where(Project.key == bindparam("key"))
_PROJECT_LOCKED = _PROJECT.with_for_update(of=Project)
_OPEN_REVIEW = select(Review).where(
    Review.project_id == bindparam("project_id"), Review.state == SUBMITTED
)
_OPEN_REVIEW_LOCKED = _OPEN_REVIEW.with_for_update(of=Review)
# A project's values with its manager and policy digest, locked; then its open review. On
# PostgreSQL these are two statements, not one outer join: a transaction that waited for the
# project's lock sees the project as committed meanwhile, but rows joined to it as they were
# before. SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), so there one
# statement reads both (_UNDER_REVIEW).
_PROJECT_COLUMNS = (
    Project.id,
    Project.key,
    Project.stage,
    Project.tier,
    Project.facts,
    Project.version,
    Project.manager_id,
    User.username,
    Project.policy_version_id,
    PolicyVersion.digest,
)
_REVIEW_COLUMNS = (
    Review.id,
    Review.gate_id,
    Review.round,
    Review.state,
    Review.submitted_by,
    Review.snapshot_digest,
    Review.version,
)
_PROJECT_VALUES = (
    select(*_PROJECT_COLUMNS)
    .join(User, Project.manager_id == User.id)
    .join(PolicyVersion, Project.policy_version_id == PolicyVersion.id)
    .where(Project.key == bindparam("key"))
)
_PROJECT_ROW = _PROJECT_VALUES.with_for_update(of=Project)
_OPEN_REVIEW_ROW = select(*_REVIEW_COLUMNS).where(
    Review.project_id == bindparam("project_id"), Review.state == SUBMITTED
)
_UNDER_REVIEW = _PROJECT_VALUES.add_columns(*_REVIEW_COLUMNS).outerjoin(
    Review, (Review.project_id == Project.id) & (Review.state == SUBMITTED)
)
_SPLIT = len(_PROJECT_COLUMNS)
_NEWEST_VERSIONS = (
    select(ArtifactVersion.artifact_id, func.max(ArtifactVersion.version).label("v"))
    .where(ArtifactVersion.project_id == bindparam("project_id"))
    .group_by(ArtifactVersion.artifact_id)
    .subquery()
)
# Evidence, signatures and waivers are values to the gate rules: read them as plain rows in
# the field order of gates.model's Evidence, Signature and Waiver, not as ORM objects.
_LATEST_EVIDENCE = (
    select(
        ArtifactVersion.artifact_id,
        ArtifactVersion.version,
        ArtifactVersion.digest,
        ArtifactVersion.attached_at,
        ArtifactVersion.attached_by,
    )
    .join(
        _NEWEST_VERSIONS,
        (ArtifactVersion.artifact_id == _NEWEST_VERSIONS.c.artifact_id)
        & (ArtifactVersion.version == _NEWEST_VERSIONS.c.v),
    )
    .where(ArtifactVersion.project_id == bindparam("project_id"))
)
_SIGNER, _PRINCIPAL = aliased(User), aliased(User)
_CURRENT_SIGNATURES = (
    select(
        _SIGNER.username,
        SignatureRecord.role,
        SignatureRecord.decision,
        SignatureRecord.signed_at,
        SignatureRecord.snapshot_digest,
        _PRINCIPAL.username,
        SignatureRecord.comment,
    )
    .join(_SIGNER, SignatureRecord.signer_id == _SIGNER.id)
    .outerjoin(_PRINCIPAL, SignatureRecord.on_behalf_of_id == _PRINCIPAL.id)
    .where(
        SignatureRecord.review_id == bindparam("review_id"),
        SignatureRecord.superseded_at.is_(None),
    )
    .order_by(SignatureRecord.id)
)
_WAIVERS = select(
    WaiverRecord.requirement,
    WaiverRecord.granted_by,
    WaiverRecord.granted_role,
    WaiverRecord.justification,
    WaiverRecord.granted_at,
    WaiverRecord.expires_at,
).where(
    WaiverRecord.project_id == bindparam("project_id"),
    WaiverRecord.gate_id == bindparam("gate_id"),
    WaiverRecord.revoked_at.is_(None),
)


def load_project(uow: UnitOfWork, key: str, *, for_update: bool = False) -> Project:
    """The project with this key; with `for_update`, its row is locked until commit."""
    query = _PROJECT_LOCKED if for_update else _PROJECT
    project = uow.session.execute(query, {"key": key}).unique().scalar_one_or_none()
    if project is None:
        raise NotFound(f"There is no project '{key}'.")
    return project


def load_under_review(uow: UnitOfWork, key: str) -> tuple[ProjectRow, ReviewRow | None]:
    """The project with this key, locked until commit, and its open review if one is waiting;
    as values (the path of sign and decide)."""
    joined = uow.workspace.one_writer_at_a_time
    found = uow.rows(_UNDER_REVIEW if joined else _PROJECT_ROW, {"key": key})
    if not found:
        raise NotFound(f"There is no project '{key}'.")
    row = found[0]
    project = ProjectRow(*row[:_SPLIT])
    if joined:
        review = row[_SPLIT:]  # NULLs when no review is open
    else:
        opened = uow.rows(_OPEN_REVIEW_ROW, {"project_id": project.id})
        review = opened[0] if opened else (None,)
    return project, None if review[0] is None else ReviewRow(*review)


def policy_of(uow: UnitOfWork, project: AnyProject) -> Policy:
    """The policy version the project is pinned to."""
    return pinned(uow, project)[0]


def pinned(uow: UnitOfWork, project: AnyProject) -> tuple[Policy, Lifecycle]:
    """The policy version the project is pinned to, and its project machine."""
    workspace = uow.workspace
    if isinstance(project, ProjectRow):
        compiled = workspace.compiled(project.policy_version_id, project.policy_digest)
        if compiled is not None:
            return compiled
        version = uow.session.get_one(PolicyVersion, project.policy_version_id)
    else:
        version = project.policy_version
    return workspace.policy(version), workspace.lifecycle(version)


def roles_on(uow: UnitOfWork, actor: str, project: AnyProject) -> set[str]:
    """The roles `actor` holds on `project`; raises NotFound for an unknown actor."""
    return roles_of(uow, actor, project)


def require(project: AnyProject, allowed: bool, action: str, needed: str) -> None:
    """Raise Refused unless `allowed`: 'Only the sponsor or the PMO may decide (ERP-1).'"""
    if not allowed:
        raise Refused(action, [access.refusal(action, needed) + f" ({project.key})"])


def gate_of(policy: Policy, project: AnyProject, gate_id: str | None) -> Gate:
    """The gate named, or the next gate for the project's stage; raises Refused or NotFound."""
    if gate_id is None:
        gate = next_gate(policy, project.stage)
        if gate is None:
            raise Refused(
                "find the next gate",
                [f"{project.key} is '{project.stage}': no gate follows this stage."],
            )
        return gate
    gate = policy.gate(gate_id)
    if gate is None:
        ids = ", ".join(g.id for g in policy.gates)
        raise NotFound(f"{policy.ref} has no gate '{gate_id}' (its gates: {ids}).")
    return gate


def open_review(uow: UnitOfWork, project: Project, *, for_update: bool = False) -> Review | None:
    """The project's submitted review, if one is waiting for signatures and a decision."""
    query = _OPEN_REVIEW_LOCKED if for_update else _OPEN_REVIEW
    return uow.session.execute(query, {"project_id": project.id}).scalars().first()


def latest_evidence(uow: UnitOfWork, project: AnyProject) -> dict[str, Evidence]:
    """The newest version of each artifact attached to the project."""
    rows = uow.rows(_LATEST_EVIDENCE, {"project_id": project.id})
    return {row[0]: Evidence(*row) for row in rows}


def current_signatures(uow: UnitOfWork, review: AnyReview) -> list[Signature]:
    """The review's signatures that still count (not superseded), oldest first."""
    rows = uow.rows(_CURRENT_SIGNATURES, {"review_id": review.id})
    return [
        Signature(signer, role, Decision(decision), at, digest, behalf, comment)
        for signer, role, decision, at, digest, behalf, comment in rows
    ]


def _waivers(uow: UnitOfWork, project: AnyProject, gate: Gate) -> list[Waiver]:
    rows = uow.rows(_WAIVERS, {"project_id": project.id, "gate_id": gate.id})
    return list(starmap(Waiver, rows))


def project_state(
    uow: UnitOfWork,
    project: AnyProject,
    policy: Policy,
    gate: Gate,
    review: AnyReview | None = None,
    tier: str | None = None,
    *,
    with_evidence: bool = True,
) -> ProjectState:
    """What the gate rules read about `project` at `gate` now.

    Without evidence, the report's artifact lines read as missing: for callers that read only
    its sign-off lines (signing), which depend on signatures, waivers, facts and tier alone.
    """
    return ProjectState(
        facts=from_stored(policy, project.facts),
        tier=tier or project.tier,
        evidence=latest_evidence(uow, project) if with_evidence else {},
        signatures=current_signatures(uow, review) if review else [],
        waivers=_waivers(uow, project, gate) if any_waivable(gate) else [],
        snapshot_digest=review.snapshot_digest if review else None,
        submitter=review.submitted_by if review else None,
        project_manager=project.manager_username,
    )


def current_readiness(
    uow: UnitOfWork, project: Project, policy: Policy, tier: str | None = None
) -> Readiness | None:
    """Readiness of the project's next gate under `policy`, or None at the final stage."""
    gate = next_gate(policy, project.stage)
    if gate is None:
        return None
    review = open_review(uow, project)
    review = review if review is not None and review.gate_id == gate.id else None
    state = project_state(uow, project, policy, gate, review, tier)
    return readiness(policy, gate, state, uow.now)


def snapshot(
    policy: Policy, project: Project, gate: Gate, state: ProjectState, report: Readiness
) -> tuple[dict[str, Any], str]:
    """The evidence a review is bound to, and its digest: the facts, the tier, and the
    version and digest of every artifact the gate asks of this project."""
    needed = {
        line.requirement.id
        for line in report.lines
        if isinstance(line.requirement, Artifact) and line.status is not Status.NOT_APPLICABLE
    }
    frozen = {
        "policy": policy.ref,
        "gate": gate.id,
        "tier": state.tier,
        "facts": project.facts,
        "artifacts": {
            artifact_id: {"version": e.version, "digest": e.digest}
            for artifact_id, e in sorted(state.evidence.items())
            if artifact_id in needed
        },
    }
    return frozen, hashlib.sha256(canonical_bytes(frozen)).hexdigest()


def refresh_snapshot(
    uow: UnitOfWork, actor: str, project: Project, policy: Policy, why: str
) -> None:
    """After evidence or facts change under a submitted review, re-bind it to a new snapshot;
    signatures on the old one no longer count (they stay, marked superseded)."""
    review = open_review(uow, project, for_update=True)
    if review is None:
        return
    gate = gate_of(policy, project, review.gate_id)
    state = project_state(uow, project, policy, gate, review)
    frozen, digest = snapshot(policy, project, gate, state, readiness(policy, gate, state, uow.now))
    if digest == review.snapshot_digest:
        return
    old = review.snapshot_digest
    review.snapshot, review.snapshot_digest = frozen, digest
    superseded = [s for s in review.signatures if s.superseded_at is None]
    for signature in superseded:
        signature.superseded_at = uow.now
    uow.record(
        actor,
        "review.snapshot_changed",
        project.key,
        gate=gate.id,
        round=review.round,
        old_digest=old,
        new_digest=digest,
        reason=why,
        superseded_signatures=[s.id for s in superseded],
    )
