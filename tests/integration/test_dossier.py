"""Gate dossiers: exported pinned to the newest signed checkpoint, the same bytes twice at the
same checkpoint, recorded after it; checked with no database, and every kind of tampering
named."""

from __future__ import annotations

import io
import sys
import zipfile

import orjson
import pytest

from gates.checkpoints import CheckpointError
from tests.integration.factories import PASSWORD
from workflows.errors import InvalidInput, Refused
from workflows.store.audit_keys import generate
from workflows.verbs import audit, reviews
from workflows.verbs.dossier import export_dossier, pdf_available, verify_dossier


@pytest.fixture
def keys(monkeypatch):
    secret, public = generate("lockgate.test/audit")
    monkeypatch.setenv("LOCKGATE_AUDIT_KEY", secret)
    return public


@pytest.fixture
def decided(act, new_project, pass_gate, submit_ready, keys):
    """ERP-1 through its first gate, its second submitted and signed once; a checkpoint."""
    key = new_project("ERP-1")
    pass_gate(key)
    submit_ready(key)
    act(reviews.sign, "sponsor", key, "go", PASSWORD, role="sponsor")
    act(audit.checkpoint, "auditor")
    return key


def export(act, key, **options) -> bytes:
    out = io.BytesIO()
    act(export_dossier, "auditor", key, out, **options)
    return out.getvalue()


