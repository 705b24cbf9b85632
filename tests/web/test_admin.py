"""The admin pages: admins add users (errors next to their fields), grant and revoke global and
project roles, and disable users, which ends the sessions they already have."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.actors import demo_actor
from tests.web.conftest import Auth, csrf_token
from web.demo import PEOPLE
from workflows.store.records import AuditEvent
from workflows.verbs import users
from workflows.workspace import Workspace

OTHER_PAGES = (
    "projects.index",
    "projects.show",
    "projects.register",
    "approvals.index",
    "approvals.review",
    "portfolio.index",
)
NEW_USER = {
    "username": "new.analyst",
    "display_name": "Nina Analyst",
    "email": "nina@example.com",
    "password": "long-enough-1",
    "roles": ["auditor", "pmo"],
}


@pytest.fixture
def admin(auth: Auth) -> Auth:
    auth.login("admin")
    return auth


def next_to(page: str, field_id: str) -> str:
    """The markup of one form field: its input and the help and errors that follow it."""
    start = page.index(f'id="{field_id}"')
    end = page.find('class="field', start)
    return html.unescape(page[start : end if end != -1 else None])


def text_of(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def events(workspace: Workspace, action: str) -> int:
    with workspace.unit_of_work() as uow:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        return uow.session.execute(query).scalar() or 0


def test_an_admin_sees_every_user_with_their_roles_and_the_add_form(
    admin: Auth, client: FlaskClient
) -> None:
    page = text_of(client, "/admin/users")
    for username, name in (("pmo", "Priya Okafor"), ("sponsor.king", "Helen King")):
        assert f'href="/admin/users/{username}"' in page and name in page
    assert "pm.lee@example.com" in page and "project manager" in page
    assert "Add a user" in page
    for role in ("pmo", "auditor", "admin", "project_manager"):
        assert f'type="checkbox" value="{role}"' in page


def test_an_admin_adds_a_user_who_sets_their_own_password_through_a_one_time_link(
    admin: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    response = admin.post("/admin/users", NEW_USER)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "Added new.analyst (Nina Analyst)." in page
    assert "Nina Analyst" in page and "nina@example.com" in page
    link = re.search(r'id="password-link">http://127\.0\.0\.1:5000(/password/[^<]+)<', page)
    assert link is not None, "the enrollment link is shown once"
    assert link.group(1) not in text_of(client, "/admin/users/new.analyst"), "only once"
    assert "auditor, pmo" in text_of(client, "/admin/users")
    assert events(workspace, "user.added") == len(PEOPLE) + 1
    assert events(workspace, "user.enrollment_issued") == len(PEOPLE)  # the demo's, and this

    newcomer = Auth(client.application.test_client())
    form = newcomer.client.get(link.group(1)).get_data(as_text=True)
    set_it = newcomer.client.post(
        link.group(1),
        data={"new_password": "long-enough-1", "confirm": "long-enough-1",
              "csrf_token": csrf_token(form)},
    )  # fmt: skip
    assert set_it.status_code == 302
    newcomer.login("new.analyst", "long-enough-1")
    assert newcomer.client.get("/audit/").status_code == 200
    assert newcomer.client.get(link.group(1)).status_code == 404, "the link works once"


def test_the_engines_objections_to_a_new_user_appear_next_to_their_fields(
    admin: Auth, workspace: Workspace
) -> None:
    data = {**NEW_USER, "username": "Bad Name"}
    page = admin.post("/admin/users", data).get_data(as_text=True)
    assert "use 2-40 lower-case letters" in next_to(page, "username")
    assert "use 2-40" not in next_to(page, "display_name")
    assert 'value="Bad Name"' in page
    assert events(workspace, "user.added") == len(PEOPLE)


def test_missing_and_unknown_values_are_refused_next_to_their_fields(admin: Auth) -> None:
    data = {**NEW_USER, "display_name": "  ", "roles": ["superuser"]}
    page = admin.post("/admin/users", data).get_data(as_text=True)
    assert "This field is required." in next_to(page, "display_name")
    assert "not a valid choice" in next_to(page, "roles-help").lower()


def test_a_username_that_is_taken_is_refused_next_to_it(admin: Auth, workspace: Workspace) -> None:
    page = admin.post("/admin/users", {**NEW_USER, "username": "pmo"}).get_data(as_text=True)
    assert "'pmo' is taken" in next_to(page, "username")
    assert events(workspace, "user.added") == len(PEOPLE)


def test_an_admin_grants_then_revokes_a_global_role(
    admin: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    revoked_before = events(workspace, "role.revoked")  # the demo revoked one already
    response = admin.post("/admin/users/pm.lee/roles", {"role": "auditor"})
    assert response.status_code == 302
    page = text_of(client, "/admin/users/pm.lee")
    assert "Granted auditor to pm.lee." in page
    global_roles = page[page.index("Global roles") : page.index("Roles on projects")]
    assert "auditor" in global_roles and "by admin" in global_roles

    response = admin.post(
        "/admin/users/pm.lee/roles/revoke", {"role": "auditor"}, "/admin/users/pm.lee"
    )
    assert response.status_code == 302
    page = text_of(client, "/admin/users/pm.lee")
    assert "Revoked auditor from pm.lee." in page
    ended = page[page.index("Ended grants") :]
    assert "auditor" in ended and "global" in ended
    revoked = events(workspace, "role.revoked") - revoked_before
    assert events(workspace, "role.granted") >= 1 and revoked == 1


def test_granting_a_role_already_held_is_refused_next_to_the_role(admin: Auth) -> None:
    page = admin.post("/admin/users/pm.lee/roles", {"role": "project_manager"}).get_data(
        as_text=True
    )
    assert "pm.lee already holds the project_manager role here." in next_to(page, "role")


def test_revoking_a_role_not_held_says_why(admin: Auth, client: FlaskClient) -> None:
    response = admin.post(
        "/admin/users/pm.lee/roles/revoke", {"role": "admin"}, "/admin/users/pm.lee"
    )
    assert response.status_code == 302
    assert "pm.lee does not hold the admin role here." in text_of(client, "/admin/users/pm.lee")


def test_an_admin_grants_then_revokes_a_role_on_one_project(
    admin: Auth, client: FlaskClient
) -> None:
    page = text_of(client, "/admin/users/pm.chen")
    for role in ('value="sponsor"', 'value="finance"', 'value="business_owner"'):
        assert role in page[page.index('id="project"') :]
    response = admin.post(
        "/admin/users/pm.chen/project-roles", {"project": "PRJ-101", "role": "finance"}
    )
    assert response.status_code == 302
    page = text_of(client, "/admin/users/pm.chen")
    assert "Granted finance on PRJ-101 to pm.chen." in page
    on_projects = page[page.index("Roles on projects") : page.index("Delegations")]
    assert "PRJ-101" in on_projects and "finance" in on_projects

    data = {"role": "finance", "project": "PRJ-101"}
    admin.post("/admin/users/pm.chen/roles/revoke", data, "/admin/users/pm.chen")
    page = text_of(client, "/admin/users/pm.chen")
    assert "Revoked finance on PRJ-101 from pm.chen." in page
    assert "PRJ-101" in page[page.index("Ended grants") :]


def test_a_project_role_on_an_unknown_project_is_refused_next_to_the_key(admin: Auth) -> None:
    data = {"project": "NOPE-1", "role": "sponsor"}
    page = admin.post("/admin/users/pm.chen/project-roles", data).get_data(as_text=True)
    assert "There is no project 'NOPE-1'." in next_to(page, "project")


def test_the_user_page_lists_the_grants_and_delegations_of_a_sponsor(
    admin: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    assert "No delegation given or received." in text_of(client, "/admin/users/sponsor.ali")
    with workspace.unit_of_work() as uow:
        now = uow.now
        users.delegate(
            uow,
            demo_actor(uow, "sponsor.ali"),
            "sponsor.king",
            "sponsor",
            now,
            now + timedelta(days=14),
            None,
            "Leave",
        )
        uow.commit()
    page = text_of(client, "/admin/users/sponsor.ali")
    on_projects = page[page.index("Roles on projects") : page.index("Delegations")]
    assert "sponsor" in on_projects and "PRJ-" in on_projects
    delegations = page[page.index("Delegations") :]
    for text in ("sponsor.ali", "sponsor.king", "every project", "in force", "Leave"):
        assert text in delegations
    assert "sponsor.ali" in text_of(client, "/admin/users/sponsor.king").split("Delegations")[1]


def test_disabling_a_user_ends_the_session_they_already_have(
    admin: Auth, client: FlaskClient, app: Flask, workspace: Workspace
) -> None:
    other = Auth(app.test_client())
    other.login("pm.lee")
    assert other.client.get("/policies/").status_code == 200

    response = admin.post("/admin/users/pm.lee/active", {"state": "disable"}, "/admin/users/pm.lee")
    assert response.status_code == 302
    page = text_of(client, "/admin/users/pm.lee")
    assert "pm.lee is disabled; their sessions have ended." in page and "Enable pm.lee" in page

    after = other.client.get("/policies/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    assert events(workspace, "user.disabled") == 1

    admin.post("/admin/users/pm.lee/active", {"state": "enable"}, "/admin/users/pm.lee")
    assert "Disable pm.lee" in text_of(client, "/admin/users/pm.lee")
    other.login("pm.lee")
    assert other.client.get("/policies/").status_code == 200


@pytest.mark.parametrize("username", ["pmo", "auditor", "sponsor.king"])
def test_only_admins_may_use_the_admin_pages(
    auth: Auth, client: FlaskClient, username: str
) -> None:
    auth.login(username)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/pm.lee").status_code == 403
    assert auth.post("/admin/users", NEW_USER, page_url="/policies/").status_code == 403
    grant = auth.post("/admin/users/pm.lee/roles", {"role": "admin"}, page_url="/policies/")
    assert grant.status_code == 403


def test_an_unknown_user_is_not_found(admin: Auth, client: FlaskClient) -> None:
    assert client.get("/admin/users/nobody").status_code == 404


def test_an_admin_records_another_users_org_unit_and_team_but_never_their_own(
    admin: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    recorded = admin.post(
        "/admin/users/deputy/attributes",
        {"org_unit": "Internal Audit", "team": "Gateway reviews"},
        "/admin/users/deputy",
    )
    own_page = client.get("/admin/users/admin").get_data(as_text=True)
    own = admin.post(
        "/admin/users/admin/attributes", {"org_unit": "Internal Audit"}, "/admin/users/deputy"
    )

    with workspace.unit_of_work(read_only=True) as uow:
        deputy = users.find_user(uow, "deputy")
        mine = users.find_user(uow, "admin")
        assert (deputy.org_unit, deputy.team) == ("Internal Audit", "Gateway reviews")
        assert mine.org_unit == ""
    assert recorded.status_code == 302
    assert 'action="/admin/users/admin/attributes"' not in own_page
    assert "You cannot record your own org unit or team" in own.get_data(as_text=True)
