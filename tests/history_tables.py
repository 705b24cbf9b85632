"""The stored state of a project read from the tables, in the shape gates.history rebuilds
from the trail, so the two can be compared after any step."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from gates.history import ProjectHistory
from workflows.state import load_project
from workflows.store.records import (
    ArtifactVersion,
    FollowUpRecord,
    Review,
    SignatureRecord,
    User,
    WaiverRecord,
)
from workflows.store.uow import UnitOfWork


def from_history(history: ProjectHistory) -> dict[str, Any]:
    """What the replay says, reduced to what the tables hold too."""
    return {
        "stage": history.stage,
        "tier": history.tier,
        "facts": history.facts,
        "policy": history.policy,
        "evidence": {a: (e.version, e.digest) for a, e in sorted(history.evidence.items())},
        "rounds": sorted(
            (
                r.gate,
                r.round,
                r.state,
                r.decision,
                r.snapshot_digest,
                tuple(
                    sorted(
                        (s.signer, s.role, s.decision, s.on_behalf_of, s.superseded)
                        for s in r.signatures
                    )
                ),
            )
            for r in history.rounds
        ),
        "conditions": sorted(
            (c.gate, c.action, c.owner, str(c.due), c.closed_at is not None)
            for c in history.conditions
        ),
        "waivers": sorted(
            (w.id, w.gate, w.requirement, w.status) for w in history.waivers.values()
        ),
    }


def from_tables(uow: UnitOfWork, key: str) -> dict[str, Any]:
    """What the tables hold for project `key`, in from_history's shape."""
    project = load_project(uow, key)
    session = uow.session
    newest = (
        select(ArtifactVersion.artifact_id, func.max(ArtifactVersion.version))
        .where(ArtifactVersion.project_id == project.id)
        .group_by(ArtifactVersion.artifact_id)
    )
    evidence = {}
    for artifact, version in session.execute(newest):
        digest = session.execute(
            select(ArtifactVersion.digest).where(
                ArtifactVersion.project_id == project.id,
                ArtifactVersion.artifact_id == artifact,
                ArtifactVersion.version == version,
            )
        ).scalar_one()
        evidence[artifact] = (version, digest)
    signer, principal = aliased(User), aliased(User)
    rounds = []
    for review in session.execute(select(Review).where(Review.project_id == project.id)).scalars():
        signatures = session.execute(
            select(signer.username, SignatureRecord.role, SignatureRecord.decision,
                   principal.username, SignatureRecord.superseded_at)
            .join(signer, signer.id == SignatureRecord.signer_id)
            .outerjoin(principal, principal.id == SignatureRecord.on_behalf_of_id)
            .where(SignatureRecord.review_id == review.id)
        ).all()  # fmt: skip
        rounds.append(
            (review.gate_id, review.round, review.state, review.decision, review.snapshot_digest,
             tuple(sorted((s, r, d, p, gone is not None) for s, r, d, p, gone in signatures)))
        )  # fmt: skip
    conditions = [
        (review.gate_id, c.action, c.owner, c.due.isoformat(), c.done_at is not None)
        for c, review in session.execute(
            select(FollowUpRecord, Review)
            .join(Review, Review.id == FollowUpRecord.review_id)
            .where(Review.project_id == project.id)
        )
    ]
    waivers = [
        (w.id, w.gate_id, w.requirement, w.status)
        for w in session.execute(
            select(WaiverRecord).where(WaiverRecord.project_id == project.id)
        ).scalars()
    ]
    return {
        "stage": project.stage,
        "tier": project.tier,
        "facts": project.facts,
        "policy": project.policy_version.ref,
        "evidence": dict(sorted(evidence.items())),
        "rounds": sorted(rounds),
        "conditions": sorted(conditions),
        "waivers": sorted(waivers),
    }
