"""Escalation: who is told about a review that has passed its service level.

A gate may name an `escalate_to` role. Once a review of that gate is past its due date and
still open, the holders of that role (globally or on the project) see it in their inbox,
marked escalated. Seeing it grants nothing: signing and deciding still ask gates.authority.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from gates.model import Person
from policies.model import Gate, Policy

K = TypeVar("K", bound=Hashable)


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    """True when a review with this due date is past its service level at `now`."""
    return due_at is not None and due_at < now


def days_overdue(due_at: datetime, now: datetime) -> int:
    """Whole days since the due date (0 on the day it passed)."""
    return max((now - due_at).days, 0)


def sees_escalation(person: Person, gate: Gate, due_at: datetime | None, now: datetime) -> bool:
    """True when `person` (on the review's project, now) is told of an open review of
    `gate` due at `due_at`: it is overdue, the gate escalates, and they hold that role
    there (an inactive person never is)."""
    role = gate.escalate_to
    return person.active and role is not None and role in person.roles and is_overdue(due_at, now)


def escalating_gates(
    policies: Mapping[K, Policy], roles: Iterable[str]
) -> dict[str, set[tuple[K, str]]]:
    """For each role of `roles`, the (policy key, gate id) pairs whose gates escalate to it:
    what a query needs to find the overdue reviews a holder of those roles is told of."""
    wanted = set(roles)
    found: dict[str, set[tuple[K, str]]] = {}
    for key, policy in policies.items():
        for gate in policy.gates:
            if gate.escalate_to in wanted:
                found.setdefault(gate.escalate_to, set()).add((key, gate.id))
    return found


def escalation_roles(policies: Iterable[Policy]) -> frozenset[str]:
    """Every role some gate of `policies` escalates to."""
    return frozenset(g.escalate_to for p in policies for g in p.gates if g.escalate_to)
