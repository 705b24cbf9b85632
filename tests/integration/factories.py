"""What the integration tests build with: the seeded people, valid facts and evidence, a clock
the test moves, and readers of the database and the audit trail."""

from __future__ import annotations

import inspect
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from policies.library import LIBRARY
from policies.model import Artifact, ArtifactKind, FactType, FormField
from tests.actors import authenticated
from workflows.identity import Actor
from workflows.store.records import AuditEvent, Base
from workflows.store.uow import UnitOfWork
from workflows.verbs import attach
from workflows.workspace import Workspace

POSTGRES_URL = os.environ.get("LOCKGATE_TEST_POSTGRES_URL")
NO_POSTGRES = (
    "PostgreSQL tests need LOCKGATE_TEST_POSTGRES_URL "
    "(e.g. postgresql://postgres@127.0.0.1:5432/lockgate_test)"
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[pytest.mark.postgres, pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES)],
    ),
]


PASSWORD = "correct horse battery"
SEEDED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TEST_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    """A seeded user: global roles, and the project role they are granted on each project."""

    username: str
    name: str
    roles: tuple[str, ...] = ()
    approves: str | None = None


PEOPLE = (
    Person("admin", "Ada Admin", ("admin",)),
    Person("pm", "Pat Manager", ("project_manager",)),
    Person("pm2", "Quinn Manager", ("project_manager",)),
    Person("sponsor", "Sam Sponsor"),
    Person("deputy", "Dana Deputy"),
    Person("pmo", "Pia PMO", ("pmo",)),
    Person("pmo2", "Paul PMO", ("pmo",)),
    Person("auditor", "Aud Itor", ("auditor",)),
    Person("finance", "Fay Finance", approves="finance"),
    Person("architect", "Archie Tect", approves="architecture"),
    Person("owner", "Bo Owner", approves="business_owner"),
    Person("ops", "Otto Ops", approves="operations"),
    Person("security", "Sid Security", approves="security"),
    Person("qa", "Val Idator", approves="validation"),
    Person("outsider", "Olly Outsider"),
)
APPROVERS = {p.approves: p.username for p in PEOPLE if p.approves}
SIGNER_OF = {**APPROVERS, "sponsor": "sponsor", "pmo": "pmo"}

STANDARD_FACTS = {
    "budget": "400,000",
    "risk": "medium",
    "vendor_involved": "true",
    "duration_months": "12",
    "business_unit": "Group Finance",
    "go_live_date": "2026-09-01",
}
LITE_FACTS = {"budget": "10000", "risk": "low"}
STAGE_GATE_FACTS = {"budget": "USD 400000", "npv": "1200000", "risk": "medium"}
GATEWAY_FACTS = {"whole_life_cost": "80000000", "delegated_limit": "50000000", "risk": "high"}
FACTS = {
    "standard": STANDARD_FACTS,
    "lite": LITE_FACTS,
    "stage_gate": STAGE_GATE_FACTS,
    "gateway": GATEWAY_FACTS,
}


