"""In a real browser: an auditor reconciles the tables with the trail (deep verification) and
sees a row changed behind Lockgate's back named; the PMO moves a project to a newer policy
version from that version's impact page."""

from __future__ import annotations

import re

from sqlalchemy import text

from policies.library import LIBRARY
from tests.e2e.conftest import Page
from tests.e2e.test_gate_in_the_browser import log_in
from workflows.identity import system
from workflows.verbs import publishing
from workflows.workspace import Workspace


def test_deep_verification_names_a_stage_edited_in_the_database(
    portal: str, workspace: Workspace, new_page
) -> None:
    auditor: Page = new_page()
    log_in(auditor, portal, "auditor")
    auditor.goto(f"{portal}/audit/")
    auditor.get_by_label("Also reconcile the tables with the trail (deep)").check()
    auditor.get_by_role("button", name="Verify the trail").first.click()
    assert auditor.get_by_text("and the tables agree with it").is_visible()

    with workspace.unit_of_work() as uow:  # an insider edits a stage
        query = "SELECT min(key) FROM projects WHERE stage NOT IN ('closed', 'killed')"
        key = uow.session.execute(text(query)).scalar_one()
        uow.session.execute(text("UPDATE projects SET stage = 'closed' WHERE key = :k"), {"k": key})
        uow.commit()
    auditor.goto(f"{portal}/audit/")
    auditor.get_by_label("Also reconcile the tables with the trail (deep)").check()
    auditor.get_by_role("button", name="Verify the trail").first.click()

    assert auditor.get_by_text(re.compile(r"1 row disagree")).is_visible()
    row = auditor.locator("tbody tr").filter(has_text=key)
    assert row.locator("td").nth(2).inner_text() == "stage"
    assert row.locator("td").nth(4).inner_text() == "closed"


def test_the_pmo_moves_a_project_from_a_versions_impact_page(
    portal: str, workspace: Workspace, new_page
) -> None:
    source = (LIBRARY / "standard.yaml").read_text(encoding="utf-8")
    with workspace.unit_of_work() as uow:
        publishing.publish(uow, system(), source.replace("version: 3\n", "version: 4\n", 1), "v4")
        uow.commit()
    pmo: Page = new_page()
    log_in(pmo, portal, "pmo")
    pmo.goto(f"{portal}/policies/standard/4")
    pmo.get_by_role("link", name="Impact on projects in flight").click()
    box = pmo.locator("input[name=key]").first
    key = box.get_attribute("value")

    box.check()
    pmo.get_by_label("Reason").fill("Adopt standard 4")
    pmo.get_by_role("button", name="Move the chosen projects").click()

    assert pmo.get_by_text("Moved 1 project to standard@4.").is_visible()
    pmo.goto(f"{portal}/projects/{key}")
    assert pmo.get_by_text("standard@4").first.is_visible()
