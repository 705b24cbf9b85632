"""The review page of a gate that takes a panel's vote: the tally, and the vote form for the
panel's members only."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from tests.actors import demo_actor
from tests.web.conftest import Auth
from workflows.identity import system
from workflows.state import load_project
from workflows.verbs import attach, projects, publishing, reviews, users
from workflows.workspace import Workspace

LIBRARY = "policies/library/lite.yaml"


def open_voted_review(workspace: Workspace) -> str:
    """VOTE-1 under lite v3, whose first gate's go needs a majority of its gatekeepers
    (deputy, finance), submitted by its manager."""
    from pathlib import Path

    source = (Path(__file__).parents[2] / LIBRARY).read_text()
    source = re.sub(r"\nversion: \d+\n", "\nversion: 3\n", source, count=1)
    source = source.replace("roles:\n", "roles:\n  gatekeeper:\n    title: Gatekeeper\n", 1)
    source = source.replace(
        "  - id: initiation\n",
        "  - id: initiation\n    vote: {panel: gatekeeper, needs: majority}\n",
        1,
    )
    with workspace.unit_of_work() as uow:
        publishing.publish(uow, system(), source, "lite-v3.yaml")
        pm = demo_actor(uow, "pm.lee")
        projects.register_project(
            uow, pm, "VOTE-1", "Voted", "lite", {"budget": "20000", "risk": "low"},
            "pm.lee", "sponsor.king",
        )  # fmt: skip
        project = load_project(uow, "VOTE-1")
        for member in ("deputy", "finance"):
            users.grant_role(uow, demo_actor(uow, "admin"), member, "gatekeeper", project)
        attach.attach_file(uow, pm, "VOTE-1", "charter", io.BytesIO(b"charter"), "c.pdf")
        attach.attach_link(uow, pm, "VOTE-1", "project_plan", "https://plans.example/v1")
        reviews.submit_gate(uow, pm, "VOTE-1")
        uow.commit()
    return "VOTE-1"


def test_a_panel_member_sees_the_tally_and_votes_and_others_get_no_form(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    key = open_voted_review(workspace)
    auth.login("deputy")
    page = client.get(f"/approvals/{key}").get_data(as_text=True)
    voted = auth.post(
        f"/approvals/{key}/vote", {"vote-decision": "go", "vote-comment": "Sound"},
        f"/approvals/{key}",
    )  # fmt: skip
    after = client.get(f"/approvals/{key}").get_data(as_text=True)
    auth.login("sponsor.king")
    sponsor = client.get(f"/approvals/{key}").get_data(as_text=True)

    assert "Panel vote" in page and "A go needs 2 of the 2 members" in page
    assert f'action="/approvals/{key}/vote"' in page
    assert voted.status_code == 302
    assert "<strong>1</strong> did" in after and "deputy: go" in after
    assert f'action="/approvals/{key}/vote"' not in after, "one vote a round"
    assert "Panel vote" in sponsor and f'action="/approvals/{key}/vote"' not in sponsor
