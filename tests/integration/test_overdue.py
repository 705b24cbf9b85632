"""What is overdue, for the PMO and for cron: reviews past their due date and open conditions
of conditional gos past theirs."""

from __future__ import annotations

from datetime import timedelta

from gates.decisions import FollowUp
from workflows.verbs import reviews
from workflows.views.dashboard import overdue_conditions, overdue_reviews


def test_an_open_condition_past_its_due_date_is_listed_until_then_not(
    act, read, new_project, submit_ready, collect_signatures, clock
):
    key = new_project("ERP-1")
    submit_ready(key)
    collect_signatures(key, decision="conditional_go")
    due = clock.today() + timedelta(days=10)
    conditions = [FollowUp("Re-baseline the AFE", "Fay Finance", due)]
    act(reviews.decide, "sponsor", key, "conditional_go", "", conditions)

    before = read(overdue_conditions)
    clock.advance(days=12)
    after = read(overdue_conditions)

    assert before == []
    assert [(c.key, c.gate, c.action, c.owner, c.days_overdue) for c in after] == [
        (key, "initiation", "Re-baseline the AFE", "finance", 2)
    ]


def test_every_overdue_review_is_listed_for_cron_not_only_the_first_twenty(
    read, new_project, submit_ready, clock
):
    keys = [new_project(f"ERP-{n}") for n in range(1, 23)]
    for key in keys:
        submit_ready(key)
    clock.advance(days=60)

    listed = read(lambda uow: overdue_reviews(uow, limit=None))

    assert sorted(r.key for r in listed) == sorted(keys)
