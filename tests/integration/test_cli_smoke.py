"""The `lockgate` command line end to end, on a temporary instance folder (SQLite)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3

import pytest
from sqlalchemy import update

from tests.integration.command_line import SECRET, command_line, point_at
from workflows.store.db import make_engine
from workflows.store.records import Project


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder, its checkpoint key kept apart from it."""
    point_at(tmp_path / "instance", tmp_path / "keys", monkeypatch)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "instance"


@pytest.fixture
def lockgate(instance):
    return command_line()


@pytest.fixture(scope="module")
def decided_template(tmp_path_factory):
    """An instance where LITE-1 passed its first gate through the command line (built once)."""
    root = tmp_path_factory.mktemp("cli-template")
    lockgate = command_line()
    with pytest.MonkeyPatch.context() as patch:
        point_at(root / "instance", root / "keys", patch)
        lockgate("init", "--admin", "admin", "--admin-name", "Ada", "--admin-password", SECRET)
        for user, name, role in [
            ("pm", "Pat Manager", "project_manager"),
            ("sponsor", "Sam Sponsor", None),
            ("pmo", "Pia PMO", "pmo"),
            ("auditor", "Aud Itor", "auditor"),
        ]:
            roles = ["--role", role] if role else []
            lockgate(
                "user", "add", "--as", "admin", user, "--name", name, *roles, "--password", SECRET
            )
        lockgate(
            "project",
            "register",
            "--as",
            "pm",
            "LITE-1",
            "Small thing",
            "--policy",
            "lite",
            "--fact",
            "budget=10000",
            "--fact",
            "risk=low",
            "--sponsor",
            "sponsor",
        )
        charter = root / "charter.pdf"
        charter.write_bytes(b"%PDF charter")
        lockgate("attach", "--as", "pm", "LITE-1", "charter", "--file", str(charter))
        lockgate("attach", "--as", "pm", "LITE-1", "project_plan", "--url", "https://x.example/1")
        lockgate("gate", "submit", "--as", "pm", "LITE-1")
        lockgate("gate", "sign", "--as", "sponsor", "LITE-1", "--password", SECRET)
        lockgate("gate", "sign", "--as", "pmo", "LITE-1", "--password", SECRET)
        lockgate("gate", "decide", "--as", "sponsor", "LITE-1", "go")
    return root / "instance"


@pytest.fixture
def lite_project_decided(decided_template, instance):
    """A private copy of the decided instance for one test."""
    shutil.copytree(decided_template, instance)
    return instance


def test_init_creates_the_database_the_admin_and_publishes_the_library(lockgate, instance):
    result = lockgate("init", "--admin", "admin", "--admin-password", SECRET)

    assert "created at revision" in result.output
    assert "published lite@2" in result.output
    assert "published standard@3" in result.output
    assert "created admin 'admin'" in result.output
    assert (instance / "lockgate.sqlite").exists()
    assert "at revision" in lockgate("init").output, "running init again upgrades nothing"


def test_a_project_passes_its_first_gate_from_the_command_line(lockgate, instance, tmp_path):
    lockgate("init", "--admin", "admin", "--admin-password", SECRET)
    lockgate(
        "user",
        "add",
        "--as",
        "admin",
        "pm",
        "--name",
        "Pat Manager",
        "--role",
        "project_manager",
        "--password",
        SECRET,
    )
    lockgate(
        "user", "add", "--as", "admin", "sponsor", "--name", "Sam Sponsor", "--password", SECRET
    )
    lockgate(
        "user",
        "add",
        "--as",
        "admin",
        "pmo",
        "--name",
        "Pia PMO",
        "--role",
        "pmo",
        "--password",
        SECRET,
    )

    registered = lockgate(
        "project",
        "register",
        "--as",
        "pm",
        "LITE-1",
        "Small thing",
        "--policy",
        "lite",
        "--fact",
        "budget=10000",
        "--fact",
        "risk=low",
        "--sponsor",
        "sponsor",
    )
    assert "registered LITE-1 under lite@2: stage initiation, tier small" in registered.output

    status = lockgate("gate", "status", "--as", "pm", "LITE-1")
    assert "One-page charter is missing" in status.output
    assert "not ready" in status.output

    charter = tmp_path / "charter.pdf"
    charter.write_bytes(b"%PDF charter")
    assert (
        "attached charter v1 (file"
        in lockgate("attach", "--as", "pm", "LITE-1", "charter", "--file", str(charter)).output
    )
    lockgate("attach", "--as", "pm", "LITE-1", "project_plan", "--url", "https://plan.example/1")
    assert "ready to submit" in lockgate("gate", "status", "--as", "pm", "LITE-1").output

    assert (
        "submitted initiation round 1" in lockgate("gate", "submit", "--as", "pm", "LITE-1").output
    )
    signed = lockgate("gate", "sign", "--as", "sponsor", "LITE-1", "--password", SECRET)
    assert "signed: Approved as Project sponsor (Sam Sponsor" in signed.output
    lockgate("gate", "sign", "--as", "pmo", "LITE-1", "--password", SECRET)
    decided = lockgate("gate", "decide", "--as", "sponsor", "LITE-1", "go")
    assert "initiation: go; LITE-1 is now 'execution'" in decided.output

    verified = lockgate("audit", "verify")
    assert "OK: the trail is intact" in verified.output