def rebuilt(pack: bytes, change) -> bytes:
    """The dossier with one entry changed by `change(name, data) -> data`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(pack)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def test_a_dossier_holds_the_record_and_checks_with_no_database(act, decided, keys, events):
    pack = export(act, decided)

    checked = verify_dossier(io.BytesIO(pack), [keys])

    names = zipfile.ZipFile(io.BytesIO(pack)).namelist()
    assert {"manifest.json", "checkpoint.txt", "record.json", "events.jsonl", "events.csv",
            "report.html", "policy/standard@3.yaml"} <= set(names)  # fmt: skip
    assert any(n.startswith("evidence/") for n in names)
    assert any(n.startswith("proofs/") for n in names)
    record = orjson.loads(zipfile.ZipFile(io.BytesIO(pack)).read("record.json"))
    assert [r["gate"] for r in record["reviews"]] == ["initiation", "planning"]
    assert checked[-1] == "every signature is bound to its round's snapshot"
    [exported] = [e for e in events() if e.action == "dossier.exported"]
    assert exported.seq > exported.data["checkpoint_size"], "its own event comes after it"


def test_the_record_names_each_signer_as_printed_with_the_meaning_they_signed(act, decided):
    pack = zipfile.ZipFile(io.BytesIO(export(act, decided)))

    record = orjson.loads(pack.read("record.json"))
    page = pack.read("report.html").decode()

    [signature] = record["reviews"][1]["signatures"]
    assert (signature["printed_name"], signature["meaning"]) == (
        "Sam Sponsor", "Approved as Project sponsor",
    )  # fmt: skip
    assert record["reviews"][1]["snapshot"]["artifacts"], "the round's snapshot is in it"
    assert "Sam Sponsor" in page and "Approved as Project sponsor" in page


def test_change_requests_and_overrides_are_in_the_dossier(
    act, new_project, submit_ready, collect_signatures, keys
):
    from tests.integration.test_decisions_bind import submitted_with_sponsor_missing
    from workflows.verbs import change_requests, overrides

    key = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, key)
    asked = act(overrides.request_override, "pmo", key, "Sponsor on leave; board minute 12")
    act(overrides.answer_override, "pmo2", asked.id, True, "Agreed with the board")
    change = act(change_requests.propose_change, "pm", key, {"budget": "90000"}, "Scope grew")
    act(audit.checkpoint, "auditor")

    record = orjson.loads(zipfile.ZipFile(io.BytesIO(export(act, key))).read("record.json"))

    [override] = record["overrides"]
    assert (override["requested_by"], override["answered_by"], override["state"]) == (
        "pmo", "pmo2", "confirmed",
    )  # fmt: skip
    [proposed] = record["change_requests"]
    assert (proposed["id"], proposed["changes"], proposed["status"]) == (
        change.record.id, {"budget": "90000"}, "open",
    )  # fmt: skip


def test_the_report_is_printed_to_pdf_when_asked_the_same_bytes_each_time(act, decided):
    if not pdf_available():
        pytest.skip("WeasyPrint cannot run here (not installed, or no Pango)")

    first, second = export(act, decided, pdf=True), export(act, decided, pdf=True)

    pdf = zipfile.ZipFile(io.BytesIO(first)).read("report.pdf")
    assert pdf.startswith(b"%PDF-")
    assert first == second
    assert "report.pdf" not in zipfile.ZipFile(io.BytesIO(export(act, decided))).namelist()


def test_a_pdf_asked_for_where_weasyprint_cannot_run_is_refused_and_nothing_is_recorded(
    act, decided, events, monkeypatch
):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it were not installed
    before = len(events())

    with pytest.raises(InvalidInput, match="pip install 'lockgate\\[pdf\\]'"):
        export(act, decided, pdf=True)

    assert len(events()) == before


def test_exporting_twice_at_the_same_checkpoint_gives_the_same_bytes(act, decided):
    assert export(act, decided) == export(act, decided)


def test_digests_only_leaves_the_evidence_files_out(act, decided, keys):
    pack = export(act, decided, files=False)

    assert not any(n.startswith("evidence/") for n in zipfile.ZipFile(io.BytesIO(pack)).namelist())
    verify_dossier(io.BytesIO(pack), [keys])


def test_a_file_changed_in_the_dossier_is_named(act, decided, keys):
    pack = rebuilt(
        export(act, decided),
        lambda name, data: data.replace(b"go", b"no") if name == "report.html" else data,
    )

    with pytest.raises(CheckpointError, match=r"report\.html does not match its SHA-256"):
        verify_dossier(io.BytesIO(pack), [keys])


def test_an_event_changed_with_a_manifest_to_match_is_named(act, decided, keys):
    def forge(name, data):
        if name == "events.jsonl":
            return data.replace(b'\\"decision\\":\\"go\\"', b'\\"decision\\":\\"kill\\"', 1)
        return data

    pack = rebuilt(export(act, decided), forge)
    pack = rebuilt(
        pack, lambda name, data: remanifest(pack, data) if name == "manifest.json" else data
    )

    with pytest.raises(CheckpointError, match="does not match its hash"):
        verify_dossier(io.BytesIO(pack), [keys])


def remanifest(pack: bytes, manifest: bytes) -> bytes:
    """The manifest recomputed over the (forged) files, as a forger would."""
    import hashlib

    found = orjson.loads(manifest)
    with zipfile.ZipFile(io.BytesIO(pack)) as source:
        found["files"] = {n: hashlib.sha256(source.read(n)).hexdigest() for n in found["files"]}
    return orjson.dumps(found)


def test_a_dossier_checked_with_another_key_is_refused(act, decided, monkeypatch):
    pack = export(act, decided)
    _, stranger = generate("lockgate.test/audit")
    monkeypatch.delenv("LOCKGATE_AUDIT_KEY")  # an external auditor has only public keys

    with pytest.raises(CheckpointError, match="not by a key given"):
        verify_dossier(io.BytesIO(pack), [stranger])


def test_no_dossier_before_a_signed_checkpoint_and_none_for_a_project_manager(
    act, new_project, refuses, keys
):
    key = new_project("ERP-1")

    none = refuses(Refused, export_dossier, "auditor", key, io.BytesIO())
    act(audit.checkpoint, "auditor")
    pm = refuses(Refused, export_dossier, "pm", key, io.BytesIO())

    assert [r.rule for r in none.refusals] == ["dossier.no_checkpoint"]
    assert [r.rule for r in pm.refusals] == ["role.audit"]
