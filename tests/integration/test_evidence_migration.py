"""`lockgate evidence migrate`: the evidence folder copied into S3 (a real SeaweedFS),
every file checked as read and as stored, idempotent, audited."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
from click.testing import CliRunner

from tests.servers import BUCKET
from web.cli.evidence import evidence_group
from workflows.store.evidence import FolderStore, S3Store, StoreUnavailable
from workflows.verbs import attach
from workflows.verbs.evidence_migration import migrate_evidence

CHARTER = b"%PDF-1.7 charter of ERP-1"
CASE = b"%PDF-1.7 business case of ERP-1"
FILES = {hashlib.sha256(b).hexdigest(): b for b in (CHARTER, CASE)}


@pytest.fixture
def target(s3_env) -> S3Store:
    """An empty prefix in the test bucket."""
    return S3Store(BUCKET, f"migrated-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def attached(act, new_project) -> str:
    """ERP-1 with two files (the charter twice: one stored file) and a link."""
    key = new_project("ERP-1")
    for artifact, body in (("project_charter", CHARTER), ("business_case", CASE)):
        act(attach.attach_file, "pm", key, artifact, io.BytesIO(body), f"{artifact}.pdf")
    act(attach.attach_file, "pm", key, "project_charter", io.BytesIO(CHARTER), "again.pdf")
    act(attach.attach_link, "pm", key, "schedule_baseline", "https://wiki.example/erp")
    return key


def objects(s3_env, store: S3Store) -> dict[str, bytes]:
    client = s3_env.client()
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{store.prefix}/")
    return {
        item["Key"].rsplit("/", 1)[1]: client.get_object(Bucket=BUCKET, Key=item["Key"])[
            "Body"
        ].read()
        for item in listing.get("Contents", [])
    }


def migrated_events(events, after):
    return [e for e in events(after=after) if e.action == "evidence.migrated"]


def test_every_recorded_file_is_copied_checked_and_the_migration_audited(
    workspace, attached, target, s3_env, events, head
):
    start = head()

    report = migrate_evidence(workspace, workspace.evidence, target, "ops@host")

    assert (report.files, report.copied, report.present, report.failures) == (2, 2, 0, [])
    assert report.bytes_copied == len(CHARTER) + len(CASE)
    assert objects(s3_env, target) == FILES
    [event] = migrated_events(events, start)
    assert event.actor == "system"
    assert event.data == {
        "operator": "ops@host",
        "source": workspace.evidence.location,
        "target": target.location,
        "files": 2,
        "copied": 2,
        "already_present": 0,
        "failed": 0,
        "not_attempted": 0,
        "bytes_copied": len(CHARTER) + len(CASE),
    }


def test_running_it_again_copies_nothing_and_checks_what_is_there(
    workspace, attached, target, events, head
):
    migrate_evidence(workspace, workspace.evidence, target, "ops@host")
    start = head()

    again = migrate_evidence(workspace, workspace.evidence, target, "ops@host")

    assert (again.copied, again.present, again.failures, again.ok) == (0, 2, [], True)
    [event] = migrated_events(events, start)
    assert (event.data["copied"], event.data["already_present"]) == (0, 2)


def test_a_file_missing_from_the_folder_fails_and_the_others_are_still_copied(
    workspace, attached, target, s3_env
):
    folder = workspace.evidence
    assert isinstance(folder, FolderStore)
    folder.path(hashlib.sha256(CASE).hexdigest()).unlink()

    report = migrate_evidence(workspace, folder, target, "ops@host")

    assert (report.copied, report.ok) == (1, False)
    [failure] = report.failures
    assert "is missing from" in failure
    assert set(objects(s3_env, target)) == {hashlib.sha256(CHARTER).hexdigest()}


def test_a_tampered_file_in_the_folder_is_refused_as_read_and_not_copied(
    workspace, attached, target, s3_env
):
    folder = workspace.evidence
    digest = hashlib.sha256(CHARTER).hexdigest()
    folder.path(digest).chmod(0o644)
    folder.path(digest).write_bytes(b"%PDF-1.7 a charter nobody approved")

    report = migrate_evidence(workspace, folder, target, "ops@host")

    [failure] = report.failures
    assert f"{digest} in {folder.location} does not match its record" in failure
    assert digest not in objects(s3_env, target)


def test_a_wrong_copy_already_in_the_target_is_reported_never_overwritten(
    workspace, attached, target, s3_env
):
    digest = hashlib.sha256(CHARTER).hexdigest()
    s3_env.client().put_object(Bucket=BUCKET, Key=target.key(digest), Body=b"not the charter")

    report = migrate_evidence(workspace, workspace.evidence, target, "ops@host")

    [failure] = report.failures
    assert "The copy already in" in failure and "delete that object" in failure
    assert objects(s3_env, target)[digest] == b"not the charter"


def test_a_target_that_cannot_be_used_stops_it_before_anything_is_copied(
    workspace, attached, s3_env, head
):
    start = head()

    with pytest.raises(StoreUnavailable, match="bucket 'no-such-bucket' does not exist"):
        migrate_evidence(workspace, workspace.evidence, S3Store("no-such-bucket"), "ops@host")

    assert head() == start


def test_the_command_prints_progress_and_a_summary_and_exits_1_on_a_failure(
    workspace, attached, target, s3_env
):
    url, folder = f"s3://{BUCKET}/{target.prefix}", str(workspace.evidence.root)
    runner = CliRunner()

    first = runner.invoke(evidence_group, ["migrate", "--to", url, "--from", folder], obj=workspace)
    second = runner.invoke(
        evidence_group, ["migrate", "--to", url, "--from", folder], obj=workspace
    )
    workspace.evidence.path(hashlib.sha256(CASE).hexdigest()).unlink()
    s3_env.client().delete_object(Bucket=BUCKET, Key=target.key(hashlib.sha256(CASE).hexdigest()))
    third = runner.invoke(evidence_group, ["migrate", "--to", url, "--from", folder], obj=workspace)

    assert first.exit_code == 0, first.output
    assert "2 recorded files: 2 copied (0.0 MiB), 0 already there and verified, 0 failed" in (
        first.output
    )
    assert f"OK: every recorded file is in s3://{BUCKET}/{target.prefix}" in first.output
    assert "0 copied (0.0 MiB), 2 already there and verified, 0 failed" in second.output
    assert third.exit_code == 1
    assert "FAILED" in third.output and "1 failed" in third.output
