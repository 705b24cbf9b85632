"""Units of work with real commits: sign and decide run on a bare connection, and an ORM
session joins it only when a verb needs one (a conditional go's follow-ups)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from gates.decisions import FollowUp
from tests.integration.factories import LITE_FACTS, PASSWORD, read_in, run_in
from workflows.state import load_project
from workflows.store.records import AuditEvent, FollowUpRecord, Project, Review
from workflows.store.uow import UnitOfWork
from workflows.verbs import attach, audit, projects, reviews
from workflows.workspace import Workspace


class Interrupted(RuntimeError):
    """Stands for anything that fails half-way through a verb."""


@pytest.fixture
def desk(desks: list[Workspace]) -> Workspace:
    return desks[0]


def signed_lite_project(workspace: Workspace, key: str, decision: str = "go") -> None:
    run_in(
        workspace, projects.register_project, "pm", key, key, "lite", LITE_FACTS, sponsor="sponsor"
    )
    charter = io.BytesIO(f"charter of {key}".encode())
    run_in(workspace, attach.attach_file, "pm", key, "charter", charter, "charter.pdf")
    run_in(workspace, attach.attach_link, "pm", key, "project_plan", f"https://plan.example/{key}")
    run_in(workspace, reviews.submit_gate, "pm", key)
    comment = "" if decision == "go" else "The audit finding must be closed first."
    run_in(workspace, reviews.sign, "sponsor", key, decision, PASSWORD, comment=comment)
    run_in(workspace, reviews.sign, "pmo", key, decision, PASSWORD, comment=comment)


def test_a_conditional_go_commits_its_follow_ups_with_the_decision(desk):
    signed_lite_project(desk, "COND-1", decision="conditional_go")
    due = desk.clock().date() + timedelta(days=30)

    decided = run_in(
        desk,
        reviews.decide,
        "sponsor",
        "COND-1",
        "conditional_go",
        follow_ups=[FollowUp("Close the open audit finding", "Fay Finance", due)],
    )

    stored = read_in(
        desk,
        lambda uow: [
            (f.action, f.owner, f.due)
            for f in uow.session.scalars(
                select(FollowUpRecord).where(FollowUpRecord.review_id == decided.review.id)
            )
        ],
    )
    assert stored == [("Close the open audit finding", "finance", due)]
    assert read_in(desk, lambda uow: load_project(uow, "COND-1").stage) == "execution"
    assert read_in(desk, lambda uow: audit.verify(uow).ok)


def test_a_decision_interrupted_after_its_writes_leaves_the_review_open(desk, monkeypatch):
    signed_lite_project(desk, "HALT-1")
    events = select(func.count()).select_from(AuditEvent)
    before = read_in(desk, lambda uow: uow.session.execute(events).scalar())

    def fail(*args: Any, **kwargs: Any) -> None:
        raise Interrupted("the audit event could not be appended")

    monkeypatch.setattr(UnitOfWork, "record", fail)
    with pytest.raises(Interrupted):
        run_in(desk, reviews.decide, "sponsor", "HALT-1", "go")
    monkeypatch.undo()

    assert read_in(desk, lambda uow: load_project(uow, "HALT-1").stage) == "initiation"
    states = select(Review.state).join(Project).where(Project.key == "HALT-1")
    assert read_in(desk, lambda uow: list(uow.session.scalars(states))) == ["submitted"]
    assert read_in(desk, lambda uow: uow.session.execute(events).scalar()) == before
    assert run_in(desk, reviews.decide, "sponsor", "HALT-1", "go").new_stage == "execution"


def test_a_read_only_unit_of_work_refuses_to_record(desk):
    with desk.unit_of_work(read_only=True) as uow, pytest.raises(RuntimeError, match="writing"):
        uow.record("pm", "project.viewed")
