"""Holding, resuming and killing a project from its page: offered to the sponsor and the PMO
only (never to the project's manager for a kill), with a reason shown on the page after."""

from __future__ import annotations

import html

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.web.conftest import Auth
from workflows.store.records import Project, RoleGrant, User
from workflows.workspace import Workspace


def sponsored_by(workspace: Workspace, username: str) -> str:
    """A project this person sponsors that moves normally (not held, killed or closed)."""
    with workspace.unit_of_work() as uow:
        query = (
            select(Project.key)
            .join(RoleGrant, RoleGrant.project_id == Project.id)
            .join(User, User.id == RoleGrant.user_id)
            .where(
                User.username == username,
                RoleGrant.role == "sponsor",
                RoleGrant.revoked_at.is_(None),
                Project.stage.not_in(("on_hold", "killed", "closed")),
            )
            .order_by(Project.key)
            .limit(1)
        )
        return uow.session.execute(query).scalar_one()


def page_of(client: FlaskClient, key: str) -> str:
    return html.unescape(client.get(f"/projects/{key}").get_data(as_text=True))


@pytest.fixture
def key(workspace: Workspace) -> str:
    return sponsored_by(workspace, "sponsor.king")


def test_the_sponsor_holds_then_resumes_a_project_and_the_page_says_why(
    auth: Auth, client: FlaskClient, key: str
) -> None:
    auth.login("sponsor.king")
    stage_before = page_of(client, key)

    held = auth.post(
        f"/projects/{key}/move/hold", {"reason": "Vendor offer late"}, f"/projects/{key}"
    )
    on_hold = page_of(client, key)
    resumed = auth.post(f"/projects/{key}/move/resume", {"reason": "Offer in"}, f"/projects/{key}")

    assert "Put on hold" in stage_before and "Resume" not in stage_before
    assert held.status_code == 302
    assert "This project is on hold since" in on_hold and "Vendor offer late" in on_hold
    assert "Resume" in on_hold
    assert resumed.status_code == 302
    assert "This project is on hold" not in page_of(client, key)


def test_a_move_without_a_reason_changes_nothing(auth: Auth, client: FlaskClient, key: str) -> None:
    auth.login("sponsor.king")

    auth.post(f"/projects/{key}/move/hold", {"reason": ""}, f"/projects/{key}")

    page = page_of(client, key)
    assert "Give a reason" in page and "This project is on hold" not in page


def test_the_project_manager_is_offered_no_move_and_cannot_force_one(
    auth: Auth, client: FlaskClient, workspace: Workspace, key: str
) -> None:
    with workspace.unit_of_work() as uow:
        manager = uow.session.execute(select(Project).where(Project.key == key)).unique()
        username = manager.scalar_one().manager.username
    auth.login(username)

    page = page_of(client, key)
    forced = auth.post(f"/projects/{key}/move/kill", {"reason": "Mine"}, f"/projects/{key}")

    assert "Project status" not in page
    assert forced.status_code == 302
    after = page_of(client, key)
    assert "Only the sponsor or the PMO may kill the project." in after
    assert "This project was killed" not in after
