"""The sign form of an advisory sign-off offers its positions, not the gate's decisions, and a
position recorded shows on the review with its meaning."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask.testing import FlaskClient

from tests.actors import demo_actor
from tests.web.conftest import Auth
from web.demo import PASSWORD
from workflows.identity import system
from workflows.state import load_project
from workflows.verbs import attach, projects, publishing, reviews, users
from workflows.workspace import Workspace

LIBRARY = Path(__file__).parents[2] / "policies/library/lite.yaml"
PMO_SIGNOFF = "      - role: sponsor\n      - role: pmo\n"


def open_advised_review(workspace: Workspace) -> str:
    """ADV-1 under lite v3, whose first gate asks security for advice (advisory)."""
    source = re.sub(r"\nversion: \d+\n", "\nversion: 3\n", LIBRARY.read_text(), count=1)
    assert source.count(PMO_SIGNOFF) >= 1
    source = source.replace(
        PMO_SIGNOFF, PMO_SIGNOFF + "      - role: security\n        kind: advisory\n", 1
    )
    with workspace.unit_of_work() as uow:
        publishing.publish(uow, system(), source, "lite-v3.yaml")
        pm = demo_actor(uow, "pm.lee")
        projects.register_project(
            uow, pm, "ADV-1", "Advised", "lite", {"budget": "20000", "risk": "low"},
            "pm.lee", "sponsor.king",
        )  # fmt: skip
        project = load_project(uow, "ADV-1")
        users.grant_role(uow, demo_actor(uow, "admin"), "security", "security", project)
        attach.attach_file(uow, pm, "ADV-1", "charter", io.BytesIO(b"charter"), "c.pdf")
        attach.attach_link(uow, pm, "ADV-1", "project_plan", "https://plans.example/v1")
        reviews.submit_gate(uow, pm, "ADV-1")
        uow.commit()
    return "ADV-1"


def test_an_advisor_signs_a_position_and_the_review_shows_it(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    key = open_advised_review(workspace)
    auth.login("security")
    page = client.get(f"/approvals/{key}").get_data(as_text=True)
    signed = auth.post(
        f"/approvals/{key}/sign",
        {
            "decision": "disagree_but_support",
            "role": "security",
            "comment": "Would rather use single sign-on",
            "password": PASSWORD,
        },
        f"/approvals/{key}",
    )
    after = client.get(f"/approvals/{key}").get_data(as_text=True)

    offered = re.findall(r'<option value="([a-z_]+)"', page)
    assert "disagree_but_support" in offered and "go" not in offered
    assert signed.status_code == 302, signed.get_data(as_text=True)[:2000]
    assert "Disagreed but supported (advisory) as Information security" in after
