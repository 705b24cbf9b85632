"""Loading a project, its open review and what the gate rules read about it; and the evidence
snapshot a review is bound to."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, or_, select

from gates.authority import Authority, Permission, authority
from gates.binding import SNAPSHOT_FORMULA, snapshot_content, snapshot_digest
from gates.decisions import next_gate
from gates.model import Ballot, ProjectState, Signature
from gates.readiness import Readiness, Status, readiness
from gates.refusals import Refusal
from policies.model import Artifact, Decision, Gate, Policy
from workflows.authority import person_on
from workflows.errors import NotFound, Refused
from workflows.gate_inputs import gate_inputs, project_under_review, signed_review
from workflows.machines import SUBMITTED, Lifecycle
from workflows.pending import refresh_pending
from workflows.store.records import Project, Review, RoleGrant, User, VoteRecord
from workflows.store.uow import UnitOfWork

# The statements every verb runs, built once: building one costs more than running it on
# SQLite, and a statement object reused keeps its compiled form's cache key.
_PROJECT = select(Project).where(Project.key == bindparam("key"))
_PROJECT_LOCKED = _PROJECT.with_for_update(of=Project)
_OPEN_REVIEW = select(Review).where(
    Review.project_id == bindparam("project_id"), Review.state == SUBMITTED
)
_OPEN_REVIEW_LOCKED = _OPEN_REVIEW.with_for_update(of=Review)


def load_project(uow: UnitOfWork, key: str, *, for_update: bool = False) -> Project:
    """The project with this key; with `for_update`, its row is locked until commit."""
    query = _PROJECT_LOCKED if for_update else _PROJECT
    project = uow.session.execute(query, {"key": key}).unique().scalar_one_or_none()
    if project is None:
        raise NotFound(f"There is no project '{key}'.")
    return project


@dataclass(frozen=True)
class UnderReview:
    """A project locked for a verb on its open review: the review (None when none is open,
    locked too) and the review's signatures that still count, by review id."""

    project: Project
    review: Review | None
    signatures: dict[int, list[Signature]]


def load_under_review(uow: UnitOfWork, key: str) -> UnderReview:
    """The project with this key and its open review if one is waiting, both locked until
    commit, with the review's signatures (the path of sign and decide).

    On PostgreSQL, two statements, not one join: a transaction that waited for the
    project's lock sees the project as committed meanwhile, but rows joined to it as they
    were before; the review and its signatures are read after that wait, together. SQLite
    runs one writing transaction at a time, which holds the write lock from its first
    statement: there one statement reads all three (bench/engine.py, sign and decide).
    """
    if uow.workspace.one_writer_at_a_time:
        found = project_under_review(uow, key)
        if found is None:
            raise NotFound(f"There is no project '{key}'.")
        return UnderReview(*found)
    project = load_project(uow, key, for_update=True)
    review, signatures = signed_review(uow, project.id)
    return UnderReview(project, review, signatures)


def policy_of(uow: UnitOfWork, project: Project) -> Policy:
    """The policy version the project is pinned to."""
    return uow.workspace.policy(project.policy_version)


def pinned(uow: UnitOfWork, project: Project) -> tuple[Policy, Lifecycle]:
    """The policy version the project is pinned to, and its project machine."""
    version = project.policy_version
    return uow.workspace.policy(version), uow.workspace.lifecycle(version)


def authority_on(uow: UnitOfWork, actor: str, project: Project) -> Authority:
    """What `actor` may do on `project` now (gates.authority); raises NotFound for an
    unknown actor. One statement (workflows.authority)."""
    return authority(person_on(uow, actor, project), project.key)


def require(granted: Authority, permission: Permission, action: str | None = None) -> None:
    """Raise Refused unless `granted` allows `permission`: 'Only the sponsor or the PMO may
    decide a gate. (ERP-1)'."""
    refusals = granted.refusals(permission)
    if refusals:
        raise Refused(action or permission.action, refusals)


def gate_of(policy: Policy, project: Project, gate_id: str | None) -> Gate:
    """The gate named, or the next gate for the project's stage; raises Refused or NotFound."""
    if gate_id is None:
        gate = next_gate(policy, project.stage)
        if gate is None:
            text = f"{project.key} is '{project.stage}': no gate follows this stage."
            raise Refused("find the next gate", [Refusal("gate.none_ahead", None, text)])
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


def project_state(
    uow: UnitOfWork,
    project: Project,
    policy: Policy,
    gate: Gate,
    review: Review | None = None,
    tier: str | None = None,
    *,
    with_evidence: bool = True,
    signatures: dict[int, list[Signature]] | None = None,
) -> ProjectState:
    """What the gate rules read about `project` at `gate` now, with `review` its open review
    (or None before submission): the gate inputs of a batch of one.

    Without evidence, the report's artifact lines read as missing: for callers that read only
    its sign-off lines (signing), which depend on signatures, waivers, facts and tier alone.
    """
    inputs = gate_inputs(
        uow,
        [project],
        project.id,
        gates={project.id: gate},
        policies={project.id: policy},
        reviews={project.id: review},
        signatures=signatures,
        evidence=with_evidence,
        tiers={project.id: tier} if tier else None,
    )
    return inputs[project.id].state


def with_vote(
    uow: UnitOfWork, project: Project, gate: Gate, review: Review, state: ProjectState
) -> ProjectState:
    """`state` with the gate's panel (the active holders of its panel role on the project,
    or everywhere for a global role) and the ballots cast on `review`; `state` itself when
    the gate takes no vote."""
    if gate.vote is None:
        return state
    holders = (
        select(User.username)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == gate.vote.panel, RoleGrant.revoked_at.is_(None))
        .where(or_(RoleGrant.project_id == project.id, RoleGrant.project_id.is_(None)))
        .where(User.active.is_(True))
    )
    ballots = (
        select(User.username, VoteRecord.decision)
        .join(User, User.id == VoteRecord.voter_id)
        .where(VoteRecord.review_id == review.id)
        .order_by(VoteRecord.id)
    )
    return replace(
        state,
        panel=frozenset(uow.session.execute(holders).scalars()),
        ballots=tuple(Ballot(u, Decision(d)) for u, d in uow.session.execute(ballots)),
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
    policy: Policy,
    project: Project,
    gate: Gate,
    state: ProjectState,
    report: Readiness,
    round_: int,
    formula: int | None = SNAPSHOT_FORMULA,
) -> tuple[dict[str, Any], str]:
    """The evidence a review is bound to, and its digest: the facts, the tier, and the
    version and digest of every artifact the gate asks of this project or whose form fields
    its conditions read (a form's digest covers its values); under `formula` 2 also the
    project and the round (gates.binding)."""
    needed = {
        line.requirement.id
        for line in report.lines
        if isinstance(line.requirement, Artifact) and line.status is not Status.NOT_APPLICABLE
    } | gate.forms_read
    base = {
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
    frozen = snapshot_content(base, project.key, round_, formula)
    return frozen, snapshot_digest(frozen)


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
    report = readiness(policy, gate, state, uow.now)
    # The review keeps the formula it was submitted with: its earlier signatures stay bound.
    frozen, digest = snapshot(
        policy, project, gate, state, report, review.round, review.digest_formula
    )
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
        snapshot=frozen,
        reason=why,
        superseded_signatures=[s.id for s in superseded],
    )
    refresh_pending(uow, project.id)
