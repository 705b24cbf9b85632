"""Reading the audit trail back: export as JSON lines or CSV, filtered."""

from __future__ import annotations

import csv
import io
import json
from itertools import pairwise

from workflows.store.audit_keys import generate
from workflows.store.records import AuditEvent
from workflows.verbs import audit
from workflows.verbs.audit import EventFilter


def exported(workspace, fmt, where=None):
    out = io.StringIO()
    with workspace.unit_of_work() as uow:
        count = audit.export(uow, out, fmt, where)
    return count, out.getvalue()


def test_json_lines_hold_each_event_as_it_was_hashed(workspace, new_project, pass_gate, head):
    key = new_project("ERP-1")
    pass_gate(key)

    count, text = exported(workspace, "jsonl")

    lines = [json.loads(line) for line in text.splitlines()]
    assert count == len(lines) == head()
    assert [e["seq"] for e in lines] == list(range(1, head() + 1))
    assert all(a["hash"] == b["prev_hash"] for a, b in pairwise(lines))
    decided = [e for e in lines if e["action"] == "review.decided"]
    assert [(e["project"], e["data"]["new_stage"]) for e in decided] == [(key, "planning")]


def test_an_export_filtered_by_project_action_and_actor_holds_only_those_events(
    workspace, new_project, pass_gate, clock
):
    first, second = new_project("ERP-1"), new_project("ERP-2")
    since = clock.now
    pass_gate(first)
    pass_gate(second)

    count, text = exported(
        workspace, "csv", EventFilter(project=first, action="review.", since=since)
    )

    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == len(rows) == 5  # submitted, three signatures, decided
    assert {r["project"] for r in rows} == {first}
    signed = ["review.signed"] * 3
    assert [r["action"] for r in rows] == ["review.submitted", *signed, "review.decided"]
    count, _ = exported(
        workspace, "csv", EventFilter(actor="finance", action="review.", until=since)
    )
    assert count == 0


def test_a_checkpoint_signs_the_tree_head_and_is_itself_audited(
    act, read, events, head, monkeypatch
):
    monkeypatch.setenv("LOCKGATE_AUDIT_KEY", generate("lockgate.test/audit")[0])
    newest = head()

    note = act(audit.checkpoint, "auditor")

    newest_hash = read(lambda uow: uow.session.get(AuditEvent, newest).hash)
    origin, size, root = note.split("\n")[:3]
    assert (origin, size) == ("lockgate.test/audit", str(newest))
    [event] = events(after=newest)
    assert event.action == "audit.checkpoint_written"
    assert (event.data["size"], event.data["root"], event.data["chain_head"]) == (
        newest,
        root,
        newest_hash,
    )
    assert event.data["key"].startswith("lockgate.test/audit+")