def test_a_refused_command_exits_1_with_the_reasons_in_words(lite_project_decided, lockgate):
    result = lockgate("project", "kill", "--as", "pm", "LITE-1", "--reason", "Done", code=1)

    assert "error: cannot kill:" in result.output
    assert "Only the sponsor or the PMO may kill the project. (LITE-1)" in result.output


def test_a_wrong_password_exits_1_and_says_nothing_was_signed(lite_project_decided, lockgate):
    result = lockgate("gate", "sign", "--as", "sponsor", "LITE-1", "--password", "nope", code=1)

    assert "error: The password is not correct: the signature was not recorded." in result.output


def test_audit_verify_after_tampering_exits_1_naming_the_event(lite_project_decided, lockgate):
    with sqlite3.connect(lite_project_decided / "lockgate.sqlite") as database:
        database.execute("UPDATE audit_events SET body = CAST('{}' AS BLOB) WHERE seq = 7")
    database.close()

    result = lockgate("audit", "verify", code=1)

    assert "FAILED at event #7 (modified)" in result.output
    assert "Event #7 was modified" in result.output


def test_a_checkpoint_written_before_catches_a_truncation(
    lite_project_decided, lockgate, tmp_path, monkeypatch
):
    made = lockgate("audit", "keygen", "--name", "lockgate.test/audit", "-o", str(tmp_path / "k"))
    assert "private key ->" in made.output
    private, public = (
        tmp_path / "k" / "lockgate.test_audit.key",
        tmp_path / "k" / "lockgate.test_audit.pub",
    )
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("LOCKGATE_AUDIT_KEY", str(private))
    saved = tmp_path / "checkpoint.txt"
    written = lockgate("audit", "checkpoint", "--as", "auditor", "-o", str(saved))
    assert f"-> {saved}" in written.output
    monkeypatch.delenv("LOCKGATE_AUDIT_KEY")  # checking needs only the public key
    verified = lockgate("audit", "verify", "--checkpoint", str(saved), "--key", str(public))
    assert "OK: the trail is intact and matches 1 checkpoint" in verified.output
    count = int(saved.read_text().split("\n")[1])
    proof = tmp_path / "event-3.proof"
    lockgate(
        "audit", "prove", "--as", "auditor", "3", "--checkpoint", str(saved),
        "--key", str(public), "-o", str(proof),
    )  # fmt: skip
    checked = lockgate("audit", "check-proof", str(proof), "--key", str(public))
    assert checked.output.startswith("OK: event #3 (")
    monkeypatch.setenv("LOCKGATE_AUDIT_KEY", str(private))
    lockgate("audit", "checkpoint", "--as", "auditor", "-o", str(tmp_path / "cp2.txt"))
    monkeypatch.delenv("LOCKGATE_AUDIT_KEY")
    pack = tmp_path / "LITE-1.zip"
    lockgate("dossier", "LITE-1", "--as", "auditor", "-o", str(pack), "--key", str(public))
    assert (
        "OK: every signature is bound"
        in lockgate("dossier", "verify", str(pack), "--key", str(public)).output
    )

    with sqlite3.connect(lite_project_decided / "lockgate.sqlite") as database:
        database.execute("DELETE FROM audit_events WHERE seq > ?", (count - 2,))
        database.execute("DROP TRIGGER chain_head_update_names_last_event")
        database.execute(
            "UPDATE chain_head SET seq = ?, hash = (SELECT hash FROM audit_events WHERE seq = ?)",
            (count - 2, count - 2),
        )
    database.close()

    assert "OK" in lockgate("audit", "verify").output
    result = lockgate("audit", "verify", "--checkpoint", str(saved), "--key", str(public), code=1)
    assert f"FAILED at event #{count - 1} (truncated)" in result.output


