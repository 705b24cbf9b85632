"""Invariant 7: people acting on one project at the same moment never cause a lost update or a
double transition. Threads with their own workspaces and sessions race on a committed database
(PostgreSQL: row locks; SQLite: BEGIN IMMEDIATE), started together by a barrier."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.integration.factories import LITE_FACTS, PASSWORD, read_in, run_in
from workflows.errors import Conflict, Refused
from workflows.state import load_project
from workflows.store.records import ArtifactVersion, AuditEvent, SignatureRecord
from workflows.verbs import attach, audit, projects, reviews
from workflows.workspace import Workspace

ROUNDS = 5


def race(*contenders: list[Callable[[], Any]]) -> list[list[Any]]:
    """Run each contender's steps in its own thread, all released at once by a barrier.

    Returns, per contender, what each step returned or raised.
    """
    barrier = threading.Barrier(len(contenders))
    outcomes: list[list[Any]] = [[] for _ in contenders]

    def contend(steps: list[Callable[[], Any]], outcome: list[Any]) -> None:
        barrier.wait(timeout=30)
        for step in steps:
            try:
                outcome.append(step())
            except Exception as error:  # every outcome is asserted on
                outcome.append(error)

    threads = [
        threading.Thread(target=contend, args=(steps, outcome))
        for steps, outcome in zip(contenders, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a contender hung (deadlock?)"
    return outcomes


def submitted_lite_project(workspace: Workspace, key: str) -> None:
    name = f"Race {key}"
    run_in(
        workspace, projects.register_project, "pm", key, name, "lite", LITE_FACTS, sponsor="sponsor"
    )
    charter = io.BytesIO(f"charter of {key}".encode())
    run_in(workspace, attach.attach_file, "pm", key, "charter", charter, "charter.pdf")
    run_in(workspace, attach.attach_link, "pm", key, "project_plan", f"https://plan.example/{key}")
    run_in(workspace, reviews.submit_gate, "pm", key)


def decided_events(workspace: Workspace, key: str) -> int:
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.project_key == key, AuditEvent.action == "review.decided")
    )
    return read_in(workspace, lambda uow: uow.session.execute(query).scalar())


def trail_is_intact(workspace: Workspace) -> bool:
    return read_in(workspace, lambda uow: audit.verify(uow).ok)


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_two_approvers_signing_and_deciding_at_once_move_the_project_exactly_once(desks, round_):
    prepare, first, second = desks
    key = f"RACE-{round_}"
    submitted_lite_project(prepare, key)

    outcomes = race(
        [
            lambda: run_in(first, reviews.sign, "sponsor", key, "go", PASSWORD),
            lambda: run_in(first, reviews.decide, "sponsor", key, "go"),
        ],
        [
            lambda: run_in(second, reviews.sign, "pmo", key, "go", PASSWORD),
            lambda: run_in(second, reviews.decide, "pmo", key, "go"),
        ],
    )

    signatures = [steps[0] for steps in outcomes]
    decisions = [steps[1] for steps in outcomes]
    assert all(isinstance(s, SignatureRecord) for s in signatures), signatures
    stored = read_in(
        prepare, lambda uow: {s.id for s in uow.session.scalars(select(SignatureRecord))}
    )
    assert {s.id for s in signatures} <= stored, "no signature was lost"
    won = [d for d in decisions if isinstance(d, reviews.Decided)]
    lost = [d for d in decisions if not isinstance(d, reviews.Decided)]
    assert len(won) == 1, decisions
    assert len(lost) == 1 and isinstance(lost[0], Refused | Conflict), decisions
    assert str(lost[0])
    assert read_in(prepare, lambda uow: load_project(uow, key).stage) == "execution"
    assert decided_events(prepare, key) == 1
    assert trail_is_intact(prepare)


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_two_people_deciding_a_signed_review_at_once_make_one_transition(desks, round_):
    prepare, first, second = desks
    key = f"DUEL-{round_}"
    submitted_lite_project(prepare, key)
    run_in(prepare, reviews.sign, "sponsor", key, "go", PASSWORD)
    run_in(prepare, reviews.sign, "pmo", key, "go", PASSWORD)

    outcomes = race(
        [lambda: run_in(first, reviews.decide, "sponsor", key, "go")],
        [lambda: run_in(second, reviews.decide, "pmo", key, "go")],
    )

    decisions = [steps[0] for steps in outcomes]
    assert sorted(type(d).__name__ for d in decisions) in (
        ["Decided", "Refused"],
        ["Conflict", "Decided"],
    ), decisions
    loser = next(d for d in decisions if not isinstance(d, reviews.Decided))
    assert "no submitted review" in str(loser) or isinstance(loser, Conflict)
    assert read_in(prepare, lambda uow: load_project(uow, key).stage) == "execution"
    assert decided_events(prepare, key) == 1
    assert trail_is_intact(prepare)


@pytest.mark.parametrize("round_", range(1, 4))
def test_two_attachments_at_once_land_as_version_one_and_two(desks, round_):
    prepare, first, second = desks
    key = f"ATT-{round_}"
    run_in(prepare, projects.register_project, "pm", key, "Attach race", "lite", LITE_FACTS)

    outcomes = race(
        [
            lambda: run_in(
                first, attach.attach_file, "pm", key, "charter", io.BytesIO(b"a"), "a.pdf"
            )
        ],
        [lambda: run_in(second, attach.attach_file, "pmo", key, "charter", io.BytesIO(b"b"), "b")],
    )

    rows = [steps[0] for steps in outcomes]
    assert all(isinstance(r, ArtifactVersion) for r in rows), rows
    assert sorted(r.version for r in rows) == [1, 2]
    stored = read_in(
        prepare,
        lambda uow: sorted(
            v.version
            for v in uow.session.scalars(
                select(ArtifactVersion).where(
                    ArtifactVersion.project_id == load_project(uow, key).id
                )
            )
        ),
    )
    assert stored == [1, 2]
    assert trail_is_intact(prepare)


@pytest.mark.parametrize("round_", range(1, 4))
def test_two_fact_updates_at_once_both_survive(desks, round_):
    prepare, first, second = desks
    key = f"FACT-{round_}"
    run_in(prepare, projects.register_project, "pm", key, "Facts race", "lite", LITE_FACTS)

    outcomes = race(
        [lambda: run_in(first, projects.update_facts, "pm", key, {"budget": "30000"})],
        [lambda: run_in(second, projects.update_facts, "pmo", key, {"risk": "medium"})],
    )

    assert not any(isinstance(steps[0], Exception) for steps in outcomes), outcomes
    facts = read_in(prepare, lambda uow: dict(load_project(uow, key).facts))
    assert (facts["budget"], facts["risk"]) == ("30000", "medium"), "no update was lost"
    assert read_in(prepare, lambda uow: load_project(uow, key).tier) == "standard"
    assert trail_is_intact(prepare)
