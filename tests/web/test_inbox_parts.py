"""My approvals beyond signing: what is escalated to the user, what they wait on, what they
submitted."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gates.escalation import sees_escalation
from gates.signoffs import Part
from tests.actors import demo_actor
from web.demo import PEOPLE
from workflows.authority import person_on
from workflows.machines import SUBMITTED
from workflows.state import load_project
from workflows.store.records import Project, Review
from workflows.verbs import reviews, users
from workflows.views.approvals import my_approvals
from workflows.views.escalations import escalated_to
from workflows.views.watching import coming_up
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


def test_a_sponsor_sees_every_open_review_on_their_projects_until_they_have_signed(
    workspace: Workspace,
) -> None:
    for sponsor in ("sponsor.king", "sponsor.ali"):
        with workspace.unit_of_work() as uow:
            expected = sponsors_open_reviews(uow, sponsor)
            user_id = users.find_user(uow, sponsor).id
            shown = {
                a.project.key
                for part in Part
                for a in my_approvals(uow, user_id, part, 1, 1000).approvals
            } | {w.project.key for w in coming_up(uow, user_id, 1000)}
        assert expected, f"{sponsor} sponsors open reviews in the demo"
        assert expected == shown, sponsor


def sponsors_open_reviews(uow, username: str) -> set[str]:
    """The open reviews of the projects `username` sponsors, but those they signed."""
    found = set()
    opened = select(Project.key).join(Review).where(Review.state == SUBMITTED)
    for key in uow.session.execute(opened).scalars():
        project = load_project(uow, key)
        if "sponsor" not in person_on(uow, username, project).roles:
            continue
        review = reviews.gate_status(uow, demo_actor(uow, "pmo"), key).review
        signed = {
            s.signer for s in review.signatures if s.snapshot_digest == review.snapshot_digest
        }
        if username not in signed:
            found.add(key)
    return found


def test_a_sponsor_sees_what_comes_up_on_their_projects_under_waiting_on_others(
    auth, client: FlaskClient
) -> None:
    auth.login("sponsor.king")
    waiting = text(client.get("/approvals/?part=waiting"))
    turn = text(client.get("/approvals/"))

    assert "Coming up on projects you sponsor" in waiting
    assert "/projects/PRJ-105" in waiting and "Waiting for Grace Müller" in waiting
    assert "Coming up on projects you sponsor" not in turn


def test_a_project_manager_sees_their_submissions_and_whose_turn_it_is(
    auth, client: FlaskClient
) -> None:
    auth.login("pm.garcia")
    html = text(client.get("/approvals/"))
    section = html.split("Your submissions")[1].split("</section>")[0]

    assert "PRJ-105" in section and "PRJ-118" in section
    assert "Waiting for Grace Müller (Finance business partner)." in section


def test_a_recycled_project_says_who_recycled_it_and_why(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    with workspace.unit_of_work() as uow:
        sponsor = next(
            name
            for name in ("sponsor.king", "sponsor.ali")
            if "sponsor" in person_on(uow, name, load_project(uow, "PRJ-105")).roles
        )
        reviews.decide(uow, demo_actor(uow, sponsor), "PRJ-105", "recycle", "Costs unsupported")
        uow.commit()
    auth.login("pm.garcia")
    html = text(client.get("/projects/PRJ-105"))

    banner = html.split('id="standing">')[1].split("</p>")[0]
    assert "was recycled" in banner and f"({sponsor})" in banner
    assert "Costs unsupported" in banner


@pytest.mark.parametrize("username", [p.username for p in PEOPLE])
def test_the_escalated_part_is_what_the_escalation_rule_gives_every_demo_user(
    workspace: Workspace, username: str
) -> None:
    with workspace.unit_of_work() as uow:
        opened = select(Review, Project).join(Project).where(Review.state == SUBMITTED)
        told = set()
        for review, project in uow.session.execute(opened).unique().all():
            gate = uow.workspace.policy(project.policy_version).gate(review.gate_id)
            person = person_on(uow, username, project)
            if gate and sees_escalation(person, gate, review.due_at, uow.now):
                told.add(project.key)

    assert set(escalated_keys(workspace, username)) == told