def test_the_trail_exports_as_csv_and_as_json_lines(lite_project_decided, lockgate, tmp_path):
    exported = tmp_path / "events.csv"

    lockgate("audit", "export", "--as", "auditor", "--format", "csv", "-o", str(exported))
    jsonl = lockgate("audit", "export", "--as", "auditor", "--format", "jsonl")

    rows = list(csv.DictReader(io.StringIO(exported.read_text())))
    assert list(rows[0]) == ["seq", "at", "actor", "action", "project", "data", "prev_hash", "hash"]
    assert [r["seq"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert "review.decided" in [r["action"] for r in rows]
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert len(lines) == len(rows) + 1, "the csv export is itself audited"
    assert lines[-1]["action"] == "audit.exported"
    assert {"seq", "prev_hash", "hash", "action", "actor", "at", "project", "data"} <= set(lines[0])


def test_only_auditors_export_the_trail(lite_project_decided, lockgate):
    result = lockgate("audit", "export", "--as", "pm", code=1)

    assert "Only auditors, the PMO or admins may export the audit trail." in result.output


HOSTILE = "\u202eevil\x1b[31m red\nline"


def test_stored_text_is_printed_with_control_and_bidi_characters_made_visible(
    lite_project_decided, lockgate
):
    # The verbs refuse such a name now; one stored before, or written by someone with database
    # access, must still print harmlessly.
    engine = make_engine(f"sqlite:///{lite_project_decided / 'lockgate.sqlite'}")
    with engine.begin() as connection:
        connection.execute(update(Project).where(Project.key == "LITE-1").values(name=HOSTILE))
    engine.dispose()

    listed = lockgate("project", "list").output
    shown = lockgate("project", "show", "--as", "pm", "LITE-1").output

    assert "LITE-1  \\u202eevil\\x1b[31m red\\nline" in listed
    assert "LITE-1  \\u202eevil\\x1b[31m red\\nline\n" in shown
    for output in (listed, shown):
        assert "\u202e" not in output
        assert "\x1b" not in output


def test_a_refusal_quoting_what_was_typed_makes_it_visible(lite_project_decided, lockgate):
    result = lockgate("gate", "status", "--as", "pm", "\x1b[2J\u2066LITE-1", code=1)

    assert result.output == "error: There is no project '\\x1b[2J\\u2066LITE-1'.\n"


def test_init_works_in_a_folder_whose_name_has_percent_question_mark_and_hash(
    lockgate, tmp_path, monkeypatch
):
    folder = tmp_path / "100% sure? #1"
    monkeypatch.setenv("LOCKGATE_INSTANCE", str(folder))

    created = lockgate("init", "--admin", "admin", "--admin-password", SECRET)

    assert "created at revision" in created.output
    assert (folder / "lockgate.sqlite").exists()
    assert "at revision" in lockgate("init").output
    assert lockgate("project", "list").output.endswith("0 project(s)\n")


def test_rebuild_pending_restores_who_each_open_review_waits_for(
    lite_project_decided, lockgate, tmp_path
):
    lockgate(
        "project", "register", "--as", "pm", "LITE-2", "Second", "--policy", "lite",
        "--fact", "budget=10000", "--fact", "risk=low", "--sponsor", "sponsor",
    )  # fmt: skip
    charter = tmp_path / "charter.pdf"
    charter.write_bytes(b"%PDF charter")
    lockgate("attach", "--as", "pm", "LITE-2", "charter", "--file", str(charter))
    lockgate("attach", "--as", "pm", "LITE-2", "project_plan", "--url", "https://plan.example/2")
    lockgate("gate", "submit", "--as", "pm", "LITE-2")
    database = lite_project_decided / "lockgate.sqlite"
    query = "SELECT review_id, user_id, role, part FROM pending_signoffs ORDER BY 1, 2, 3"
    with sqlite3.connect(database) as connection:
        waiting = connection.execute(query).fetchall()
        connection.execute("DELETE FROM pending_signoffs")

    rebuilt = lockgate("reviews", "rebuild-pending")

    assert f"rebuilt the pending sign-offs: {len(waiting)} rows" in rebuilt.output
    with sqlite3.connect(database) as connection:
        assert connection.execute(query).fetchall() == waiting
    assert waiting, "the submitted gate waits for its signers"


def test_a_compliance_report_runs_from_the_start_of_its_first_day_to_the_end_of_its_last(
    lite_project_decided, lockgate
):
    result = lockgate(
        "report", "compliance", "--as", "auditor", "--kind", "waivers",
        "--from", "2026-01-01", "--to", "2026-12-31",
    )  # fmt: skip
    bad = lockgate(
        "report", "compliance", "--as", "auditor", "--kind", "waivers",
        "--from", "soon", "--to", "2026-12-31", code=2,
    )  # fmt: skip

    assert "2026-01-01T00:00:00+00:00 to 2026-12-31T23:59:59.999999+00:00" in result.output
    assert result.output.startswith("waiver,project,gate,requirement,status")
    assert "Invalid value for --from" in bad.output


def test_a_programme_is_created_filled_and_shown_from_the_command_line(
    lockgate, lite_project_decided
):
    created = lockgate(
        "programme", "create", "--as", "pmo", "SMALL", "Small things", "--sponsor", "sponsor"
    )
    added = lockgate(
        "programme", "add", "--as", "pmo", "SMALL", "LITE-1", "--reason", "Grouped for review"
    )
    shown = lockgate("programme", "show", "--as", "sponsor", "SMALL")
    project = lockgate("project", "show", "--as", "pm", "LITE-1")
    refused = lockgate(
        "programme", "add", "--as", "pm", "SMALL", "LITE-1", "--reason", "x", code=None
    )

    assert "created programme SMALL, sponsored by sponsor" in created.output
    assert "LITE-1 is now in SMALL" in added.output
    assert (
        "LITE-1" in shown.output and "programme.projects 1, total_budget 10,000.00" in shown.output
    )
    assert "programme SMALL (Small things); its other projects: none" in project.output
    assert refused.exit_code != 0 and "Only the PMO may" in refused.output
