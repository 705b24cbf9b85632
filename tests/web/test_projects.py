"""The project pages: list, register, project page, attach, download, facts and submit."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import orjson
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from policies.model import Artifact, ArtifactKind
from tests.actors import demo_actor
from tests.web.conftest import Auth, csrf_token
from workflows.store.records import ArtifactVersion, AuditEvent, Project, RoleGrant
from workflows.verbs.reviews import gate_status
from workflows.workspace import Workspace

MANAGERS = ("pm.lee", "pm.garcia", "pm.chen")
INITIATION = "PRJ-112"  # standard policy, in initiation, no evidence yet
LITE_INITIATION = "LT-123"
IN_EXECUTION = "PRJ-102"
IN_REVIEW = "PRJ-101"
ON_HOLD = "PRJ-109"
KILLED = "PRJ-114"


def manager_of(workspace: Workspace, key: str) -> str:
    with workspace.unit_of_work() as uow:
        project = uow.session.execute(select(Project).where(Project.key == key)).unique()
        return project.scalar_one().manager.username


def outsider_of(workspace: Workspace, key: str) -> str:
    """A project manager with no role on the project."""
    return next(m for m in MANAGERS if m != manager_of(workspace, key))


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def error_next_to(html: str, field_id: str) -> str:
    """The error text shown in the help block of one field."""
    match = re.search(rf'id="{re.escape(field_id)}-help">(.*?)</div>', html, re.S)
    assert match, f"no help block next to {field_id}"
    return " ".join(re.findall(r'<span class="error">(.*?)</span>', match.group(1), re.S))


def audit_events(workspace: Workspace, key: str, action: str) -> list[dict[str, Any]]:
    with workspace.unit_of_work() as uow:
        query = select(AuditEvent.body).where(
            AuditEvent.project_key == key, AuditEvent.action == action
        )
        return [orjson.loads(body) for body in uow.session.execute(query).scalars()]


def rows_in(html: str) -> list[str]:
    return re.findall(r'href="/projects/([A-Z]+-\d+)"', html)


# --- the list ------------------------------------------------------------------------------


def test_a_manager_sees_only_the_projects_they_have_a_role_on(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")
    keys = set(rows_in(text_of(client.get("/projects/"))))
    with workspace.unit_of_work() as uow:
        managed = {
            p.key
            for p in uow.session.execute(select(Project)).unique().scalars()
            if p.manager.username == "pm.lee"
        }
    assert keys == managed


def test_the_pmo_sees_every_project_with_policy_stage_tier_next_gate_and_blocking(
    client: FlaskClient, auth: Auth
) -> None:
    auth.login("pmo")
    html = text_of(client.get("/projects/"))
    assert "25 projects" in html
    assert len(rows_in(html)) == 25
    row = re.search(rf"/projects/{INITIATION}\".*?</tr>", html, re.S)
    assert row
    assert "standard@3" in row.group(0)
    assert "initiation" in row.group(0)
    assert "G1 Initiation approval" in row.group(0)
    assert 'data-label="Blocking">' in row.group(0)


def test_the_list_filters_by_stage_tier_and_search_text(client: FlaskClient, auth: Auth) -> None:
    auth.login("auditor")
    assert rows_in(text_of(client.get("/projects/?stage=killed"))) == [KILLED]
    assert rows_in(text_of(client.get("/projects/?q=payroll"))) == ["PRJ-104"]
    small = rows_in(text_of(client.get("/projects/?tier=major")))
    assert IN_REVIEW in small
    assert not any(key.startswith("LT-") for key in small)
    assert "No project matches these filters" in text_of(client.get("/projects/?q=nothing-like"))


def test_the_list_is_paged_by_key(app: Flask, client: FlaskClient, auth: Auth) -> None:
    app.config["PAGE_SIZE"] = 10
    auth.login("pmo")
    first = text_of(client.get("/projects/"))
    keys = rows_in(first)
    assert len(keys) == 10 and keys == sorted(keys)
    assert "25 projects, by key" in first
    assert f'rel="next" href="/projects/?after={keys[-1]}"' in first
    assert "Previous page" not in first
    second = rows_in(text_of(client.get(f"/projects/?after={keys[-1]}")))
    assert len(second) == 10 and second[0] > keys[-1]
    last = text_of(client.get("/projects/?last=1"))
    assert len(rows_in(last)) == 10
    assert "Next page" not in last and "Previous page" in last
    back = rows_in(text_of(client.get(f"/projects/?before={second[0]}")))
    assert back == keys


def test_walking_the_pages_shows_each_matching_project_once_in_key_order(
    app: Flask, client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    with workspace.unit_of_work() as uow:
        query = select(Project.key).where(Project.tier == "large").order_by(Project.key)
        large = list(uow.session.execute(query).scalars())
    app.config["PAGE_SIZE"] = 2
    auth.login("pmo")
    page, seen = text_of(client.get("/projects/?tier=large")), []
    while True:
        seen += rows_in(page)
        following = re.search(r'rel="next" href="([^"]+)"', page)
        if following is None:
            break
        assert "tier=large" in following.group(1)
        page = text_of(client.get(html.unescape(following.group(1))))
    assert seen == large and len(large) > 2


# --- registering ---------------------------------------------------------------------------

REGISTRATION = {
    "policy": "standard",
    "key": "NEW-1",
    "name": "Archive platform",
    "manager": "pm.lee",
    "sponsor": "sponsor.ali",
    "facts-budget": "2,000,000",
    "facts-risk": "medium",
    "facts-duration_months": "12",
    "facts-business_unit": "Finance",
}


def register(auth: Auth, button: str, **changes: str) -> TestResponse:
    data: dict[str, object] = {**REGISTRATION, **changes, button: "x"}
    return auth.post("/projects/new", data, page_url="/projects/new?policy=standard")


def test_a_sponsor_cannot_open_the_register_page(client: FlaskClient, auth: Auth) -> None:
    auth.login("sponsor.king")
    assert client.get("/projects/new").status_code == 403
    assert auth.post("/projects/new", REGISTRATION, page_url="/projects/").status_code == 403
    assert "Register a project" not in text_of(client.get("/projects/"))


def test_the_register_form_is_made_from_the_chosen_policys_facts(
    client: FlaskClient, auth: Auth
) -> None:
    auth.login("pm.lee")
    html = text_of(client.get("/projects/new"))
    assert "standard@3" in html
    assert "lite@2" in html
    assert re.search(r'<input[^>]*id="facts-budget"[^>]*inputmode="decimal"', html)
    assert re.search(r'<input[^>]*id="facts-duration_months"[^>]*inputmode="numeric"', html)
    assert re.search(r'<input[^>]*id="facts-regulated"[^>]*type="checkbox"', html)
    assert re.search(r'<select[^>]*id="facts-risk"', html)
    assert re.search(r'<input[^>]*id="facts-go_live_date"[^>]*type="date"', html)
    assert re.search(r'<select[^>]*id="sponsor"', html)
    lite = text_of(client.get("/projects/new?policy=lite"))
    assert 'id="facts-duration_months"' not in lite
    assert client.get("/projects/new?policy=nonsense").status_code == 404


def test_preview_shows_the_tier_and_why_and_saves_nothing(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")
    html = text_of(register(auth, "preview"))
    assert "Tier preview: Major" in html
    assert "Major because" in html
    assert "2,000,000" in html
    assert "Nothing is saved yet" in html
    assert 'value="Archive platform"' in html, "what was typed is kept"
    with workspace.unit_of_work() as uow:
        assert uow.session.execute(select(Project).where(Project.key == "NEW-1")).first() is None
    assert audit_events(workspace, "NEW-1", "project.registered") == []


def preview_section(page: str) -> str:
    """The tier preview's text, tags and entities removed, one space between words."""
    match = re.search(r'<section class="card" id="tier-preview".*?</section>', page, re.S)
    assert match, "no tier preview on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(0))).split())


