"""The dashboard's counts per policy version, stage and tier stay equal to counting the projects,
after every kind of change that moves a project between cells, and after a rollback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete

from tests.integration.factories import actor_of, policy_source
from workflows.errors import Refused
from workflows.identity import system
from workflows.store import portfolio_counts
from workflows.store.records import PortfolioCount
from workflows.verbs import migration, projects, publishing, reviews

LARGE_FROM_HALF_A_MILLION = (
    'when: project.budget > 250000 || project.risk == "high"',
    'when: project.budget > 500000 || project.risk == "high"',
)


@pytest.fixture
def counts(read: Callable[..., Any]) -> Callable[[], dict[tuple[int, str, str], int]]:
    """counts() -> the stored counts, after checking that they equal a GROUP BY of projects."""

    def check() -> dict[tuple[int, str, str], int]:
        stored = read(lambda uow: portfolio_counts.stored(uow.session))
        assert stored == read(lambda uow: portfolio_counts.grouped(uow.session))
        return stored

    return check


def cells(counts: dict[tuple[int, str, str], int]) -> dict[tuple[str, str], int]:
    return {(stage, tier): n for (_, stage, tier), n in counts.items()}


def test_registering_counts_the_project_in_its_stage_and_tier(new_project, counts):
    before = cells(counts())
    new_project("ERP-1")
    new_project("ERP-2", budget="2,000,000")

    after = cells(counts())
    assert after[("initiation", "large")] == before.get(("initiation", "large"), 0) + 1
    assert after[("initiation", "major")] == before.get(("initiation", "major"), 0) + 1


def test_a_decision_moves_the_project_to_its_new_stage(new_project, pass_gate, counts):
    key = new_project("ERP-1")
    pass_gate(key)

    assert cells(counts()) == {("planning", "large"): 1}


def test_hold_resume_and_kill_move_the_project(act, new_project, counts):
    key = new_project("ERP-1")
    act(projects.hold, "sponsor", key, "Budget freeze")
    assert cells(counts()) == {("on_hold", "large"): 1}
    act(projects.resume, "pmo", key, "Budget released")
    assert cells(counts()) == {("initiation", "large"): 1}
    act(projects.kill, "sponsor", key, "Business case gone")
    assert cells(counts()) == {("killed", "large"): 1}


def test_a_decision_to_hold_counts_the_project_on_hold(act, new_project, submit_ready, counts):
    key = new_project("ERP-1")
    submit_ready(key)
    act(reviews.decide, "sponsor", key, "hold", "Waiting for the budget round")

    assert cells(counts()) == {("on_hold", "large"): 1}


def test_changed_facts_move_the_project_to_its_new_tier(act, new_project, counts):
    key = new_project("ERP-1")
    act(projects.update_facts, "pm", key, {"budget": "1,500,000"}, "Scope doubled")

    assert cells(counts()) == {("initiation", "major"): 1}


def test_changed_facts_that_keep_the_tier_change_no_count(act, new_project, counts):
    key = new_project("ERP-1")
    before = counts()
    act(projects.update_facts, "pm", key, {"budget": "300,000"}, "Re-estimated")

    assert counts() == before


def test_a_policy_migration_moves_the_project_to_the_new_version_and_tier(act, new_project, counts):
    key = new_project("ERP-1")
    source = policy_source("standard", 4).replace(*LARGE_FROM_HALF_A_MILLION)
    act(publishing.publish, system(), source, "v2")
    [(old_version, _, _)] = counts()

    act(migration.migrate, "pmo", key, 4, "Adopt the 2026 policy")

    [(new_version, stage, tier)] = counts()
    assert new_version != old_version
    assert (stage, tier) == ("initiation", "medium")


def test_a_refused_change_leaves_the_counts_as_they_were(new_project, refuses, counts):
    key = new_project("ERP-1")
    before = counts()
    refuses(Refused, projects.hold, "pm", key, "Why", match="Only the sponsor or the PMO")

    assert counts() == before


def test_a_rolled_back_change_leaves_the_counts_as_they_were(workspace, new_project, counts):
    key = new_project("ERP-1")
    before = counts()
    with workspace.unit_of_work() as uow:
        projects.kill(uow, actor_of(uow, "sponsor"), key, "Never mind")  # not committed

    assert counts() == before


def test_rebuilding_recounts_every_cell_from_the_projects(workspace, new_project, counts):
    new_project("ERP-1")
    new_project("ERP-2", budget="2,000,000")
    before = counts()
    with workspace.unit_of_work() as uow:
        uow.session.execute(delete(PortfolioCount))
        assert portfolio_counts.rebuild(uow.session) == len(before)
        uow.commit()

    assert counts() == before
