"""Signatures bound to their record: each carries the hash of its content, also in its audit
event, and a review's snapshot digest covers its project and round, so a signature copied to
another project's review on the same evidence does not count there."""

from __future__ import annotations

import io

from sqlalchemy import select, text

from gates.binding import SignatureContent, signature_hash
from policies.model import Artifact, ArtifactKind
from tests.integration.factories import PASSWORD, attach_evidence, form_values
from workflows.state import load_project
from workflows.store.records import Review, SignatureRecord
from workflows.verbs import attach, reviews


def signature_row(read, key):
    def find(uow):
        project = load_project(uow, key)
        query = (
            select(SignatureRecord, Review)
            .join(Review, Review.id == SignatureRecord.review_id)
            .where(Review.project_id == project.id)
            .order_by(SignatureRecord.id.desc())
        )
        signed, review = uow.session.execute(query).first()
        return signed, review, signed.signer.username

    return read(find)


def test_a_signature_stores_the_hash_of_its_content_and_its_event_repeats_it(
    act, new_project, submit_ready, read, events, head
):
    key = new_project("ERP-1")
    submit_ready(key)
    start = head()

    act(reviews.sign, "sponsor", key, "go", PASSWORD, role="sponsor")

    signed, review, signer = signature_row(read, key)
    content = SignatureContent(
        key, review.gate_id, review.round, signer, signed.role, None, signed.meaning,
        signed.decision, signed.comment, signed.snapshot_digest, signed.signed_at,
    )  # fmt: skip
    assert signed.content_hash == signature_hash(content)
    [event] = [e for e in events(after=start) if e.action == "review.signed"]
    assert event.data["signature_hash"] == signed.content_hash


def test_new_reviews_bind_their_digest_to_the_project_and_round(new_project, submit_ready, read):
    first, second = new_project("ERP-1"), new_project("ERP-2")

    one, other = submit_ready(first), submit_ready(second)

    assert one.digest_formula == other.digest_formula == 2
    assert one.snapshot["project"] == "ERP-1" and one.snapshot["round"] == 1
    assert one.snapshot_digest != other.snapshot_digest


def same_evidence(act, status, key, today):
    """Attach to `key` the very evidence every project gets here: the same bytes, links and
    forms, so two projects' snapshots differ only by what binds them to their project."""
    for line in status(key).lines:
        artifact = line.requirement
        if not isinstance(artifact, Artifact) or line.status.ok:
            continue
        if artifact.kind is ArtifactKind.FILE:
            stream = io.BytesIO(f"{artifact.title}\n".encode())
            act(attach.attach_file, "pm", key, artifact.id, stream, f"{artifact.id}.pdf")
        elif artifact.kind is ArtifactKind.LINK:
            act(
                attach.attach_link,
                "pm",
                key,
                artifact.id,
                f"https://evidence.example/{artifact.id}",
            )
        else:
            act(attach.attach_form, "pm", key, artifact.id, form_values(artifact, today))


def test_a_signature_copied_to_another_projects_review_does_not_count_there(
    act, new_project, status, workspace, read, clock
):
    first, second = new_project("ERP-1"), new_project("ERP-2")
    for key in (first, second):
        same_evidence(act, status, key, clock.today())
        act(reviews.submit_gate, "pm", key)
    act(reviews.sign, "sponsor", first, "go", PASSWORD, role="sponsor")
    signed, _, _ = signature_row(read, first)
    target = read(lambda uow: reviews_open(uow, second))

    with workspace.unit_of_work() as uow:  # the insider copies the row
        uow.session.execute(
            text(
                "INSERT INTO signatures (review_id, signer_id, on_behalf_of_id, printed_name, "
                "role, meaning, decision, comment, snapshot_digest, signed_at, superseded_at, "
                "content_hash) SELECT :target, signer_id, on_behalf_of_id, printed_name, role, "
                "meaning, decision, comment, snapshot_digest, signed_at, superseded_at, "
                "content_hash FROM signatures WHERE id = :id"
            ),
            {"target": target, "id": signed.id},
        )
        uow.commit()

    [sponsor] = [line for line in status(second).lines if line.key == "signoff:sponsor"]
    assert not sponsor.status.ok, "the copy is bound to ERP-1's snapshot, not ERP-2's"


def reviews_open(uow, key):
    project = load_project(uow, key)
    return uow.session.execute(
        select(Review.id).where(Review.project_id == project.id, Review.state == "submitted")
    ).scalar_one()


def test_an_open_review_of_the_first_formula_keeps_its_digest_when_evidence_changes(
    act, new_project, submit_ready, workspace, read, clock, status
):
    key = new_project("ERP-1")
    review = submit_ready(key)
    with workspace.unit_of_work() as uow:  # as it was before formula 2
        uow.session.execute(
            text("UPDATE reviews SET digest_formula = NULL WHERE id = :id"), {"id": review.id}
        )
        uow.commit()

    [artifact] = [
        line.requirement for line in status(key).lines if line.key == "artifact:business_case"
    ]
    act(attach_evidence, "pm", key, artifact, clock.today())

    refreshed = read(lambda uow: uow.session.get(Review, review.id))
    assert "project" not in refreshed.snapshot and refreshed.digest_formula is None
    assert refreshed.snapshot_digest != review.snapshot_digest, "new evidence, new digest"
