"""The audit pages: auditors, the PMO and admins read the trail newest first with filters,
verify it (and see the first tampered event named), and export it; the export is recorded."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.actors import demo_actor
from tests.web.conftest import Auth
from workflows.store.audit_keys import generate
from workflows.store.records import AuditEvent
from workflows.verbs import audit
from workflows.workspace import Workspace

OTHER_PAGES = (
    "projects.index",
    "projects.show",
    "projects.register",
    "approvals.index",
    "approvals.review",
    "portfolio.index",
)
CELL = '<td data-label="{}"[^>]*>(.*?)</td>'


def cells(page: str, label: str) -> list[str]:
    """The text of every cell of one column of the events table."""
    found = re.findall(CELL.format(label), page, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in found]


def log(client: FlaskClient, query: str = "") -> str:
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def count(workspace: Workspace, *conditions: object) -> int:
    with workspace.unit_of_work() as uow:
        query = select(func.count()).select_from(AuditEvent).where(*conditions)  # type: ignore[arg-type]
        return uow.session.execute(query).scalar() or 0


def seqs(page: str) -> list[int]:
    return [int(s) for s in cells(page, "#")]


def link(page: str, rel: str) -> str:
    """The query string of the page's link to its `rel` ("next": older, "prev": newer)."""
    found = re.search(rf'rel="{rel}" href="/audit/(\?[^"]*)"', page)
    assert found, f"no {rel} link"
    return html.unescape(found.group(1))


