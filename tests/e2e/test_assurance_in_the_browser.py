"""An independent assurance review recorded in a real browser: the reviewer rates the round on
the policy's scale with a recommendation, and the sponsor then sees the rating and what it
leaves to decide."""

from __future__ import annotations

import re

from tests.e2e.conftest import Page
from tests.e2e.test_gate_in_the_browser import log_in
from tests.web.test_assurance_portal import open_assured_review
from workflows.workspace import Workspace


def test_a_reviewer_rates_a_round_red_and_the_sponsor_sees_what_it_leaves(
    portal: str, workspace: Workspace, new_page
) -> None:
    key = open_assured_review(workspace)
    reviewer: Page = new_page()
    log_in(reviewer, portal, "deputy")
    reviewer.goto(f"{portal}/approvals/{key}")
    reviewer.get_by_label("Rating").select_option("red")
    reviewer.get_by_label("Summary").fill("No benefits owner, no baseline")
    first = reviewer.get_by_role("group", name="Recommendation 1")
    first.get_by_label("Urgency").select_option("critical")
    first.get_by_label("Owner").fill("sponsor.king")
    first.get_by_label("Recommendation").fill("Name a benefits owner")
    reviewer.get_by_role("button", name="Record the assurance review").click()
    reviewer.wait_for_url(re.compile(rf".*/approvals/{key}$"))

    sponsor: Page = new_page()
    log_in(sponsor, portal, "sponsor.king")
    sponsor.goto(f"{portal}/approvals/{key}")
    card = sponsor.locator("section", has_text="Independent assurance review")

    assert card.get_by_text("Red", exact=True).is_visible()
    assert card.get_by_text("Name a benefits owner").is_visible()
    assert card.get_by_text("The rating leaves recycle, hold, kill.").is_visible()
