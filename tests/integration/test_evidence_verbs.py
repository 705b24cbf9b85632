"""Attaching evidence: files, links and forms; every attachment is a new version."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select

from tests.integration.factories import PASSWORD, actor_of, table_rows
from workflows.errors import InvalidInput, Refused
from workflows.store.records import ArtifactVersion, Project, SignatureRecord
from workflows.verbs import attach, reviews
from workflows.workspace import Workspace

CHARTER = b"%PDF-1.7 charter v1"
AFE = {
    "afe_number": "AFE-2026-014",
    "approved_amount": "400,000",
    "funding_type": "capex",
    "cost_center": "CC-4711",
    "approved_by": "Fay Finance",
    "approved_on": "2026-02-27",
}


def stored_files(workspace):
    """Every file in the evidence store."""
    root = workspace.evidence.root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def versions(read, key, artifact_id):
    """(version, kind, digest, filename, size, url, form) of every version, oldest first."""
    query = (
        select(ArtifactVersion)
        .join(Project, Project.id == ArtifactVersion.project_id)
        .where(Project.key == key, ArtifactVersion.artifact_id == artifact_id)
        .order_by(ArtifactVersion.version)
    )
    return read(
        lambda uow: [
            (v.version, v.kind, v.digest, v.filename, v.size, v.url, v.form)
            for v in uow.session.execute(query).scalars()
        ]
    )


def test_a_file_is_stored_by_its_sha256_and_audited(
    workspace, act, read, new_project, events, head
):
    key = new_project("ERP-1")
    start = head()

    row = act(
        attach.attach_file,
        "pm",
        key,
        "project_charter",
        io.BytesIO(CHARTER),
        "../../Charter (final).pdf",
    )

    digest = hashlib.sha256(CHARTER).hexdigest()
    assert versions(read, key, "project_charter") == [
        (1, "file", digest, "Charter _final_.pdf", len(CHARTER), "", None)
    ]
    assert workspace.evidence.path(digest).read_bytes() == CHARTER
    [event] = events(after=start)
    assert (event.action, event.data["artifact"], event.data["version"]) == (
        "artifact.attached",
        "project_charter",
        1,
    )
    assert event.data["digest"] == digest == row.digest


def test_a_link_is_attached_with_the_digest_of_its_address(act, read, new_project):
    key = new_project("ERP-1")
    url = "https://wiki.example/erp/schedule"

    act(attach.attach_link, "pm", key, "schedule_baseline", f"  {url} ", "Baseline 1")

    digest = hashlib.sha256(url.encode()).hexdigest()
    assert versions(read, key, "schedule_baseline") == [(1, "link", digest, "", 0, url, None)]


def test_a_form_is_stored_as_typed_values(act, read, new_project):
    key = new_project("ERP-1")

    act(attach.attach_form, "pm", key, "budget_authorization", AFE)

    [(version, kind, _, _, _, _, form)] = versions(read, key, "budget_authorization")
    assert (version, kind) == (1, "form")
    assert form == {**AFE, "approved_amount": "400000"}


def test_a_new_version_never_overwrites_the_previous_one(workspace, act, read, new_project):
    key = new_project("ERP-1")
    act(attach.attach_file, "pm", key, "project_charter", io.BytesIO(CHARTER), "charter.pdf")

    act(attach.attach_file, "pmo", key, "project_charter", io.BytesIO(b"charter v2"), "c.pdf")

    kept = versions(read, key, "project_charter")
    assert [(v[0], v[2]) for v in kept] == [
        (1, hashlib.sha256(CHARTER).hexdigest()),
        (2, hashlib.sha256(b"charter v2").hexdigest()),
    ]
    assert all(workspace.evidence.path(v[2]).exists() for v in kept)


def test_the_same_bytes_attached_twice_make_two_versions_of_one_stored_file(
    workspace, act, read, new_project
):
    key = new_project("ERP-1")
    for _ in range(2):
        act(attach.attach_file, "pm", key, "project_charter", io.BytesIO(CHARTER), "c.pdf")

    kept = versions(read, key, "project_charter")
    assert [v[0] for v in kept] == [1, 2]
    assert kept[0][2] == kept[1][2]
    with workspace.evidence.open(kept[0][2]) as stored:
        assert stored.read() == CHARTER


def test_an_unknown_artifact_is_refused_with_a_did_you_mean(new_project, refuses):
    key = new_project("ERP-1")

    error = refuses(
        InvalidInput, attach.attach_file, "pm", key, "project_charta", io.BytesIO(CHARTER), "c.pdf"
    )

    assert str(error) == (
        "standard@3 asks for no artifact 'project_charta' (did you mean 'project_charter'?)"
    )


@pytest.mark.parametrize(
    ("verb", "artifact_id", "value", "message"),
    [
        (
            attach.attach_link,
            "project_charter",
            "https://x.example/c",
            "supplied as a file, not a link",
        ),
        (attach.attach_form, "schedule_baseline", {"a": "b"}, "supplied as a link, not a form"),
        (attach.attach_link, "budget_authorization", "https://x.example", "a form, not a link"),
    ],
)
def test_evidence_of_the_wrong_kind_is_refused(
    new_project, refuses, verb, artifact_id, value, message
):
    key = new_project("ERP-1")

    refuses(InvalidInput, verb, "pm", key, artifact_id, value, match=message)


def test_a_file_of_the_wrong_kind_is_refused_before_it_is_stored(workspace, new_project, refuses):
    key = new_project("ERP-1")

    refuses(
        InvalidInput,
        attach.attach_file,
        "pm",
        key,
        "schedule_baseline",
        io.BytesIO(b"schedule"),
        "s.xlsx",
        match="supplied as a link, not a file",
    )

    assert stored_files(workspace) == []


def test_a_file_over_the_upload_limit_is_refused_and_nothing_is_kept(
    workspace, test_connection, new_project
):
    key = new_project("ERP-1")
    small = Workspace(
        workspace.engine,
        workspace.evidence.root,
        workspace.clock,
        max_upload_bytes=1024,
        connection=test_connection,
    )
    before = table_rows(workspace)

    with small.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match=r"larger than the 0.0009\d* MiB limit"):
            attach.attach_file(
                uow, actor_of(uow, "pm"), key, "project_charter", io.BytesIO(b"x" * 1025), "b.pdf"
            )
        uow.commit()

    assert table_rows(workspace) == before
    assert stored_files(workspace) == []


def test_a_file_at_the_upload_limit_is_accepted(workspace, test_connection, new_project):
    key = new_project("ERP-1")
    small = Workspace(
        workspace.engine,
        workspace.evidence.root,
        workspace.clock,
        max_upload_bytes=1024,
        connection=test_connection,
    )

    with small.unit_of_work() as uow:
        row = attach.attach_file(
            uow, actor_of(uow, "pm"), key, "project_charter", io.BytesIO(b"x" * 1024), "c"
        )
        uow.commit()

    assert row.size == 1024
    assert len(stored_files(workspace)) == 1


def test_an_empty_file_is_refused(new_project, refuses):
    key = new_project("ERP-1")

    refuses(
        InvalidInput,
        attach.attach_file,
        "pm",
        key,
        "project_charter",
        io.BytesIO(b""),
        "empty.pdf",
        match="The file is empty",
    )


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.example/x",
        "wiki/page",
        "https://",
        "",
    ],
)
def test_a_link_that_is_not_http_or_https_is_refused(new_project, refuses, url):
    key = new_project("ERP-1")

    error = refuses(InvalidInput, attach.attach_link, "pm", key, "schedule_baseline", url)

    assert error.problems == {"url": "give an http:// or https:// address"}


def test_a_form_with_invalid_values_is_refused_listing_every_field(new_project, refuses):
    key = new_project("ERP-1")
    values = {**AFE, "approved_amount": "a lot", "funding_type": "capx", "approved_on": "27/02"}
    del values["cost_center"]
    values["approved_bye"] = "x"

    error = refuses(InvalidInput, attach.attach_form, "pm", key, "budget_authorization", values)

    assert set(error.problems) == {
        "approved_amount",
        "funding_type",
        "approved_on",
        "cost_center",
        "approved_bye",
    }
    assert "did you mean 'capex'" in error.problems["funding_type"]
    assert "a date (YYYY-MM-DD)" in error.problems["approved_on"]
    assert "Cost center is required" in error.problems["cost_center"]


@pytest.mark.parametrize("actor", ["sponsor", "pm2", "auditor", "finance"])
def test_only_the_project_manager_or_the_pmo_may_attach(new_project, refuses, actor):
    key = new_project("ERP-1")

    refuses(
        Refused,
        attach.attach_link,
        actor,
        key,
        "schedule_baseline",
        "https://x.example/s",
        match="Only the project manager or the PMO may attach evidence",
    )


def test_new_evidence_for_a_submitted_gate_supersedes_its_signatures(
    act, read, new_project, submit_ready, status, events, head
):
    key = new_project("ERP-1")
    review = submit_ready(key)
    signed = act(reviews.sign, "sponsor", key, "go", PASSWORD)
    start = head()

    act(attach.attach_file, "pm", key, "project_charter", io.BytesIO(b"charter v2"), "c.pdf")

    assert [e.action for e in events(after=start)] == [
        "artifact.attached",
        "review.snapshot_changed",
    ]
    assert read(lambda uow: uow.session.get(SignatureRecord, signed.id).superseded_at) is not None
    assert not status(key).line("signoff:sponsor").status.ok
    assert status(key).line("artifact:project_charter").evidence.version == 2
    assert review.snapshot_digest == signed.snapshot_digest


def test_evidence_for_a_later_gate_leaves_the_submitted_signatures_standing(
    act, read, new_project, submit_ready, status, events, head
):
    key = new_project("ERP-1")
    submit_ready(key)
    signed = act(reviews.sign, "sponsor", key, "go", PASSWORD)
    start = head()

    act(attach.attach_link, "pm", key, "schedule_baseline", "https://wiki.example/schedule")

    assert [e.action for e in events(after=start)] == ["artifact.attached"]
    assert read(lambda uow: uow.session.get(SignatureRecord, signed.id).superseded_at) is None
    assert status(key).line("signoff:sponsor").status.ok
