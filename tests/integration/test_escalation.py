"""Escalation: a review past its service level shows in the inbox of the holders of its
gate's `escalate_to` role (the PMO in the shipped policies), until it is decided."""

from __future__ import annotations

import pytest

from tests.integration.conftest import grant_on_project
from tests.integration.factories import PASSWORD
from workflows.errors import Refused
from workflows.verbs import reviews
from workflows.views.escalations import escalated_to


def shown(read, username):
    found = read(lambda uow: escalated_to(uow, username))
    return [(e.project.key, e.review.gate_id, e.days_overdue) for e in found.escalated]


def test_a_review_past_its_due_date_is_escalated_to_the_pmo_with_days_overdue(
    read, new_project, submit_ready, clock
):
    key = new_project("ERP-1")
    submit_ready(key)
    before = shown(read, "pmo")
    clock.advance(days=62)  # initiation: 10 days of service level

    assert before == []
    assert shown(read, "pmo") == [(key, "initiation", 52)]
    assert shown(read, "pmo2") == [(key, "initiation", 52)]


def test_an_escalated_review_leaves_the_inbox_once_decided(
    act, read, new_project, submit_ready, collect_signatures, clock
):
    key = new_project("ERP-1")
    submit_ready(key)
    collect_signatures(key)
    clock.advance(days=30)
    listed = shown(read, "pmo")

    act(reviews.decide, "sponsor", key, "go", "")

    assert [k for k, _, _ in listed] == [key]
    assert shown(read, "pmo") == []


@pytest.mark.parametrize("username", ["sponsor", "finance", "pm", "auditor", "outsider"])
def test_people_without_the_escalation_role_are_not_told(
    username, read, new_project, submit_ready, clock
):
    submit_ready(new_project("ERP-1"))
    clock.advance(days=62)

    assert shown(read, username) == []


def test_the_role_held_on_the_project_alone_is_enough(act, read, new_project, submit_ready, clock):
    key = new_project("ERP-1")
    submit_ready(key)
    other = new_project("ERP-2")
    submit_ready(other)
    act(grant_on_project, "admin", "outsider", "pmo", key)
    clock.advance(days=62)

    assert [k for k, _, _ in shown(read, "outsider")] == [key]


def test_being_told_of_a_review_grants_no_signature(
    act, read, refuses, new_project, submit_ready, clock
):
    key = new_project("ERP-1")
    submit_ready(key)
    act(grant_on_project, "admin", "outsider", "pmo", key)
    clock.advance(days=62)

    assert shown(read, "outsider")
    refuses(Refused, reviews.sign, "outsider", key, "go", PASSWORD, role="finance")