def test_preview_says_why_the_tier_and_whether_each_criterion_passes_for_these_facts(
    auth: Auth,
) -> None:
    auth.login("pm.lee")
    page = text_of(register(auth, "preview", **{"facts-duration_months": "40"}))
    preview = preview_section(page)
    assert "Tier preview: Major" in preview
    assert "Major because budget 2,000,000 is at least 1,000,000" in preview
    assert (
        "✗ Projects longer than 3 years must be split into phases:"
        " fails because duration 40 months is over 36"
    ) in preview
    assert (
        "✓ The owning business unit is recorded: passes because business unit is set"
        " and length of business unit 7 is over 0"
    ) in preview
    assert "✗ A target go-live date is set: fails because go live date is not set" in preview
    assert 'class="status-missing"' in page


def test_preview_lists_the_tiers_passed_over_and_only_the_criteria_that_apply(
    auth: Auth,
) -> None:
    auth.login("pm.lee")
    small = {"facts-budget": "10000", "facts-duration_months": "3", "facts-risk": "low"}
    preview = preview_section(text_of(register(auth, "preview", **small)))
    assert "Tier preview: Small" in preview
    assert (
        "Not Medium because budget 10,000 is under 50,000 and duration 3 months is at most 6"
    ) in preview
    assert "The owning business unit is recorded" not in preview, "only when not small"
    assert "✓ Projects longer than 3 years must be split into phases: passes" in preview


