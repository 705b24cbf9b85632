"""The waiver pages: a project's manager requests a waiver on the project's waivers page, the
PMO approves or denies it there; the portfolio's waivers page is the PMO's, by status."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from tests.actors import authenticated
from tests.web.conftest import Auth
from web.demo import PASSWORD
from workflows.views.paging import Cursor
from workflows.views.waivers import WaiverRow, portfolio_waivers
from workflows.workspace import Workspace


def waivers_with(workspace: Workspace, status: str) -> list[WaiverRow]:
    with workspace.unit_of_work() as uow:
        pmo = authenticated(uow, "pmo", PASSWORD)
        return portfolio_waivers(uow, pmo, status, Cursor(), 50).rows


def page(client: FlaskClient, url: str) -> str:
    return html.unescape(client.get(url).get_data(as_text=True))


@pytest.fixture
def asked(workspace: Workspace) -> WaiverRow:
    """The demo's waiver awaiting a decision, requested by its project's manager."""
    return waivers_with(workspace, "requested")[0]


def test_the_demo_shows_one_approved_and_one_requested_waiver(workspace: Workspace) -> None:
    [approved] = waivers_with(workspace, "approved")
    [requested] = waivers_with(workspace, "requested")

    assert approved.decided_by == "pmo" and approved.requested_by.startswith("pm.")
    assert requested.decided_by is None


def test_the_pmo_approves_a_requested_waiver_on_the_projects_waivers_page(
    auth: Auth, client: FlaskClient, asked: WaiverRow
) -> None:
    auth.login("pmo")
    url = f"/projects/{asked.project_key}/waivers"
    before = page(client, url)

    approved = auth.post(f"{url}/{asked.id}/approve", {}, url)
    after = page(client, url)

    assert "Approve" in before and "Deny" in before
    assert approved.status_code == 302
    assert f"Waiver {asked.id} of {asked.requirement} is approved." in after
    assert "Revoke" in after
    assert asked.requirement in page(client, "/waivers?status=approved")


def test_the_requester_is_offered_no_approval_and_may_request_another(
    auth: Auth, client: FlaskClient, asked: WaiverRow
) -> None:
    auth.login(asked.requested_by)
    url = f"/projects/{asked.project_key}/waivers"
    until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()

    before = page(client, url)
    requested = auth.post(
        url,
        {"requirement": asked.requirement, "justification": "Second opinion", "expires_at": until},
    )
    after = page(client, url)

    assert "Approve" not in before and "Request a waiver" in before
    assert requested.status_code == 302
    assert "it awaits approval" in after and "Second opinion" in after


def test_a_request_past_the_policys_maximum_is_refused_next_to_its_field(
    auth: Auth, client: FlaskClient, asked: WaiverRow
) -> None:
    auth.login(asked.requested_by)
    url = f"/projects/{asked.project_key}/waivers"
    until = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()

    refused = auth.post(
        url, {"requirement": asked.requirement, "justification": "Why", "expires_at": until}
    )

    assert refused.status_code == 200
    assert "A waiver lasts at most 90 days under this policy" in html.unescape(
        refused.get_data(as_text=True)
    )


def test_a_denial_without_a_reason_is_refused_and_changes_nothing(
    auth: Auth, client: FlaskClient, workspace: Workspace, asked: WaiverRow
) -> None:
    auth.login("pmo")
    url = f"/projects/{asked.project_key}/waivers"

    auth.post(f"{url}/{asked.id}/deny", {"reason": ""}, url)

    assert "Give a reason" in page(client, url)
    assert [w.id for w in waivers_with(workspace, "requested")] == [asked.id]


def test_the_portfolio_waivers_page_is_the_pmos_and_filters_waivers_without_expiry(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("sponsor.king")
    assert client.get("/waivers").status_code == 403
    auth.login("pmo")

    listing = page(client, "/waivers?status=no_expiry")

    assert "No expiry (granted before expiries were required)" in listing
    assert "No waiver matches this filter." in listing
