"""Two ticks at once open each triggered review once: the project's row is locked before the
tick reads what is opened already (committed database, threads racing)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.factories import PASSWORD, policy_source, read_in, run_in
from tests.integration.test_concurrent_verbs import race, submitted_lite_project, trail_is_intact
from workflows import triggered
from workflows.identity import system
from workflows.store.records import AuditEvent, Project, TriggeredReview
from workflows.verbs import publishing, reviews

ROUNDS = 3
MONTHLY = """
triggers:
  - on: recurring
    review: initiation
    every: 1 month
"""


@pytest.fixture(scope="module")
def monthly(desks):
    """The lite policy, reviewed again every month after its first gate, published."""
    run_in(desks[0], publishing.publish, system(), policy_source("lite", 3) + MONTHLY, "lite.yaml")


def past_first_gate(workspace, key):
    submitted_lite_project(workspace, key)
    run_in(workspace, reviews.sign, "sponsor", key, "go", PASSWORD)
    run_in(workspace, reviews.sign, "pmo", key, "go", PASSWORD)
    run_in(workspace, reviews.decide, "sponsor", key, "go")


def opened_of(workspace, key):
    rows = (
        select(func.count(TriggeredReview.id))
        .join(Project, Project.id == TriggeredReview.project_id)
        .where(Project.key == key)
    )
    events = select(func.count()).where(
        AuditEvent.project_key == key, AuditEvent.action == "review.triggered"
    )
    return read_in(
        workspace,
        lambda uow: (uow.session.execute(rows).scalar(), uow.session.execute(events).scalar()),
    )


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_two_ticks_at_once_open_each_due_review_once(desks, monthly, round_):
    prepare, first, second = desks
    key = f"TICK-{round_}"
    past_first_gate(prepare, key)
    as_of = date.today() + timedelta(days=70)  # two monthly dates have come

    outcomes = race(
        [lambda: triggered.tick(first, as_of)],
        [lambda: triggered.tick(second, as_of)],
    )

    results = [steps[0] for steps in outcomes]
    assert not any(isinstance(r, Exception) for r in results), results
    opened = [o for result in results for o in result if o.key == key]
    assert len(opened) == 2, opened
    assert opened_of(prepare, key) == (2, 2)
    assert trail_is_intact(prepare)
