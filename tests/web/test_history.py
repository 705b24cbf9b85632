"""A project as of any date, rebuilt from the trail: the replay of every demo project up to
now equals what the tables hold, and an earlier moment shows the project as it was then."""

from __future__ import annotations

from sqlalchemy import select

from tests.actors import demo_actor
from tests.history_tables import from_history, from_tables
from workflows.store.records import AuditEvent, Project
from workflows.verbs.reconcile import differences
from workflows.views.history import project_as_of, replay_project
from workflows.workspace import Workspace


def test_every_demo_project_replayed_from_its_events_equals_its_stored_state(
    workspace: Workspace,
) -> None:
    with workspace.unit_of_work(read_only=True) as uow:
        keys = list(uow.session.execute(select(Project.key).order_by(Project.key)).scalars())
        assert len(keys) >= 20
        for key in keys:
            assert from_history(replay_project(uow, key)) == from_tables(uow, key), key
        assert differences(uow.session.connection()) == [], "every demo row agrees with the trail"


def test_a_project_as_of_an_earlier_moment_is_as_it_was_then(workspace: Workspace) -> None:
    with workspace.unit_of_work(read_only=True) as uow:
        key, at = uow.session.execute(
            select(AuditEvent.project_key, AuditEvent.at)
            .where(AuditEvent.action == "review.decided")
            .order_by(AuditEvent.seq)
            .limit(1)
        ).one()
        pmo = demo_actor(uow, "pmo")
        decided = project_as_of(uow, pmo, key, at)
        registered = project_as_of(uow, pmo, key, first_event_at(uow, key))
        now = project_as_of(uow, pmo, key, uow.now)

    assert registered.registered and registered.rounds == []
    assert any(r.state == "decided" for r in decided.rounds)
    assert decided.events < now.events, "the events after the moment are left out"


def first_event_at(uow, key):
    return uow.session.execute(
        select(AuditEvent.at).where(AuditEvent.project_key == key).order_by(AuditEvent.seq)
    ).first()[0]


def test_the_project_page_shows_the_project_as_of_a_moment(auth, client, workspace) -> None:
    auth.login("pmo")
    page = client.get("/projects/PRJ-101").text
    assert 'action="/projects/PRJ-101/as-of"' in page

    then = client.get("/projects/PRJ-101/as-of?at=2026-03-11T00:00:00").text
    before = client.get("/projects/PRJ-101/as-of?at=2020-01-01T00:00").text
    wrong = client.get("/projects/PRJ-101/as-of?at=yesterday")

    assert "PRJ-101 as it was" in then and "Rebuilt from the" in then
    assert "was not registered yet" in before
    assert wrong.status_code == 400 and "Give a date and time" in wrong.text


def test_nobody_sees_a_project_as_of_a_moment_unless_they_may_read_it(
    auth, client, workspace: Workspace
) -> None:
    with workspace.unit_of_work(read_only=True) as uow:
        keys = list(uow.session.execute(select(Project.key)).scalars())
    auth.login("pm.lee")
    at = "2026-12-01T00:00"
    codes = {k: client.get(f"/projects/{k}/as-of?at={at}").status_code for k in keys}
    shown = {k: client.get(f"/projects/{k}").status_code for k in keys}

    assert codes == shown, "as-of answers exactly as the project page does"
    assert set(shown.values()) == {200, 404}, "pm.lee sees some projects, not all"


def test_an_auditor_downloads_a_projects_dossier_from_its_page(
    auth, client, workspace: Workspace, monkeypatch
) -> None:
    import io
    import zipfile

    from workflows.store.audit_keys import generate
    from workflows.verbs import audit
    from workflows.verbs.dossier import pdf_available

    monkeypatch.setenv("LOCKGATE_AUDIT_KEY", generate("lockgate.test/audit")[0])
    auth.login("auditor")
    none_yet = auth.post("/projects/PRJ-101/dossier", {}, "/projects/PRJ-101")
    assert none_yet.status_code == 302, "no checkpoint yet: back to the page, saying why"
    with workspace.unit_of_work() as uow:
        audit.checkpoint(uow, demo_actor(uow, "auditor"))
        uow.commit()

    response = auth.post("/projects/PRJ-101/dossier", {}, "/projects/PRJ-101")
    body = response.data
    response.close()  # the server closes the dossier's temporary file once it is sent

    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert "manifest.json" in names and "report.html" in names
    assert "report.pdf" not in names, "the PDF only when asked for"
    if pdf_available():
        assert "with the report as PDF" in client.get("/projects/PRJ-101").text
        printed = auth.post("/projects/PRJ-101/dossier", {"pdf": "1"}, "/projects/PRJ-101")
        pdf = zipfile.ZipFile(io.BytesIO(printed.data)).read("report.pdf")
        printed.close()
        assert pdf.startswith(b"%PDF-")
    auth.login("pm.lee")
    page = client.get("/projects/PRJ-101").text
    assert "Download the gate dossier" not in page
