"""The project page lists the reviews ahead of a project: a recurring review before it comes,
or due, with what asks for it."""

from __future__ import annotations

from sqlalchemy import exists, select

from tests.actors import demo_actor
from tests.integration.factories import policy_source
from tests.integration.test_triggered_reviews import PLANNING, TRIGGERS
from workflows.identity import system
from workflows.machines import SUBMITTED
from workflows.store.records import PolicyVersion, Project, Review
from workflows.verbs import publishing
from workflows.verbs.migration import migrate


def test_the_project_page_lists_a_recurring_review_ahead(auth, client, workspace) -> None:
    source = policy_source("standard", 9).replace(PLANNING, PLANNING + "    repeatable: true\n")
    with workspace.unit_of_work() as uow:
        publishing.publish(uow, system(), source + TRIGGERS, "standard-v9.yaml")
        key = uow.session.execute(
            select(Project.key)
            .join(PolicyVersion, PolicyVersion.id == Project.policy_version_id)
            .where(Project.stage == "execution", PolicyVersion.policy_id == "standard")
            .where(~exists().where(Review.project_id == Project.id, Review.state == SUBMITTED))
            .order_by(Project.key)
            .limit(1)
        ).scalar_one()
        migrate(uow, demo_actor(uow, "pmo"), key, 9, "The yearly baseline review applies")
        uow.commit()
    auth.login("pmo")

    page = client.get(f"/projects/{key}").text

    assert "Reviews ahead" in page
    assert "G2 Baseline approval (planning)" in page
    assert "recurring review every 12 months, first 6 months after gate planning" in page
