"""Who is told of an overdue review: the holders of its gate's escalate_to role, once late."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from gates.escalation import days_overdue, escalating_gates, escalation_roles, sees_escalation
from gates.model import Person
from tests.unit.gate_fixtures import NOW, gate, standard

LATE, EARLY = NOW - timedelta(days=52, hours=3), NOW + timedelta(days=1)
PMO = Person("pia", global_roles=frozenset({"pmo"}))


@pytest.mark.parametrize(
    ("person", "due_at", "told"),
    [
        (PMO, LATE, True),
        (Person("ola", project_roles=frozenset({"pmo"})), LATE, True),
        (PMO, EARLY, False),
        (PMO, None, False),
        (Person("sam", project_roles=frozenset({"sponsor"})), LATE, False),
        (replace(PMO, active=False), LATE, False),
    ],
    ids=["global pmo", "pmo on the project", "not yet due", "no due date", "sponsor", "disabled"],
)
def test_the_holders_of_the_escalation_role_are_told_once_the_review_is_late(person, due_at, told):
    assert sees_escalation(person, gate(standard(), "initiation"), due_at, NOW) is told


def test_a_gate_that_does_not_escalate_tells_nobody():
    quiet = replace(gate(standard(), "initiation"), escalate_to=None)

    assert not sees_escalation(PMO, quiet, LATE, NOW)


def test_days_overdue_count_whole_days():
    assert days_overdue(LATE, NOW) == 52


def test_the_gates_that_escalate_to_a_role_are_found_in_every_policy():
    policy = standard()
    escalating = {g.id for g in policy.gates if g.escalate_to == "pmo"}

    assert escalation_roles([policy]) == {"pmo"}
    assert escalating_gates({7: policy}, {"pmo", "sponsor"}) == {
        "pmo": {(7, gate_id) for gate_id in escalating}
    }
