"""The review page of a gate that takes an independent assurance review: the form for an
independent reviewer only, the rating and recommendations once recorded, and what the rating
does to the decision."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask.testing import FlaskClient

from tests.actors import demo_actor
from tests.web.conftest import Auth
from workflows.identity import system
from workflows.state import load_project
from workflows.verbs import attach, projects, publishing, reviews, users
from workflows.workspace import Workspace

LIBRARY = Path(__file__).parents[2] / "policies/library/lite.yaml"
ASSURANCE = """\
  - id: initiation
    assurance:
      reviewers: gateway_reviewer
      scale: rag
      rules:
        - when: assurance.rating == "red"
          decisions: [recycle, hold, kill]
"""
PLACES = {
    "pm.lee": ("IT", "Delivery"),
    "sponsor.king": ("Sales", "Leadership"),
    "deputy": ("Internal Audit", "Assurance"),
}


def open_assured_review(workspace: Workspace) -> str:
    """GW-1 under lite v3, whose first gate needs a gateway review on a red/amber/green
    scale; deputy is its reviewer; submitted by its manager."""
    source = re.sub(r"\nversion: \d+\n", "\nversion: 3\n", LIBRARY.read_text(), count=1)
    source = source.replace(
        "roles:\n", "roles:\n  gateway_reviewer:\n    title: Gateway reviewer\n", 1
    )
    source = source.replace(
        "tiers:\n", "rating_scales:\n  rag:\n    title: RAG\n    ratings: [green, amber, red]\n"
        "tiers:\n", 1,
    )  # fmt: skip
    source = source.replace("  - id: initiation\n", ASSURANCE, 1)
    with workspace.unit_of_work() as uow:
        publishing.publish(uow, system(), source, "lite-v3.yaml")
        admin, pm = demo_actor(uow, "admin"), demo_actor(uow, "pm.lee")
        for who, (unit, team) in PLACES.items():
            users.set_attributes(uow, admin, who, unit, team)
        projects.register_project(
            uow, pm, "GW-1", "Assured", "lite", {"budget": "20000", "risk": "low"},
            "pm.lee", "sponsor.king",
        )  # fmt: skip
        users.grant_role(uow, admin, "deputy", "gateway_reviewer", load_project(uow, "GW-1"))
        attach.attach_file(uow, pm, "GW-1", "charter", io.BytesIO(b"charter"), "c.pdf")
        attach.attach_link(uow, pm, "GW-1", "project_plan", "https://plans.example/v1")
        reviews.submit_gate(uow, pm, "GW-1")
        uow.commit()
    return "GW-1"


def test_an_independent_reviewer_rates_the_round_and_others_get_no_form(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    key = open_assured_review(workspace)
    auth.login("sponsor.king")
    sponsor = client.get(f"/approvals/{key}").get_data(as_text=True)
    auth.login("deputy")
    page = client.get(f"/approvals/{key}").get_data(as_text=True)
    rated = auth.post(
        f"/approvals/{key}/assure",
        {
            "assure-rating": "red",
            "assure-summary": "No benefits owner",
            "assure-recommendations-0-urgency": "critical",
            "assure-recommendations-0-owner": "sponsor.king",
            "assure-recommendations-0-action": "Name a benefits owner",
        },
        f"/approvals/{key}",
    )
    after = client.get(f"/approvals/{key}").get_data(as_text=True)

    assert "Independent assurance review" in sponsor
    assert f'action="/approvals/{key}/assure"' not in sponsor, "a sponsor is not independent"
    assert f'action="/approvals/{key}/assure"' in page
    assert rated.status_code == 302
    assert "<strong>Red</strong>" in after and "Name a benefits owner" in after
    assert "The rating leaves recycle, hold, kill." in after
    assert f'action="/approvals/{key}/assure"' not in after, "one review a round"


def test_a_rating_off_the_scale_is_refused_next_to_its_input(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    key = open_assured_review(workspace)
    auth.login("deputy")

    refused = auth.post(
        f"/approvals/{key}/assure",
        {"assure-rating": "purple", "assure-summary": "Odd"},
        f"/approvals/{key}",
    )

    assert refused.status_code == 400
    assert "Not a valid choice" in refused.get_data(as_text=True)
