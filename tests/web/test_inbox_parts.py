"""My approvals beyond signing: what is escalated to the user, what they wait on, what they
submitted."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from workflows.views.escalations import escalated_to
from workflows.workspace import Workspace


def text(response) -> str:
    return response.get_data(as_text=True)


def escalated_keys(ws: Workspace, username: str) -> list[str]:
    with ws.unit_of_work() as uow:
        found = escalated_to(uow, username, 1, 1000)
        return [e.project.key for e in found.escalated]


def test_the_pmo_sees_the_demo_reviews_past_their_service_level_escalated(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    keys = escalated_keys(workspace, "pmo")
    auth.login("pmo")
    html = text(client.get("/approvals/"))

    assert keys, "the demo has reviews past their service level"
    assert "Escalated to you" in html
    assert all(f"/projects/{key}" in html for key in keys[:25])
    assert re.search(r"\d+ days overdue", html)


def test_a_sponsor_is_not_told_of_escalations(auth, client: FlaskClient) -> None:
    auth.login("sponsor.king")

    assert "Escalated to you" not in text(client.get("/approvals/"))
