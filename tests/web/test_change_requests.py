"""Change requests in the portal: a change of facts that needs one shows its impact on the
facts page and is proposed there; the sponsor and the PMO approve it on its own page."""

from __future__ import annotations

import html

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.web.conftest import Auth
from workflows.store.records import PolicyVersion, Project, RoleGrant, User
from workflows.workspace import Workspace

SMALL = {
    "facts-budget": "10000",
    "facts-risk": "low",
    "facts-duration_months": "3",
    "facts-business_unit": "Finance",
    "facts-go_live_date": "2027-01-01",
}


@pytest.fixture
def project(workspace: Workspace) -> tuple[str, str, str]:
    """A standard project past its first gate, not small: its key, manager and sponsor."""
    with workspace.unit_of_work() as uow:
        query = (
            select(Project.key, User.username, RoleGrant.user_id)
            .join(PolicyVersion, PolicyVersion.id == Project.policy_version_id)
            .join(User, User.id == Project.manager_id)
            .join(RoleGrant, RoleGrant.project_id == Project.id)
            .where(
                PolicyVersion.policy_id == "standard",
                Project.stage.in_(("planning", "execution")),
                Project.tier != "small",
                RoleGrant.role == "sponsor",
                RoleGrant.revoked_at.is_(None),
            )
            .order_by(Project.key)
            .limit(1)
        )
        key, manager, sponsor_id = uow.session.execute(query).one()
        sponsor = uow.session.get(User, sponsor_id)
        assert sponsor is not None
        return key, manager, sponsor.username


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_change_that_needs_a_request_is_shown_proposed_and_approved_in_the_portal(
    auth: Auth, client: FlaskClient, project: tuple[str, str, str]
) -> None:
    key, manager, sponsor = project
    auth.login(manager)

    saved = auth.post(f"/projects/{key}/facts", {**SMALL, "save": "1", "reason": "Descoped"})
    page = text(saved)
    proposed = auth.post(f"/projects/{key}/facts", {**SMALL, "propose": "1", "reason": "Descoped"})
    change_url = proposed.headers["Location"]

    assert "This change needs a change request" in page
    assert "→ <strong>small</strong>" in page
    assert "Propose this change" in page
    assert proposed.status_code == 302 and "/changes/" in change_url
    assert "Open change requests" in text(client.get(f"/projects/{key}"))
    assert "Approve</button>" not in text(client.get(change_url)), "the manager never approves"

    client.post("/logout")
    auth.login(sponsor)
    auth.post(f"{change_url}/approve", {}, change_url)
    client.post("/logout")
    auth.login("pmo")
    approved = auth.post(f"{change_url}/approve", {}, change_url)

    assert approved.status_code == 302
    assert "applied" in text(client.get(change_url))
    assert "Open change requests" not in text(client.get(f"/projects/{key}"))


def test_proposing_without_a_reason_is_refused_and_the_impact_stays_on_the_page(
    auth: Auth, project: tuple[str, str, str]
) -> None:
    key, manager, _ = project
    auth.login(manager)

    page = text(auth.post(f"/projects/{key}/facts", {**SMALL, "propose": "1", "reason": ""}))

    assert "A change request needs a reason: say why the facts change." in page
    assert "Propose this change" in page and "→ <strong>small</strong>" in page
    assert "Project sponsor and PMO" in page