class Clock:
    """A clock the test moves: every reading is one second after the previous one."""

    def __init__(self, start: datetime = TEST_START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward (days=..., minutes=...); returns the new time."""
        self.now += timedelta(**delta)
        return self.now

    def today(self) -> date:
        """The date of the clock's current time."""
        return self.now.date()


def table_rows(workspace: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order: to prove that something changed nothing."""
    with workspace.unit_of_work() as uow:
        return {
            table.name: [
                tuple(row)
                for row in uow.session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


@dataclass(frozen=True)
class Event:
    """An audit event as an auditor reads it."""

    seq: int
    actor: str
    action: str
    project: str | None
    data: dict[str, Any]


def audit_events(uow: UnitOfWork, after: int = 0) -> list[Event]:
    """The audit events after seq `after`, decoded from their stored bytes."""
    query = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq)
    found = []
    for row in uow.session.execute(query).scalars():
        body = orjson.loads(row.body)
        found.append(Event(row.seq, body["actor"], body["action"], body["project"], body["data"]))
    return found


def form_values(artifact: Artifact, today: date) -> dict[str, str]:
    """A valid value for every field of a form artifact, from the field types."""
    return {field.id: _sample(field, today) for field in artifact.fields}


def _sample(field: FormField, today: date) -> str:
    if field.type is FactType.ENUM:
        return field.values[0]
    if "critical_defects" in field.id:
        return "0"  # the standard policy's criteria pass a form with no open critical defect
    return {
        FactType.TEXT: f"{field.title} recorded",
        FactType.MONEY: "125000",
        FactType.INTEGER: "3",
        FactType.BOOLEAN: "true",
        FactType.DATE: today.isoformat(),
    }[field.type]


def actor_of(uow: UnitOfWork, who: str | Actor) -> Actor:
    """`who` as the verbs take it: a seeded person authenticated with the shared password,
    through the same function every channel uses (an Actor passes through)."""
    return authenticated(uow, who, PASSWORD)


def as_actors(verb: Callable[..., Any], uow: UnitOfWork, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The arguments of `verb(uow, *args)` with a user name in the actor's place (the first
    argument of every verb that acts as someone) authenticated: `act(submit_gate, 'pm', key)`."""
    parameters = list(inspect.signature(verb).parameters.values())
    takes_actor = len(parameters) > 1 and parameters[1].annotation in ("Actor", Actor)
    if takes_actor and args and isinstance(args[0], str):
        return (actor_of(uow, args[0]), *args[1:])
    return args


def attach_evidence(
    uow: UnitOfWork, actor: str | Actor, key: str, artifact: Artifact, today: date
) -> Any:
    """Attach a valid piece of evidence for `artifact`, whatever its kind."""
    actor = actor_of(uow, actor)
    if artifact.kind is ArtifactKind.FILE:
        stream = io.BytesIO(f"{key} {artifact.title}\n".encode())
        return attach.attach_file(uow, actor, key, artifact.id, stream, f"{artifact.id}.pdf")
    if artifact.kind is ArtifactKind.LINK:
        return attach.attach_link(
            uow, actor, key, artifact.id, f"https://evidence.example/{key}/{artifact.id}"
        )
    return attach.attach_form(uow, actor, key, artifact.id, form_values(artifact, today))


def policy_source(name: str = "standard", version: int = 4) -> str:
    """The text of a shipped policy, renumbered as `version` (the library ships standard@3
    and lite@2: a newer standard is 4, a newer lite 3)."""
    source = (LIBRARY / f"{name}.yaml").read_text(encoding="utf-8")
    renumbered = re.sub(r"\nversion: \d+\n", f"\nversion: {version}\n", source, count=1)
    assert renumbered != source or f"\nversion: {version}\n" in source
    return renumbered


def run_in(workspace: Workspace, verb: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One verb in its own committed unit of work of `workspace` (a user name as its actor
    is authenticated, see as_actors)."""
    with workspace.unit_of_work() as uow:
        result = verb(uow, *as_actors(verb, uow, args), **kwargs)
        uow.commit()
    return result


def read_in(workspace: Workspace, query: Callable[[UnitOfWork], Any]) -> Any:
    """`query(uow)` in a unit of work of `workspace` that is not committed."""
    with workspace.unit_of_work() as uow:
        return query(uow)


def waive(
    uow: UnitOfWork,
    requester: str,
    approver: str,
    key: str,
    requirement: str,
    justification: str,
    expires_at: datetime,
    gate_id: str | None = None,
) -> Any:
    """A waiver of `requirement` requested by one person and approved by another: the only
    way a requirement is waived."""
    from workflows.verbs import waivers

    asked = waivers.request_waiver(
        uow, actor_of(uow, requester), key, requirement, justification, expires_at, gate_id
    )
    return waivers.approve_waiver(uow, actor_of(uow, approver), asked.id)
