"""A gate passed in a real browser: the project manager submits, the approvers sign with
their password typed again, the sponsor decides, the project advances, and an auditor
verifies the trail. Screenshots of the dashboard, a project page and a review page are saved
under test-output/."""

from __future__ import annotations

import io
import re
from pathlib import Path

from tests.actors import demo_actor
from tests.e2e.conftest import Page
from web.demo import PASSWORD
from workflows.verbs import attach, projects
from workflows.workspace import Workspace

KEY = "E2E-1"


def prepare_project_ready_to_submit(ws: Workspace) -> None:
    """A lite project whose first gate has all its evidence attached."""
    with ws.unit_of_work() as uow:
        projects.register_project(
            uow,
            demo_actor(uow, "pm.lee"),
            KEY,
            "Browser-tested wiki move",
            "lite",
            {"budget": "12000", "risk": "low"},
            "pm.lee",
            "sponsor.king",
        )
        attach.attach_file(
            uow, demo_actor(uow, "pm.lee"), KEY, "charter", io.BytesIO(b"charter"), "charter.pdf"
        )
        attach.attach_link(
            uow, demo_actor(uow, "pm.lee"), KEY, "project_plan", "https://wiki.example.com/plan"
        )
        uow.commit()


def log_in(page: Page, portal: str, username: str) -> None:
    page.goto(f"{portal}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))


def sign(page: Page, portal: str) -> None:
    page.goto(f"{portal}/approvals/{KEY}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign").click()
    assert page.locator(".message").filter(has_text="Approved as").count() >= 1


def test_a_gate_is_submitted_signed_decided_and_verified_in_the_browser(
    portal: str, workspace: Workspace, new_page, screenshots: Path
) -> None:
    prepare_project_ready_to_submit(workspace)

    manager = new_page()
    log_in(manager, portal, "pm.lee")
    manager.goto(f"{portal}/projects/{KEY}")
    manager.screenshot(path=str(screenshots / "project-page.png"), full_page=True)
    manager.get_by_role("button", name=re.compile("^Submit .* for review$")).click()
    assert manager.get_by_role("heading", name="Open review").is_visible()

    sponsor = new_page()
    log_in(sponsor, portal, "sponsor.king")
    sponsor.get_by_role("link", name="My approvals", exact=True).click()
    sponsor.get_by_role("link", name=re.compile(KEY)).first.click()
    sign(sponsor, portal)
    sponsor.screenshot(path=str(screenshots / "review-page.png"), full_page=True)

    pmo = new_page()
    log_in(pmo, portal, "pmo")
    sign(pmo, portal)

    sponsor.goto(f"{portal}/approvals/{KEY}")
    sponsor.get_by_label("Decision").first.select_option("go")
    sponsor.get_by_role("button", name="Record decision").click()
    sponsor.wait_for_url(re.compile(rf".*/projects/{KEY}$"))
    assert sponsor.locator("ol.tracker li.current").inner_text().startswith("Execution")

    pmo.goto(f"{portal}/portfolio/")
    pmo.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)

    auditor = new_page()
    log_in(auditor, portal, "auditor")
    auditor.goto(f"{portal}/audit/?project={KEY}")
    assert auditor.get_by_text("review.decided").count() >= 1
    auditor.get_by_role("button", name="Verify the trail").first.click()
    assert auditor.get_by_text("The trail is intact").is_visible()


def test_a_wrong_password_is_refused_next_to_the_password_field(
    portal: str, workspace: Workspace, new_page
) -> None:
    prepare_project_ready_to_submit(workspace)
    manager = new_page()
    log_in(manager, portal, "pm.lee")
    manager.goto(f"{portal}/projects/{KEY}")
    manager.get_by_role("button", name=re.compile("^Submit .* for review$")).click()

    sponsor = new_page()
    log_in(sponsor, portal, "sponsor.king")
    sponsor.goto(f"{portal}/approvals/{KEY}")
    sponsor.get_by_label("Password").fill("not-my-password")
    sponsor.get_by_role("button", name="Sign").click()
    help_text = sponsor.locator("#password-help")
    assert "The password is not correct" in help_text.inner_text()


def test_pages_are_usable_on_a_phone_and_by_keyboard(
    portal: str, new_page, screenshots: Path
) -> None:
    phone = new_page(width=375)
    log_in(phone, portal, "pmo")
    for path, name in (
        ("/projects/", "projects"),
        ("/approvals/", "approvals"),
        ("/portfolio/", "dashboard"),
    ):
        phone.goto(portal + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways at 375 px ({overflow} px)"
        phone.screenshot(path=str(screenshots / f"phone-{name}.png"), full_page=True)
    phone.goto(portal + "/")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip"
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "main"
