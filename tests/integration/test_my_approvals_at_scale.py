"""My approvals lists every review waiting for a user, overdue first, with a true total and
pages: the old inbox took the first 100 open reviews and filtered them, so at scale it left
out most of what waited (finance saw 13 of 138 with 10,000 projects).

The portfolio is seeded in bulk with Core inserts (300 open reviews waiting for finance, more
than any old limit), then the pending sign-offs are computed by the rules (rebuild_pending).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from gates.signoffs import Part
from gates.tiering import classify
from policies.facts import read_facts
from tests.integration.factories import FACTS
from workflows.facts import to_stored
from workflows.pending import rebuild_pending
from workflows.store.records import PolicyVersion, Project, Review, RoleGrant, User
from workflows.views.approvals import my_approvals, page_of_reviews

WAITING = 300
SIZE = 25


def due_at(index: int, now: datetime) -> datetime | None:
    """A third overdue, a third due later, a third without a due date."""
    return [now - timedelta(hours=index), now + timedelta(hours=index), None][index % 3]


def seed_reviews(uow: Any) -> int:
    """WAITING standard projects at their first gate, submitted, finance granted on each;
    returns finance's user id."""
    row = uow.session.execute(
        select(PolicyVersion).where(PolicyVersion.policy_id == "standard")
    ).scalar_one()
    policy = uow.workspace.policy(row)
    values, _ = read_facts(policy.facts, FACTS["standard"])
    ids = dict(uow.session.execute(select(User.username, User.id)).all())
    now, first = uow.now, 1_000_000
    projects, reviews, grants = [], [], []
    for index in range(WAITING):
        pid = first + index
        projects.append(
            {
                "id": pid,
                "key": f"BULK-{index + 1}",
                "name": f"Bulk {index + 1}",
                "policy_version_id": row.id,
                "stage": policy.initial_stage,
                "resume_stage": None,
                "tier": classify(policy, values).tier.id,
                "facts": to_stored(values),
                "manager_id": ids["pm"],
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        reviews.append(
            {
                "id": pid,
                "project_id": pid,
                "gate_id": policy.gates[0].id,
                "round": 1,
                "state": "submitted",
                "submitted_by": "pm",
                "submitted_at": now - timedelta(minutes=WAITING - index),
                "due_at": due_at(index, now),
                "snapshot": {},
                "snapshot_digest": f"{index:064x}",
                "decision": None,
                "decided_by": None,
                "decided_at": None,
                "reason": "",
                "version": 1,
            }
        )
        grants.append(
            {
                "user_id": ids["finance"],
                "role": "finance",
                "project_id": pid,
                "granted_by": "admin",
                "granted_at": now,
                "revoked_at": None,
            }
        )
    for model, rows in ((Project, projects), (Review, reviews), (RoleGrant, grants)):
        uow.session.execute(insert(model), rows)
    return int(ids["finance"])


def every_page(uow: Any, user_id: int) -> tuple[list[Any], set[int]]:
    first = my_approvals(uow, user_id, Part.YOUR_TURN, 1, SIZE)
    listed = list(first.approvals)
    for page in range(2, first.pages + 1):
        listed += my_approvals(uow, user_id, Part.YOUR_TURN, page, SIZE).approvals
    return listed, {first.total, first.pages}


def test_my_approvals_lists_every_waiting_review_on_its_pages_overdue_first(act, read):
    finance = act(seed_reviews)
    act(rebuild_pending)

    def check(uow: Any) -> None:
        first = my_approvals(uow, finance, Part.YOUR_TURN, 1, SIZE)
        assert (first.total, first.pages) == (WAITING, WAITING // SIZE)
        assert first.counts[Part.WAITING] == 0
        listed, _ = every_page(uow, finance)
        keys = [a.project.key for a in listed]
        assert len(keys) == len(set(keys)) == WAITING
        expected = sorted(listed, key=lambda a: (a.review.due_at is None, a.review.due_at, a.since))
        assert [a.review.id for a in listed] == [a.review.id for a in expected]
        overdue = [a.overdue for a in listed]
        assert overdue == sorted(overdue, reverse=True) and overdue.count(True) == WAITING // 3
        assert all(a.signs_as[0].role == "finance" for a in listed)

    read(check)


def test_a_page_of_my_approvals_reads_the_inbox_index_in_order(act, read, backend):
    if backend != "postgres":
        pytest.skip("the plan is PostgreSQL's; SQLite sorts the few rows it holds")
    finance = act(seed_reviews)
    act(rebuild_pending)

    def plan(uow: Any) -> str:
        query = page_of_reviews(finance, uow.now, Part.YOUR_TURN, 3, SIZE)
        compiled = query.compile(uow.session.get_bind())
        connection = uow.session.connection()
        connection.execute(text("ANALYZE pending_signoffs"))
        # A 300-row table is cheaper to scan whole; at scale the index is the only way.
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        connection.execute(text("SET LOCAL enable_bitmapscan = off"))
        lines = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
        return "\n".join(line for (line,) in lines)

    found = read(plan)
    assert "ix_pending_signoffs_inbox" in found, found
    assert "Sort" not in found, f"the page is sorted instead of read in index order:\n{found}"