def test_the_log_lists_events_newest_first_a_hundred_a_page_without_counting_them(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("auditor")
    total = count(workspace)
    page = log(client)
    assert seqs(page) == list(range(total, total - 100, -1))
    assert "newest first" in page
    assert f"{total:,} events" not in page
    assert 'rel="prev"' not in page
    older = log(client, link(page, "next"))
    assert link(page, "next") == f"?after={total - 99}"
    assert seqs(older) == list(range(total - 100, total - 200, -1))
    assert 'rel="prev"' in older and 'rel="next"' in older


def test_newer_leads_back_to_the_page_before_and_oldest_to_the_first_events(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("auditor")
    total = count(workspace)
    first = log(client)
    second = log(client, link(first, "next"))
    assert seqs(log(client, link(second, "prev"))) == seqs(first)
    oldest = log(client, "?last=1")
    assert seqs(oldest) == list(range(100, 0, -1))
    assert 'rel="next"' not in oldest
    assert seqs(log(client, link(oldest, "prev")))[-1] == 101
    assert total > 200


def test_paging_keeps_the_filter(auth: Auth, client: FlaskClient, workspace: Workspace) -> None:
    expected = count(workspace, AuditEvent.action.startswith("review."))
    auth.login("auditor")
    pages = [log(client, "?action=review.")]
    while 'rel="next"' in pages[-1]:
        pages.append(log(client, link(pages[-1], "next")))
    actions = [a for page in pages for a in cells(page, "Action")]
    assert len(actions) == expected > 100
    assert all(a.startswith("review.") for a in actions)
    numbers = [n for page in pages for n in seqs(page)]
    assert numbers == sorted(set(numbers), reverse=True)


def test_an_exact_action_and_an_unknown_prefix_filter_alike(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    expected = count(workspace, AuditEvent.action == "review.decided")
    auth.login("auditor")
    assert set(cells(log(client, "?action=review.decided"), "Action")) == {"review.decided"}
    assert len(cells(log(client, "?action=review.decided"), "Action")) == expected
    assert "No event matches" in log(client, "?action=nothing.like.this")


def test_a_cursor_past_the_end_shows_no_event_and_a_way_back(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("auditor")
    page = log(client, "?after=1")
    assert seqs(page) == []
    assert 'href="/audit/">back to the newest events' in page
    assert seqs(log(client, "?after=not-a-number")) == seqs(log(client))


def test_each_event_shows_its_time_actor_action_project_data_and_hash(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("auditor")
    page = log(client, "?action=project.registered&project=PRJ-101")
    with workspace.unit_of_work() as uow:
        event = uow.session.execute(
            select(AuditEvent.seq, AuditEvent.at, AuditEvent.actor, AuditEvent.hash).where(
                AuditEvent.action == "project.registered", AuditEvent.project_key == "PRJ-101"
            )
        ).one()
    assert cells(page, "#") == [str(event.seq)]
    assert cells(page, "Time") == [event.at.strftime("%Y-%m-%d %H:%M")]
    assert cells(page, "Actor") == [event.actor]
    assert 'href="' in page.split('data-label="Project"')[1][:80]
    data = cells(page, "Data")[0]
    assert "policy: standard@3" in data and "name: S/4HANA finance migration" in data
    assert cells(page, "Hash") == [event.hash[:10]]
    assert f'title="{event.hash}"' in page


@pytest.mark.parametrize(
    ("query", "label", "check"),
    [
        ("?project=PRJ-103", "Project", lambda v: v == "PRJ-103"),
        ("?actor=pmo", "Actor", lambda v: v == "pmo"),
        ("?action=review.", "Action", lambda v: v.startswith("review.")),
    ],
)
def test_the_log_filters_by_project_actor_and_action_prefix(
    auth: Auth, client: FlaskClient, query: str, label: str, check: object
) -> None:
    auth.login("pmo")
    values = cells(log(client, query), label)
    assert values and all(check(v) for v in values)  # type: ignore[operator]


def test_the_log_filters_by_date_including_the_last_day(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    with workspace.unit_of_work() as uow:
        moments = list(uow.session.execute(select(AuditEvent.at)).scalars())
    day = sorted(moments)[len(moments) // 2].date()
    expected = sum(1 for m in moments if m.date() == day)
    auth.login("admin")
    page = log(client, f"?since={day}&until={day}")
    days = {date.fromisoformat(d[:10]) for d in re.findall(r'<time datetime="([^"]+)"', page)}
    assert days == {day}
    assert len(cells(page, "#")) == min(expected, 100)


def test_an_impossible_date_is_shown_next_to_its_field(auth: Auth, client: FlaskClient) -> None:
    auth.login("auditor")
    page = log(client, "?since=2026-02-31")
    field = page[page.index('id="since"') :]
    assert "Not a valid date value." in field[: field.index("</div>")]


def test_a_project_manager_may_not_read_verify_or_export_the_trail(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("pm.lee")
    assert client.get("/audit/").status_code == 403
    assert auth.post("/audit/verify", {}, page_url="/policies/").status_code == 403
    export = auth.post("/audit/export", {"format": "csv"}, page_url="/policies/")
    assert export.status_code == 403


def test_the_audit_link_shows_only_to_those_who_may_read_the_trail(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("sponsor.king")
    assert 'href="/audit/"' not in client.get("/policies/").get_data(as_text=True)


def test_verify_says_ok_with_the_count_and_head_and_records_nothing(
    auth: Auth, workspace: Workspace
) -> None:
    auth.login("auditor")
    before = count(workspace)
    response = auth.post("/audit/verify", {}, page_url="/audit/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "OK</span> The trail is intact" in page
    assert f"<dd>{before:,}</dd>" in page
    with workspace.unit_of_work() as uow:
        newest = select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        head = uow.session.execute(newest).scalar()
    assert head is not None and head in page
    assert count(workspace) == before


def test_verify_names_the_first_event_whose_body_was_altered(
    auth: Auth, workspace: Workspace
) -> None:
    with workspace.unit_of_work() as uow:
        event = uow.session.execute(select(AuditEvent).where(AuditEvent.seq == 42)).scalar_one()
        body = orjson.loads(event.body)
    body["actor"] = "mallory"
    with workspace.engine.begin() as connection:
        connection.execute(
            update(AuditEvent)
            .where(AuditEvent.seq == 42)
            .values(body=orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
        )
    auth.login("auditor")
    page = auth.post("/audit/verify", {}, page_url="/audit/").get_data(as_text=True)
    assert "FAILED</span> at event #42" in page
    assert "modified" in page and "Event #42 was modified" in page
    assert "<dd>41 events, up to #41" in page


def test_verify_checks_an_uploaded_checkpoint(
    auth: Auth, workspace: Workspace, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKGATE_AUDIT_KEY", generate("lockgate.test/audit")[0])
    with workspace.unit_of_work() as uow:
        note = audit.checkpoint(uow, demo_actor(uow, "auditor"))
        uow.commit()
    auth.login("auditor")
    upload = (io.BytesIO(note.encode()), "checkpoint.txt")
    page = auth.post("/audit/verify", {"checkpoint": upload}, "/audit/").get_data(as_text=True)
    assert "The trail is intact and matches the checkpoint" in page

    garbage = (io.BytesIO(b"not a checkpoint"), "checkpoint.json")
    page = auth.post("/audit/verify", {"checkpoint": garbage}, "/audit/").get_data(as_text=True)
    assert "Not verified" in page
    field = page[page.index('id="checkpoint"') :]
    assert "This is not a checkpoint file" in field[: field.index("</div>")]


def test_export_csv_downloads_the_filtered_events_and_is_recorded(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("auditor")
    expected = count(workspace, AuditEvent.project_key == "PRJ-101")
    response = auth.post("/audit/export", {"format": "csv", "project": "PRJ-101"}, "/audit/")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="lockgate-audit-\d{8}T\d{6}Z\.csv"', disposition)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["seq", "at", "actor", "action", "project", "data", "prev_hash", "hash"]
    assert len(rows) == 1 + expected and {r[4] for r in rows[1:]} == {"PRJ-101"}
    exported = recorded_exports(workspace)
    assert len(exported) == 1
    assert exported[0]["actor"] == "auditor" and exported[0]["project"] == "PRJ-101"
    assert exported[0]["data"]["format"] == "csv" and exported[0]["data"]["count"] == expected


def test_export_json_lines_downloads_one_event_a_line_and_is_recorded(
    auth: Auth, workspace: Workspace
) -> None:
    auth.login("pmo")
    expected = count(workspace, AuditEvent.actor == "pmo", AuditEvent.action.startswith("review."))
    data = {"format": "jsonl", "actor": "pmo", "action": "review."}
    response = auth.post("/audit/export", data, "/audit/?actor=pmo&action=review.")
    assert response.mimetype == "application/x-ndjson"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Content-Disposition"].endswith('.jsonl"')
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(lines) == expected > 0
    assert all(e["actor"] == "pmo" and e["action"].startswith("review.") for e in lines)
    assert {"seq", "hash", "prev_hash", "at", "data"} <= set(lines[0])
    assert recorded_exports(workspace)[0]["data"]["filters"]["actor"] == "pmo"


def test_the_export_form_carries_the_current_filter(auth: Auth, client: FlaskClient) -> None:
    auth.login("auditor")
    page = log(client, "?actor=pmo&since=2020-01-02")
    form = page[page.index('action="/audit/export"') :]
    assert '<input type="hidden" name="actor" value="pmo">' in form
    assert '<input type="hidden" name="since" value="2020-01-02">' in form
    assert 'name="project"' not in form


def recorded_exports(workspace: Workspace) -> list[dict[str, object]]:
    with workspace.unit_of_work() as uow:
        query = select(AuditEvent.body).where(AuditEvent.action == "audit.exported")
        return [orjson.loads(body) for body in uow.session.execute(query).scalars()]


def test_an_auditor_reads_a_compliance_report_and_downloads_it_audited(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("auditor")
    page = client.get("/reports/?kind=late-approvals&from=2025-01-01&to=2027-12-31").text
    assert "Gates decided after their service level" in page and "SHA-256 of its CSV" in page

    url = "/reports/download?kind=late-approvals&from=2025-01-01&to=2027-12-31"
    response = auth.post(url, {}, "/reports/?kind=late-approvals&from=2025-01-01&to=2027-12-31")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.text.startswith("project,gate,round,due_at,decided_at,days_late")
    with workspace.unit_of_work(read_only=True) as uow:
        digests = [
            orjson.loads(body)["data"]["digest"]
            for body in uow.session.execute(
                select(AuditEvent.body).where(AuditEvent.action == "report.exported")
            ).scalars()
        ]
    assert digests == [response.headers["X-Report-Digest"]]
    assert client.get("/reports/?from=yesterday").status_code == 400
    auth.login("pm.lee")
    assert client.get("/reports/").status_code == 403
