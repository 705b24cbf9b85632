"""Attaching evidence: a file, a link or a form; each attachment is a new version."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import BinaryIO
from urllib.parse import urlparse

from sqlalchemy import func, select

from gates.authority import ATTACH
from gates.chain import canonical_bytes
from policies.facts import read_form
from policies.model import Artifact, ArtifactKind, Policy
from policies.problems import did_you_mean
from workflows.errors import InvalidInput
from workflows.facts import to_stored
from workflows.identity import Actor
from workflows.inputs import URL, long_text, short_text
from workflows.refusal_log import refusals_recorded
from workflows.state import authority_on, load_project, policy_of, refresh_snapshot, require
from workflows.store.evidence import safe_filename
from workflows.store.records import ArtifactVersion, Project
from workflows.store.uow import UnitOfWork

_NO_LINK = "give an http:// or https:// address"


def find_artifact(policy: Policy, artifact_id: str) -> Artifact:
    """The artifact of that id in any gate of the policy; raises InvalidInput with a hint."""
    for gate in policy.gates:
        for artifact in gate.artifacts:
            if artifact.id == artifact_id:
                return artifact
    known = {a.id for g in policy.gates for a in g.artifacts}
    hint = did_you_mean(artifact_id, known)
    raise InvalidInput(f"{policy.ref} asks for no artifact '{artifact_id}'{hint}")


def _start(
    uow: UnitOfWork, actor: Actor, key: str, artifact_id: str, kind: ArtifactKind
) -> tuple[Project, Policy, Artifact]:
    project = load_project(uow, key, for_update=True)
    require(authority_on(uow, actor.username, project), ATTACH)
    policy = policy_of(uow, project)
    artifact = find_artifact(policy, artifact_id)
    if artifact.kind is not kind:
        raise InvalidInput(
            f"{artifact.title} is supplied as a {artifact.kind.value}, not a {kind.value}"
        )
    return project, policy, artifact


def _save(
    uow: UnitOfWork,
    actor: Actor,
    project: Project,
    policy: Policy,
    artifact: Artifact,
    row: ArtifactVersion,
) -> ArtifactVersion:
    query = select(func.max(ArtifactVersion.version)).where(
        ArtifactVersion.project_id == project.id, ArtifactVersion.artifact_id == artifact.id
    )
    row.version = (uow.session.execute(query).scalar() or 0) + 1
    row.project_id, row.artifact_id, row.kind = project.id, artifact.id, artifact.kind.value
    row.attached_by, row.attached_at = actor.username, uow.now
    uow.session.add(row)
    uow.session.flush()
    uow.record(
        actor.username,
        "artifact.attached",
        project.key,
        artifact=artifact.id,
        version=row.version,
        kind=row.kind,
        digest=row.digest,
        filename=row.filename,
        size=row.size,
        media_type=row.media_type,
        url=row.url,
        form=row.form,
        note=row.note,
    )
    refresh_snapshot(
        uow, actor.username, project, policy, f"{artifact.title} v{row.version} attached"
    )
    return row


@refusals_recorded
def attach_file(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    artifact_id: str,
    stream: BinaryIO,
    filename: str,
    media_type: str = "",
    note: str = "",
) -> ArtifactVersion:
    """Attach an uploaded file, stored by its SHA-256 (size-limited)."""
    note = long_text(note, "note")
    project, policy, artifact = _start(uow, actor, key, artifact_id, ArtifactKind.FILE)
    digest, size = uow.workspace.evidence.put(stream)
    row = ArtifactVersion(
        digest=digest,
        size=size,
        filename=safe_filename(filename),
        media_type=media_type[:120] or "application/octet-stream",
        url="",
        form=None,
        note=note.strip(),
    )
    return _save(uow, actor, project, policy, artifact, row)


@refusals_recorded
def attach_link(
    uow: UnitOfWork, actor: Actor, key: str, artifact_id: str, url: str, note: str = ""
) -> ArtifactVersion:
    """Attach a link (http or https) to evidence kept elsewhere."""
    url = short_text(url, "url", URL, missing=_NO_LINK)
    note = long_text(note, "note")
    project, policy, artifact = _start(uow, actor, key, artifact_id, ArtifactKind.LINK)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput("The link is not valid", {"url": _NO_LINK})
    digest = hashlib.sha256(url.encode()).hexdigest()
    row = ArtifactVersion(
        digest=digest, size=0, filename="", media_type="", url=url, form=None, note=note.strip()
    )
    return _save(uow, actor, project, policy, artifact, row)


@refusals_recorded
def attach_form(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    artifact_id: str,
    values: Mapping[str, object],
    note: str = "",
) -> ArtifactVersion:
    """Attach a structured form; every field is checked against the policy's form (a text
    field within the bounds of text facts, policies.facts.BOUNDS)."""
    note = long_text(note, "note")
    project, policy, artifact = _start(uow, actor, key, artifact_id, ArtifactKind.FORM)
    typed, problems = read_form(artifact.fields, values)
    if problems:
        raise InvalidInput(f"The {artifact.title} form has problems", problems)
    stored = to_stored(typed)
    digest = hashlib.sha256(canonical_bytes(stored)).hexdigest()
    row = ArtifactVersion(
        digest=digest, size=0, filename="", media_type="", url="", form=stored, note=note.strip()
    )
    return _save(uow, actor, project, policy, artifact, row)
