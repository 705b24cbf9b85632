"""Decisions that bind, in the portal: the owner closes a condition from the project page and
sees it in their inbox; a PMO override is asked for by one PMO member and confirmed by another."""

from __future__ import annotations

import html

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.web.conftest import Auth
from workflows.store.records import FollowUpRecord, OverrideRecord, Project, Review
from workflows.verbs.overrides import REQUESTED
from workflows.workspace import Workspace


def page(client: FlaskClient, url: str) -> str:
    return html.unescape(client.get(url).get_data(as_text=True))


def open_condition(workspace: Workspace) -> tuple[str, int, str]:
    """(project key, condition id, owner) of an open condition of the demo."""
    with workspace.unit_of_work() as uow:
        query = (
            select(Project.key, FollowUpRecord.id, FollowUpRecord.owner)
            .join(Review, FollowUpRecord.review_id == Review.id)
            .join(Project, Review.project_id == Project.id)
            .where(FollowUpRecord.done_at.is_(None))
            .order_by(FollowUpRecord.id)
            .limit(1)
        )
        key, condition, owner = uow.session.execute(query).one()
        return key, condition, owner


def test_the_owner_sees_their_conditions_in_their_inbox_and_closes_one_on_the_project_page(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    key, condition, owner = open_condition(workspace)
    auth.login(owner)

    inbox = page(client, "/approvals/")
    before = page(client, f"/projects/{key}")
    closed = auth.post(
        f"/projects/{key}/conditions/{condition}/close",
        {"note": "Both risks closed in the register", "evidence": ""},
        f"/projects/{key}",
    )
    after = page(client, f"/projects/{key}")

    assert "Conditions you own" in inbox and f"/projects/{key}#condition-{condition}" in inbox
    assert "Close the condition" in before
    assert closed.status_code == 302
    assert f"closed by {owner}" in after and "Both risks closed in the register" in after


def test_nobody_but_the_owner_is_offered_to_close_a_condition_or_may_close_it(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    key, condition, _ = open_condition(workspace)
    auth.login("pmo")

    shown = page(client, f"/projects/{key}")
    auth.post(f"/projects/{key}/conditions/{condition}/close", {"note": "Done"}, f"/projects/{key}")
    after = page(client, f"/projects/{key}")

    assert "Close the condition" not in shown
    assert "may close it" in after
    with workspace.unit_of_work() as uow:
        assert uow.session.get(FollowUpRecord, condition).done_at is None


def blocked_review(workspace: Workspace) -> str:
    """A project of the demo whose open review still misses something."""
    with workspace.unit_of_work() as uow:
        query = (
            select(Project.key)
            .join(Review, Review.project_id == Project.id)
            .where(Review.state == "submitted")
            .order_by(Project.key)
        )
        return uow.session.execute(query).scalars().first()


def test_a_pmo_override_is_asked_for_by_one_pmo_member_and_confirmed_by_another(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    key = blocked_review(workspace)
    auth.login("pmo")
    offered = page(client, f"/approvals/{key}")
    auth.post(f"/approvals/{key}/override", {"override-reason": "Board minute 12"})
    with workspace.unit_of_work() as uow:
        asked = uow.session.execute(
            select(OverrideRecord).where(OverrideRecord.state == REQUESTED)
        ).scalar_one()
        override_id = asked.id
    waiting_for_the_asker = page(client, f"/approvals/{key}")

    auth.login("pmo.mensah")
    confirmed = auth.post(
        f"/approvals/{key}/override/{override_id}",
        {"answer-answer": "Agreed", "answer-choice": "confirm"},
        f"/approvals/{key}",
    )
    project_page = page(client, f"/projects/{key}")

    assert "Ask for an override" in offered
    assert "A second member of the PMO confirms or declines it." in waiting_for_the_asker
    assert confirmed.status_code == 302 and confirmed.location.endswith(f"/projects/{key}")
    assert "Forced through by PMO override" in project_page and "Board minute 12" in project_page


def test_the_override_form_is_not_offered_to_a_sponsor(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    key = blocked_review(workspace)
    auth.login("sponsor.king")

    assert "Ask for an override" not in page(client, f"/approvals/{key}")
