"""A large, realistic portfolio for bench/scale.py, written fast.

Projects of the standard policy at every stage and tier, with facts, evidence versions,
decided reviews of the gates they passed, open reviews at their gate (some signed, some
overdue), role grants (the sponsor's, and `finance` on every project), and an audit trail
whose events are sealed into one valid hash chain after the demo's own. Rows are built here,
in Python, and written by bench/scale_write.py (COPY on PostgreSQL, bulk inserts on SQLite).
The trail grows with the portfolio: seed 10,000 projects, measure, grow to 1,000,000.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from gates.chain import ChainHead, canonical_bytes, chain_next
from gates.decisions import KILLED, ON_HOLD, next_gate
from gates.tiering import classify
from policies.facts import read_facts
from workflows.facts import to_stored
from workflows.store.records import (
    ArtifactVersion,
    AuditEvent,
    PolicyVersion,
    Project,
    Review,
    RoleGrant,
    SignatureRecord,
    User,
    table_of,
)
from workflows.store.records import ChainHead as ChainHeadRow
from workflows.workspace import Workspace

NOW = datetime.now(UTC).replace(microsecond=0)
TRAIL_SPAN = timedelta(days=730)  # the bulk events spread over the last two years
CHUNK = 10_000  # projects written per round
STAGES = {  # where the projects stand, by weight
    "initiation": 22,
    "planning": 18,
    "execution": 24,
    "cutover": 8,
    "closure": 7,
    "closed": 12,
    ON_HOLD: 6,
    KILLED: 3,
}
OPEN_REVIEW = 0.15  # of the projects with a gate ahead
OVERDUE = 0.3  # of the open reviews
OTHER_APPROVERS = {"security": "security", "architecture": "architect", "operations": "operations"}
MANAGERS = ("pm.lee", "pm.garcia", "pm.chen")
SPONSORS = ("sponsor.king", "sponsor.ali")
TABLES = [table_of(m) for m in (Project, ArtifactVersion, Review, SignatureRecord, RoleGrant)]
EVENTS = table_of(AuditEvent)


def project_key(number: int) -> str:
    """S00-00001 ... S10-00000: keys in number order (and valid under the key rule)."""
    return f"S{number // 100_000:02d}-{number % 100_000:05d}"


# An audit event before it is sealed: action, actor, project key, data.
Event = tuple[str, str, str | None, dict[str, Any]]


@dataclass
class Rows:
    """The rows of one round, by table name."""

    tables: dict[str, list[dict[str, Any]]]
    events: list[Event]


class Portfolio:
    """Grows the bulk portfolio of one database, round by round."""

    def __init__(self, ws: Workspace, final_events: int, seed: int = 11) -> None:
        self.ws, self.rng = ws, random.Random(seed)
        self.step = TRAIL_SPAN / max(final_events, 1)  # the time between two bulk events
        with ws.unit_of_work(read_only=True) as uow:
            row = uow.session.execute(
                select(PolicyVersion).where(PolicyVersion.policy_id == "standard")
            ).scalar_one()
            self.policy, self.version = ws.policy(row), row
            self.users = {u.username: u.id for u in uow.session.execute(select(User)).scalars()}
            self.names = {
                u.username: u.display_name for u in uow.session.execute(select(User)).scalars()
            }
            self.next_project = _next_id(uow, Project.id)
            self.next_review = _next_id(uow, Review.id)
        self.head = ChainHead(0, "")
        self.events = 0  # bulk events so far
        self.dropped = 0  # projects' events left out to keep the trail at its size
        self.projects = 0  # bulk projects so far
        self.facts = self._fact_pool()

    def _fact_pool(self, size: int = 400) -> list[tuple[dict[str, Any], str, str]]:
        """Facts of every tier: (stored facts, tier, why), drawn from a fixed pool."""
        pool = []
        for _ in range(size):
            raw = {
                "budget": str(int(self.rng.lognormvariate(12.3, 1.3))),
                "risk": self.rng.choices(["low", "medium", "high", "critical"], [4, 4, 2, 1])[0],
                "regulated": str(self.rng.random() < 0.1).lower(),
                "handles_personal_data": str(self.rng.random() < 0.3).lower(),
                "vendor_involved": str(self.rng.random() < 0.5).lower(),
                "duration_months": str(self.rng.randint(2, 30)),
                "business_unit": self.rng.choice(["Operations", "Finance", "Sales", "HR"]),
            }
            values, problems = read_facts(self.policy.facts, raw)
            assert not problems, problems
            choice = classify(self.policy, values)
            pool.append((to_stored(values), choice.tier.id, choice.reason))
        return pool

    def rounds(self, projects: int, events: int) -> Iterator[tuple[Rows, int]]:
        """Rounds of rows until the bulk portfolio holds `projects` projects and the bulk trail
        `events` events (the trail's share grows with the projects); each with its size.
        The events are chained after the trail's head as it is now (the portal appends too)."""
        with self.ws.unit_of_work(read_only=True) as uow:
            head = uow.session.execute(select(ChainHeadRow).where(ChainHeadRow.id == 1))
            found = head.scalar_one()
            self.head = ChainHead(found.seq, found.hash)
        while self.projects < projects:
            count = min(CHUNK, projects - self.projects)
            wanted = round(events * (self.projects + count) / projects)
            yield self._round(count, wanted - self.events), count
            self.projects += count

    def _round(self, count: int, events: int) -> Rows:
        rows = Rows({t.name: [] for t in TABLES}, [])
        histories = [self._project(rows, self.projects + n + 1) for n in range(count)]
        rows.events.extend(self._interleaved(histories, events))
        return rows

    def _interleaved(self, histories: list[list[Event]], wanted: int) -> list[Event]:
        """The round's events in one order: each project's in its own order, projects
        interleaved, logins filling up to `wanted` (projects' events beyond it are dropped)."""
        found = sum(len(h) for h in histories)
        people = list(self.users)
        logins: list[list[Event]] = [
            [("user.logged_in", user, None, {"method": "password"})]
            for user in (self.rng.choice(people) for _ in range(max(wanted - found, 0)))
        ]
        keyed = []
        for history in histories + logins:
            marks = sorted(self.rng.random() for _ in history)
            keyed.extend(zip(marks, history, strict=True))
        keyed.sort(key=lambda pair: pair[0])
        self.dropped += max(found - wanted, 0)
        return [event for _, event in keyed[:wanted]]

    def sealed(self, rows: Rows) -> Iterator[dict[str, Any]]:
        """The round's events as audit_events rows, chained after the head, times rising."""
        for action, actor, key, data in rows.events:
            at = NOW - TRAIL_SPAN + self.step * self.events
            self.events += 1
            body = canonical_bytes(
                {"action": action, "actor": actor, "at": at, "project": key, "data": data}
            )
            event = chain_next(self.head if self.head.seq else None, body)
            self.head = event.head
            yield {
                "seq": event.seq,
                "prev_hash": event.prev_hash,
                "hash": event.hash,
                "body": event.body,
                "at": at,
                "actor": actor,
                "action": action,
                "project_key": key,
            }

    # -- one project ---------------------------------------------------------------------------

    def _project(self, rows: Rows, number: int) -> list[Event]:
        rng, policy = self.rng, self.policy
        pid, key = self.next_project, project_key(number)
        self.next_project += 1
        facts, tier, why = rng.choice(self.facts)
        stage = rng.choices(list(STAGES), list(STAGES.values()))[0]
        active = policy.stages[:-1]
        resume = rng.choice(active) if stage == ON_HOLD else None
        reached = policy.stages.index(resume or (rng.choice(active) if stage == KILLED else stage))
        manager, sponsor = rng.choice(MANAGERS), rng.choice(SPONSORS)
        created = NOW - timedelta(days=rng.randint(30, 700))
        name = f"{rng.choice(NAMES)} {number}"
        rows.tables["projects"].append(
            {
                "id": pid,
                "key": key,
                "name": name,
                "policy_version_id": self.version.id,
                "stage": stage,
                "resume_stage": resume,
                "tier": tier,
                "facts": facts,
                "manager_id": self.users[manager],
                "created_at": created,
                "updated_at": NOW - timedelta(days=rng.randint(0, 29)),
                "version": 1 + reached,
            }
        )
        history: list[Event] = [
            (
                "project.registered",
                manager,
                key,
                {
                    "name": name,
                    "policy": self.version.ref,
                    "stage": policy.initial_stage,
                    "tier": tier,
                    "tier_reason": why,
                    "facts": facts,
                    "manager": manager,
                    "sponsor": sponsor,
                },
            ),
        ]
        history += self._grants(rows, pid, key, sponsor)
        evidence: dict[str, dict[str, Any]] = {}
        for gate in policy.gates[:reached]:
            history += self._evidence(rows, pid, key, gate, evidence, manager, 1.0, created)
            history += self._decided(rows, pid, key, gate, manager, sponsor, created)
        gate = next_gate(policy, stage)
        if gate is not None:
            history += self._evidence(rows, pid, key, gate, evidence, manager, 0.7, created)
            if rng.random() < OPEN_REVIEW:
                history += self._open(rows, pid, key, gate, manager, facts, tier, evidence)
        if stage in (ON_HOLD, KILLED):
            action = "project.hold" if stage == ON_HOLD else "project.kill"
            history.append(
                (
                    action,
                    sponsor,
                    key,
                    {
                        "old_stage": policy.stages[reached],
                        "new_stage": stage,
                        "reason": "Portfolio review",
                    },
                )
            )
        return history

    def _grants(self, rows: Rows, pid: int, key: str, sponsor: str) -> list[Any]:
        held = [("sponsor", sponsor), ("finance", "finance")]
        held += [(r, u) for r, u in OTHER_APPROVERS.items() if self.rng.random() < 0.2]
        for role, username in held:
            rows.tables["role_grants"].append(
                {
                    "user_id": self.users[username],
                    "role": role,
                    "project_id": pid,
                    "granted_by": "admin",
                    "granted_at": NOW - TRAIL_SPAN,
                    "revoked_at": None,
                }
            )
        return [("role.granted", "admin", key, {"user": u, "role": r}) for r, u in held[1:]]

    def _evidence(
        self,
        rows: Rows,
        pid: int,
        key: str,
        gate: Any,
        found: dict[str, Any],
        manager: str,
        share: float,
        created: datetime,
    ) -> list[Any]:
        events = []
        for artifact in gate.artifacts:
            if artifact.id in found or self.rng.random() > share:
                continue
            versions = 2 if self.rng.random() < 0.1 else 1
            for version in range(1, versions + 1):
                digest = f"{self.rng.getrandbits(256):064x}"
                found[artifact.id] = {"version": version, "digest": digest}
                rows.tables["artifact_versions"].append(
                    {
                        "project_id": pid,
                        "artifact_id": artifact.id,
                        "version": version,
                        "kind": artifact.kind.value,
                        "digest": digest,
                        "filename": "",
                        "media_type": "",
                        "size": 0,
                        "url": "",
                        "form": None,
                        "note": "",
                        "attached_by": manager,
                        "attached_at": created + timedelta(days=self.rng.randint(1, 25)),
                    }
                )
                events.append(
                    (
                        "artifact.attached",
                        manager,
                        key,
                        {
                            "artifact": artifact.id,
                            "version": version,
                            "kind": artifact.kind.value,
                            "digest": digest,
                        },
                    )
                )
        return events

    def _decided(
        self,
        rows: Rows,
        pid: int,
        key: str,
        gate: Any,
        manager: str,
        sponsor: str,
        created: datetime,
    ) -> list[Any]:
        review_id, digest = self._review_id(), f"{self.rng.getrandbits(256):064x}"
        at = created + timedelta(days=self.rng.randint(20, 30))
        rows.tables["reviews"].append(
            {
                "id": review_id,
                "project_id": pid,
                "gate_id": gate.id,
                "round": 1,
                "state": "decided",
                "submitted_by": manager,
                "submitted_at": at,
                "due_at": at + timedelta(days=10),
                "snapshot": {},
                "snapshot_digest": digest,
                "decision": "go",
                "decided_by": sponsor,
                "decided_at": at + timedelta(days=5),
                "reason": "",
                "version": 3,
            }
        )
        return [
            (
                "review.submitted",
                manager,
                key,
                {"gate": gate.id, "round": 1, "snapshot_digest": digest},
            ),
            (
                "review.signed",
                "pmo",
                key,
                {"gate": gate.id, "role": "pmo", "decision": "go", "snapshot_digest": digest},
            ),
            ("review.decided", sponsor, key, {"gate": gate.id, "decision": "go", "round": 1}),
        ]

    def _open(
        self,
        rows: Rows,
        pid: int,
        key: str,
        gate: Any,
        manager: str,
        facts: dict[str, Any],
        tier: str,
        evidence: dict[str, Any],
    ) -> list[Any]:
        needed = {a.id for a in gate.artifacts}
        frozen = {
            "policy": self.version.ref,
            "gate": gate.id,
            "tier": tier,
            "facts": facts,
            "artifacts": {a: e for a, e in sorted(evidence.items()) if a in needed},
        }
        digest = hashlib.sha256(canonical_bytes(frozen)).hexdigest()
        review_id = self._review_id()
        overdue = self.rng.random() < OVERDUE
        due = NOW + timedelta(days=-self.rng.randint(1, 60) if overdue else self.rng.randint(1, 10))
        rows.tables["reviews"].append(
            {
                "id": review_id,
                "project_id": pid,
                "gate_id": gate.id,
                "round": 1,
                "state": "submitted",
                "submitted_by": manager,
                "submitted_at": due - timedelta(10),
                "due_at": due,
                "snapshot": frozen,
                "snapshot_digest": digest,
                "decision": None,
                "decided_by": None,
                "decided_at": None,
                "reason": "",
                "version": 1,
            }
        )
        events = [
            (
                "review.submitted",
                manager,
                key,
                {"gate": gate.id, "round": 1, "snapshot_digest": digest},
            )
        ]
        signers = [s.role for s in gate.signoffs if s.role in ("pmo", "security")]
        for role in signers[: self.rng.randint(0, len(signers))]:
            username = "pmo" if role == "pmo" else "security"
            rows.tables["signatures"].append(
                {
                    "review_id": review_id,
                    "signer_id": self.users[username],
                    "on_behalf_of_id": None,
                    "printed_name": self.names[username],
                    "role": role,
                    "meaning": f"Approved as {role}",
                    "decision": "go",
                    "comment": "",
                    "snapshot_digest": digest,
                    "signed_at": due - timedelta(days=5),
                    "superseded_at": None,
                }
            )
            events.append(
                (
                    "review.signed",
                    username,
                    key,
                    {"gate": gate.id, "role": role, "decision": "go", "snapshot_digest": digest},
                )
            )
        return events

    def _review_id(self) -> int:
        self.next_review += 1
        return self.next_review - 1


NAMES = (
    "ERP rollout",
    "Data platform",
    "Branch refresh",
    "Payroll switch",
    "CRM cleanup",
    "Network upgrade",
    "Cloud exit",
    "Warehouse scanners",
    "Identity hub",
    "Billing rewrite",
)


def _next_id(uow: Any, column: Any) -> int:
    return (uow.session.execute(select(func.max(column))).scalar() or 0) + 1