def test_register_saves_the_project_audits_it_and_opens_its_page(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")
    response = register(auth, "register")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/projects/NEW-1")
    html = text_of(client.get("/projects/NEW-1"))
    assert "NEW-1 is registered under standard@3, tier major." in html
    assert "Archive platform" in html
    [event] = audit_events(workspace, "NEW-1", "project.registered")
    assert event["actor"] == "pm.lee"
    assert event["data"]["sponsor"] == "sponsor.ali"
    assert event["data"]["tier"] == "major"
    with workspace.unit_of_work() as uow:
        grant = (
            uow.session.execute(
                select(RoleGrant)
                .where(RoleGrant.role == "sponsor", RoleGrant.project_id.is_not(None))
                .order_by(RoleGrant.id.desc())
            )
            .scalars()
            .first()
        )
        assert grant is not None
        assert grant.user.username == "sponsor.ali"


def test_an_invalid_fact_shows_its_error_next_to_the_field_and_saves_nothing(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")
    response = register(auth, "register", **{"facts-budget": "lots", "facts-risk": ""})
    html = text_of(response)
    assert response.status_code == 200
    assert "is not an amount of money" in error_next_to(html, "facts-budget")
    assert "Overall risk rating is required" in error_next_to(html, "facts-risk")
    assert 'aria-invalid="true"' in html
    assert audit_events(workspace, "NEW-1", "project.registered") == []


def test_a_bad_key_and_a_bad_fact_are_both_shown_next_to_their_fields(
    client: FlaskClient, auth: Auth
) -> None:
    auth.login("pm.lee")
    html = text_of(register(auth, "register", key=INITIATION, **{"facts-budget": "-5"}))
    assert "already registered" in error_next_to(html, "key")
    assert "negative" in error_next_to(html, "facts-budget")


# --- the project page ----------------------------------------------------------------------


def test_the_project_page_shows_tracker_facts_checklist_evidence_and_history(
    client: FlaskClient, auth: Auth
) -> None:
    auth.login("auditor")
    html = text_of(client.get(f"/projects/{IN_EXECUTION}"))
    assert re.search(r'<li class="done">.*?Initiation', html)
    assert re.search(r'<li class="current" aria-current="step">Execution', html)
    assert "Approved budget" in html
    assert "1,800,000" in html
    assert "Next gate: G3 Readiness for cutover" in html
    assert "Cutover plan with rollback" in html
    assert re.search(rf'href="/projects/{IN_EXECUTION}/evidence/project_charter/v1"', html)
    assert re.search(r'class="mono" title="[0-9a-f]{64}"', html)
    assert '<ol class="timeline"' in html
    assert "Project registered" in html
    assert html.index("Review decided") < html.index("Project registered"), "newest first"
    assert "Submit G3" not in html, "an auditor cannot submit"


def test_the_project_page_shows_the_open_review(client: FlaskClient, auth: Auth) -> None:
    auth.login("pmo")
    html = text_of(client.get(f"/projects/{IN_REVIEW}"))
    assert "Open review" in html
    assert "round 1" in html
    assert f'href="/approvals/{IN_REVIEW}"' in html
    assert "Submit G3" not in html, "an open review cannot be submitted again"


def test_on_hold_and_killed_projects_say_so(client: FlaskClient, auth: Auth) -> None:
    auth.login("pmo")
    held = text_of(client.get(f"/projects/{ON_HOLD}"))
    assert "This project is on hold" in held
    assert "(on hold)" in held
    killed = text_of(client.get(f"/projects/{KILLED}"))
    assert "This project was killed" in killed
    assert '<li class="current" aria-current="step">Killed</li>' in killed


def test_a_manager_sees_attach_links_and_the_submit_button(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    html = text_of(client.get(f"/projects/{INITIATION}"))
    assert f'href="/projects/{INITIATION}/evidence/project_charter"' in html
    assert "Submit G1 Initiation approval for review" in html
    assert f'href="/projects/{INITIATION}/facts"' in html


def test_an_approver_reads_the_page_without_manage_controls(
    client: FlaskClient, auth: Auth
) -> None:
    auth.login("finance")
    html = text_of(client.get(f"/projects/{INITIATION}"))
    assert "G1 Initiation approval" in html
    assert "/evidence/project_charter" not in html
    assert "Submit G1" not in html
    assert client.get(f"/projects/{INITIATION}/evidence/project_charter").status_code == 403
    assert client.get(f"/projects/{INITIATION}/facts").status_code == 403


def test_a_user_without_a_role_on_the_project_gets_404_everywhere(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(outsider_of(workspace, IN_EXECUTION))
    base = f"/projects/{IN_EXECUTION}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/evidence/project_charter").status_code == 404
    assert client.get(f"{base}/evidence/project_charter/v1").status_code == 404
    assert client.get(f"{base}/facts").status_code == 404
    submit = auth.post(f"{base}/submit", {}, page_url="/projects/")
    assert submit.status_code == 404
    assert client.get("/projects/NOPE-1").status_code == 404


def test_pages_use_no_inline_script_or_style(client: FlaskClient, auth: Auth) -> None:
    auth.login("pmo")
    for url in (
        "/projects/",
        "/projects/new",
        f"/projects/{IN_EXECUTION}",
        f"/projects/{INITIATION}/evidence/budget_authorization",
    ):
        html = text_of(client.get(url))
        assert "<script" not in html
        assert " style=" not in html


# --- attaching and downloading -------------------------------------------------------------


def attach_page(key: str, artifact_id: str) -> str:
    return f"/projects/{key}/evidence/{artifact_id}"


def test_attaching_a_file_adds_a_version_and_audits_it(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    url = attach_page(INITIATION, "project_charter")
    assert 'enctype="multipart/form-data"' in text_of(client.get(url))
    upload = (io.BytesIO(b"%PDF charter"), "../../Charter v1.pdf")
    response = auth.post(url, {"file": upload, "note": "first draft"})
    assert response.status_code == 302
    html = text_of(client.get(f"/projects/{INITIATION}"))
    assert "Project charter is attached." in html
    assert "Charter v1.pdf" in html
    assert "first draft" in html
    [event] = audit_events(workspace, INITIATION, "artifact.attached")
    assert event["data"]["filename"] == "Charter v1.pdf"
    assert event["data"]["version"] == 1


def test_an_empty_file_is_refused_next_to_the_file_field(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    url = attach_page(INITIATION, "project_charter")
    html = text_of(auth.post(url, {"file": (io.BytesIO(b""), "empty.pdf")}))
    assert "The file is empty" in error_next_to(html, "file")
    missing = text_of(auth.post(url, {"note": "no file"}))
    assert "Choose a file to attach." in error_next_to(missing, "file")
    assert audit_events(workspace, INITIATION, "artifact.attached") == []


def test_attaching_a_link(client: FlaskClient, auth: Auth, workspace: Workspace) -> None:
    auth.login(manager_of(workspace, LITE_INITIATION))
    url = attach_page(LITE_INITIATION, "project_plan")
    assert 'type="url"' in text_of(client.get(url))
    response = auth.post(url, {"url": "https://plan.example.com/laptops"})
    assert response.status_code == 302
    html = text_of(client.get(f"/projects/{LITE_INITIATION}"))
    assert 'href="https://plan.example.com/laptops"' in html


def test_a_link_that_is_not_http_is_refused_next_to_the_field(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, LITE_INITIATION))
    url = attach_page(LITE_INITIATION, "project_plan")
    html = text_of(auth.post(url, {"url": "ftp://files.example.com/plan"}))
    assert "http:// or https://" in error_next_to(html, "url")


BUDGET_FORM = {
    "values-afe_number": "AFE-2291",
    "values-approved_amount": "540,000",
    "values-funding_type": "capex",
    "values-cost_center": "CC-4410",
    "values-approved_by": "Grace Müller",
    "values-approved_on": "2025-01-15",
}


def test_attaching_a_form_with_valid_values(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    url = attach_page(INITIATION, "budget_authorization")
    page = text_of(client.get(url))
    assert re.search(r'<select[^>]*id="values-funding_type"', page)
    assert re.search(r'<input[^>]*id="values-approved_on"[^>]*type="date"', page)
    assert auth.post(url, BUDGET_FORM).status_code == 302
    html = text_of(client.get(f"/projects/{INITIATION}"))
    assert "AFE-2291" in html
    assert "Approved amount" in html


def test_invalid_form_values_show_errors_next_to_their_fields(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    url = attach_page(INITIATION, "budget_authorization")
    bad = {**BUDGET_FORM, "values-approved_amount": "plenty", "values-approved_on": ""}
    html = text_of(auth.post(url, bad))
    assert "is not an amount of money" in error_next_to(html, "values-approved_amount")
    assert "Approved on is required" in error_next_to(html, "values-approved_on")
    assert 'value="AFE-2291"' in html, "what was typed is kept"
    assert audit_events(workspace, INITIATION, "artifact.attached") == []


def test_an_artifact_the_policy_does_not_ask_for_is_404(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    assert client.get(attach_page(INITIATION, "horoscope")).status_code == 404


def test_a_download_is_an_attachment_never_rendered(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("finance")
    response = client.get(f"/projects/{IN_EXECUTION}/evidence/project_charter/v1")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert f"{IN_EXECUTION}-project_charter.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert b"Project charter" in response.data
    response.close()


def test_a_download_of_a_link_or_a_missing_version_is_404(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    with workspace.unit_of_work() as uow:
        query = (
            select(Project.key, ArtifactVersion.artifact_id, ArtifactVersion.version)
            .join(Project, Project.id == ArtifactVersion.project_id)
            .where(ArtifactVersion.kind == "link")
        )
        key, artifact_id, version = uow.session.execute(query).first()  # type: ignore[misc]
    auth.login("pmo")
    assert client.get(f"/projects/{key}/evidence/{artifact_id}/v{version}").status_code == 404
    assert client.get(f"/projects/{IN_EXECUTION}/evidence/project_charter/v9").status_code == 404


# --- facts ---------------------------------------------------------------------------------


def test_changing_the_facts_retiers_the_project_and_says_why(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    url = f"/projects/{INITIATION}/facts"
    page = text_of(client.get(url))
    assert re.search(r'id="facts-budget"[^>]*value="540000"', page)
    data = {
        "facts-budget": "1500000",
        "facts-risk": "high",
        "facts-handles_personal_data": "y",
        "facts-duration_months": "11",
        "facts-business_unit": "Operations",
        "facts-go_live_date": "",
        "reason": "Scope grew",
    }
    response = auth.post(url, data)
    assert response.status_code == 302
    html = text_of(client.get(f"/projects/{INITIATION}"))
    assert "Tier: Major because" in html
    [event] = audit_events(workspace, INITIATION, "project.facts_updated")
    assert event["data"]["new_tier"] == "major"


def test_an_invalid_fact_change_is_shown_next_to_the_field(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    url = f"/projects/{INITIATION}/facts"
    html = text_of(auth.post(url, {"facts-budget": "abc", "facts-risk": "high"}))
    assert "is not an amount of money" in error_next_to(html, "facts-budget")


def test_saving_unchanged_facts_is_refused_in_words(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    url = f"/projects/{INITIATION}/facts"
    page = text_of(client.get(url))
    shown = r'name="(facts-[a-z_]+)" type="(?:text|date)" value="([^"]*)"'
    typed = dict(re.findall(shown, page))
    selected = re.search(r'name="facts-risk">.*?<option selected value="([a-z]+)"', page, re.S)
    assert selected
    ticked = re.findall(r'checked id="(facts-[a-z_]+)"', page)
    data: dict[str, object] = {**typed, "facts-risk": selected.group(1)}
    data.update(dict.fromkeys(ticked, "y"))
    response = auth.post(url, data)
    assert response.status_code == 200
    assert "Nothing changed" in text_of(response)
    assert audit_events(workspace, INITIATION, "project.facts_updated") == []


# --- submitting ----------------------------------------------------------------------------


def test_get_on_submit_is_not_allowed(client: FlaskClient, auth: Auth) -> None:
    auth.login("pmo")
    assert client.get(f"/projects/{INITIATION}/submit").status_code == 405


def test_submit_without_the_csrf_token_changes_nothing(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    assert client.post(f"/projects/{INITIATION}/submit").status_code == 400
    assert audit_events(workspace, INITIATION, "review.submitted") == []


def test_a_refused_submit_lists_every_reason(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))
    page = f"/projects/{INITIATION}"
    response = auth.post(f"{page}/submit", {}, page_url=page)
    assert response.status_code == 302
    html = text_of(client.get(page))
    assert "Could not submit G1 Initiation approval:" in html
    assert re.search(r'<p class="message error">Project charter[^<]*missing', html)
    assert re.search(r'<p class="message error">Budget authorization \(AFE\)', html)
    assert audit_events(workspace, INITIATION, "review.submitted") == []


def attach_everything_missing(auth: Auth, workspace: Workspace, key: str, who: str) -> None:
    """Attach, through the pages, every artifact the next gate still misses."""
    with workspace.unit_of_work() as uow:
        report = gate_status(uow, demo_actor(uow, who), key).report
    for line in report.lines:
        artifact = line.requirement
        if not isinstance(artifact, Artifact) or line.status.ok:
            continue
        data: dict[str, object] = {
            ArtifactKind.FILE: {"file": (io.BytesIO(b"evidence"), f"{artifact.id}.pdf")},
            ArtifactKind.LINK: {"url": f"https://wiki.example.com/{artifact.id}"},
            ArtifactKind.FORM: BUDGET_FORM,
        }[artifact.kind]
        assert auth.post(attach_page(key, artifact.id), data).status_code == 302


def test_submit_succeeds_once_the_evidence_is_complete(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    manager = manager_of(workspace, INITIATION)
    auth.login(manager)
    attach_everything_missing(auth, workspace, INITIATION, manager)
    page = f"/projects/{INITIATION}"
    assert auth.post(f"{page}/submit", {}, page_url=page).status_code == 302
    html = text_of(client.get(page))
    assert "G1 Initiation approval is submitted for review (round 1)." in html
    assert "Open review" in html
    assert "Review submitted" in html
    [event] = audit_events(workspace, INITIATION, "review.submitted")
    assert event["actor"] == manager


def test_the_submit_form_carries_a_csrf_token(client: FlaskClient, auth: Auth) -> None:
    auth.login("pmo")
    html = text_of(client.get(f"/projects/{INITIATION}"))
    form = html[html.index(f'action="/projects/{INITIATION}/submit"') :]
    assert csrf_token(form)
