"""The trail is the record: the governance rows rebuilt from the audit events alone, and the
differences between them and the rows the tables hold.

The replay rebuilds every project as gates.history does (stage, tier, facts, policy
version, evidence versions, review rounds, conditions, waivers), every role grant in force,
every user's active flag, every signature (what it says, whether it was superseded, its
content hash), the delegations, change requests and overrides, and the programmes and
which project is in which. An `audit.baseline`
event holds the rows as they stood when a migration taught the trail more than its older
events say (0017: stages, grants, flags, signatures; 0019: all of them): replay starts from
the latest one for anything older.

Pure: events are (action, actor, at, project, data) as their bodies say; rows are given as
the same kinds of values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gates.history import ProjectHistory

BASELINE = "audit.baseline"
Grant = tuple[str, str, str | None]  # username, role, project key (None: global)
Row = dict[str, Any]  # a row's reconciled columns, by name
Rows = dict[str, Row]  # a table's rows, by the key that names each one


@dataclass(frozen=True, slots=True)
class SignatureFacts:
    """A signature as its event recorded it (and as its row must still say)."""

    project: str
    gate: str
    round: int
    signer: str
    role: str
    on_behalf_of: str | None
    decision: str
    snapshot_digest: str
    content_hash: str | None


@dataclass
class Replayed:
    """The governance rows the events describe: each project's history (gates.history:
    stage, tier, facts, policy version, evidence versions, reviews, conditions, waivers,
    change requests, overrides), grants, active flags, signatures, and delegations."""

    projects: dict[str, ProjectHistory] = field(default_factory=dict)
    grants: set[Grant] = field(default_factory=set)
    active: dict[str, bool] = field(default_factory=dict)
    signatures: dict[int, SignatureFacts] = field(default_factory=dict)
    superseded: set[int] = field(default_factory=set)
    delegations: Rows = field(default_factory=dict)
    # Users' org unit and team, for those ever recorded (blank pairs are not kept).
    attributes: dict[str, tuple[str, str]] = field(default_factory=dict)
    programmes: Rows = field(default_factory=dict)

    def apply(
        self, action: str, actor: str, at: str, project: str | None, data: Mapping[str, Any]
    ) -> None:
        """Take one event into account."""
        if action == BASELINE:
            self._baseline(data)
            return
        if project:
            history = self.projects.get(project)
            if history is None:
                history = self.projects[project] = ProjectHistory(project)
            history.apply(action, actor, at, data)
        handler = _GLOBAL.get(action)
        if handler is not None:
            handler(self, actor, project, data)

    def _baseline(self, data: Mapping[str, Any]) -> None:
        self.grants = {(u, r, p) for u, r, p in data.get("grants", ())}
        self.active = dict(data.get("active", {}))
        self.signatures = {
            int(i): SignatureFacts(**facts) for i, facts in data.get("signatures", {}).items()
        }
        self.superseded = set(data.get("superseded", ()))
        if "projects" not in data:  # the first baseline held stages only of projects
            for key, stage in data.get("stages", {}).items():
                history = self.projects.setdefault(key, ProjectHistory(key))
                history.registered, history.stage = True, stage
            return
        self.projects = {k: ProjectHistory.from_data(k, v) for k, v in data["projects"].items()}
        self.delegations = {k: dict(v) for k, v in data["delegations"].items()}
        self.attributes = {u: (o, t) for u, (o, t) in data.get("attributes", {}).items()}
        self.programmes = {k: dict(v) for k, v in data.get("programmes", {}).items()}

    def baseline(self) -> dict[str, Any]:
        """The data of a baseline event holding these rows (`_baseline`'s inverse)."""
        return {
            "formula": 2,
            "grants": sorted([list(g) for g in self.grants], key=str),
            "active": self.active,
            "signatures": {
                str(number): {name: getattr(facts, name) for name in SignatureFacts.__slots__}
                for number, facts in self.signatures.items()
            },
            "superseded": sorted(self.superseded),
            "projects": {k: h.to_data() for k, h in self.projects.items() if h.registered},
            "delegations": self.delegations,
            "attributes": {u: list(pair) for u, pair in self.attributes.items()},
            "programmes": self.programmes,
        }

    def tables(self) -> dict[str, Rows]:
        """The rows compared column by column (compare_rows), table by table."""
        return tables_of(self.projects.values(), self.delegations, self.programmes)


def tables_of(
    projects: Iterable[ProjectHistory], delegations: Rows, programmes: Rows | None = None
) -> dict[str, Rows]:
    """The rows of these projects (registered ones), of these delegations and programmes,
    by table; each project's programme as the `memberships` of the projects table."""
    tables: dict[str, Rows] = {name: {} for name in PROJECT_TABLES}
    memberships: Rows = {}
    for history in projects:
        if history.registered:
            for name, rows in project_rows(history).items():
                tables[name].update(rows)
            if history.programme is not None:
                memberships[history.key] = {"programme": history.programme}
    tables["delegations"] = delegations
    if programmes is not None:
        tables["programmes"], tables["projects.programme_id"] = programmes, memberships
    return tables


PROJECT_TABLES = (
    "projects", "artifact_versions", "reviews", "follow_ups", "waivers", "change_requests",
    "overrides", "votes", "assurance_reviews", "triggered_reviews",
)  # fmt: skip


def project_rows(h: ProjectHistory) -> dict[str, Rows]:
    """One project's rows, each named by what identifies it in old events and new."""
    project = {"name": h.name, "manager": h.manager, "policy": h.policy, "stage": h.stage,
               "tier": h.tier, "facts": h.facts}  # fmt: skip
    versions = {}
    for (artifact, number), e in h.versions.items():
        versions[f"{h.key} {artifact} v{number}"] = {
            "digest": e.digest, "kind": e.kind, "filename": e.filename, "size": e.size,
            "url": e.url, "form": e.form, "note": e.note, "attached_by": e.by,
        } | ({} if e.media_type is None else {"media_type": e.media_type})  # fmt: skip
    reviews = {
        f"{h.key} {r.gate} round {r.round}": {
            "submitted_by": r.submitted_by,
            "state": r.state,
            "decision": r.decision,
            "decided_by": r.decided_by,
            "snapshot_digest": r.snapshot_digest,
        }
        | ({} if r.snapshot is None else {"snapshot": r.snapshot})
        | ({} if r.stale_evidence is None else {"stale_evidence": r.stale_evidence})
        for r in h.rounds
    }
    conditions = {
        f"{h.key} {c.gate} round {c.round} condition {c.position}": {
            "action": c.action,
            "owner": c.owner,
            "due": c.due,
            "closed_by": c.closed_by,
        }
        for c in h.conditions
    }
    waivers = {
        f"#{w.id}": {
            "project": h.key,
            "gate": w.gate,
            "requirement": w.requirement,
            "status": w.status,
            "expires_at": w.expires_at,
        }
        for w in h.waivers.values()
    }
    changes = {
        f"#{c.id}": {
            "project": h.key, "proposed_by": c.proposed_by, "changes": c.changes,
            "status": c.status, "approvals": c.approvals, "closed_by": c.closed_by,
        }
        for c in h.changes.values()
    }  # fmt: skip
    overrides = {
        f"#{o.id}": {
            "project": h.key, "gate": o.gate, "round": o.round, "state": o.state,
            "requested_by": o.requested_by, "answered_by": o.answered_by,
        }
        for o in h.overrides.values()
    }  # fmt: skip
    votes = {
        f"#{v.id}": {"project": h.key, "gate": r.gate, "round": r.round, "voter": v.voter,
                     "decision": v.decision, "comment": v.comment}
        for r in h.rounds
        for v in r.votes
    }  # fmt: skip
    assurance = {
        f"#{a.id}": {"project": h.key, "gate": r.gate, "round": r.round, "reviewer": a.reviewer,
                     "scale": a.scale, "rating": a.rating, "summary": a.summary,
                     "recommendations": a.recommendations}
        for r in h.rounds
        if (a := r.assurance) is not None
    }  # fmt: skip
    triggered = {
        f"#{t.id}": {"project": h.key, "gate": t.gate, "kind": t.kind, "cause": t.cause,
                     "due_on": t.due_on, "opened_at": t.opened_at}
        for t in h.triggered.values()
    }  # fmt: skip
    return {"projects": {h.key: project}, "artifact_versions": versions, "reviews": reviews,
            "follow_ups": conditions, "waivers": waivers, "change_requests": changes,
            "overrides": overrides, "votes": votes, "assurance_reviews": assurance,
            "triggered_reviews": triggered}  # fmt: skip


def _registered(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    if project and data.get("sponsor"):
        r.grants.add((data["sponsor"], "sponsor", project))


def _granted(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    r.grants.add((data["username"], data["role"], project))


def _revoked(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    r.grants.discard((data["username"], data["role"], project))


def _user_added(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    r.active[data["username"]] = True
    r.grants.update((data["username"], role, None) for role in data.get("roles", ()))


def _enabled(value: bool) -> Any:
    def apply(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
        r.active[data["username"]] = value

    return apply


def _attributes(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    pair = (data["org_unit"], data["team"])
    if any(pair):
        r.attributes[data["username"]] = pair
    else:
        r.attributes.pop(data["username"], None)


def _signed(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    if project and "signature" in data:
        r.signatures[data["signature"]] = SignatureFacts(
            project, data["gate"], data["round"], actor, data["role"],
            data.get("on_behalf_of"), data["decision"], data["snapshot_digest"],
            data.get("signature_hash"),
        )  # fmt: skip


def _snapshot(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    r.superseded.update(data.get("superseded_signatures", ()))


def _delegated(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    r.delegations[str(data["delegation"])] = {
        "delegator": actor, "delegate": data["delegate"], "role": data["role"],
        "project": project, "starts_at": data["starts_at"], "ends_at": data["ends_at"],
        "budget_limit": money_text(data.get("budget_limit")), "revoked_by": None,
    }  # fmt: skip


def _undelegated(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    row = r.delegations.get(str(data["delegation"]))
    if row is not None:
        row["revoked_by"] = actor


def _programme(r: Replayed, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
    r.programmes[data["programme"]] = {
        "name": data["name"], "sponsor": data["sponsor"], "created_by": actor,
    }  # fmt: skip


def money_text(amount: Decimal | str | None) -> str | None:
    """An amount as the tables keep money (two decimals), so "5000" and 5000.00 agree."""
    return None if amount is None else f"{Decimal(amount):.2f}"


_GLOBAL = {
    "project.registered": _registered,
    "role.granted": _granted,
    "role.revoked": _revoked,
    "user.added": _user_added,
    "user.enabled": _enabled(True),
    "user.disabled": _enabled(False),
    "user.attributes_changed": _attributes,
    "review.signed": _signed,
    "review.snapshot_changed": _snapshot,
    "delegation.created": _delegated,
    "delegation.revoked": _undelegated,
    "programme.created": _programme,
}


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A row and the trail disagree: which table, which row, which column, what the trail
    says it should be and what the table holds."""

    table: str
    key: str
    column: str
    expected: str
    found: str

    def __str__(self) -> str:
        return (
            f"{self.table} {self.key}: {self.column} should be {self.expected} (by the trail), "
            f"the table has {self.found}"
        )


MISSING = "(no row)"
NO_EVENT = "(no event)"


def compare_values(
    table: str, expected: Mapping[Any, Any], found: Mapping[Any, Any], column: str
) -> list[Mismatch]:
    """Rows keyed alike: one without its event, an event without its row, or a value that
    differs, each named."""
    problems = []
    for key in sorted(expected.keys() | found.keys(), key=str):
        want, have = expected.get(key, NO_EVENT), found.get(key, MISSING)
        if want != have:
            problems.append(Mismatch(table, str(key), column, str(want), str(have)))
    return problems


def compare_rows(table: str, expected: Rows, found: Rows) -> list[Mismatch]:
    """A table's rows against the trail's: a row without its event, an event without its
    row, and each column the trail knows that differs."""
    problems = []
    for key in sorted(expected.keys() | found.keys()):
        if key not in found:
            problems.append(Mismatch(table, key, "(row)", "a row", MISSING))
        elif key not in expected:
            problems.append(Mismatch(table, key, "(row)", NO_EVENT, "a row"))
        else:
            have = found[key]
            for column, want in expected[key].items():
                if have.get(column) != want:
                    problems.append(
                        Mismatch(table, key, column, _shown(want), _shown(have.get(column)))
                    )
    return problems


def _shown(value: Any) -> str:
    return "(none)" if value is None else str(value)


def compare_grants(expected: Iterable[Grant], found: Iterable[Grant]) -> list[Mismatch]:
    """Grants in force: one the trail never granted (or revoked), one it granted that the
    table lacks."""
    want, have = set(expected), set(found)
    problems = []
    for user, role, project in sorted(want ^ have, key=str):
        key = f"{user} {role} {'on ' + project if project else '(global)'}"
        if (user, role, project) in want:
            problems.append(Mismatch("role_grants", key, "(row)", "in force", MISSING))
        else:
            problems.append(Mismatch("role_grants", key, "(row)", NO_EVENT, "in force"))
    return problems


def compare_signatures(
    expected: Mapping[int, SignatureFacts],
    superseded: set[int],
    found: Mapping[int, tuple[SignatureFacts, bool, str | None]],
) -> list[Mismatch]:
    """Each signature row against its event: every recorded field, whether it was
    superseded, and its content hash (the row's recomputed hash is the third value)."""
    problems = []
    for number in sorted(expected.keys() | found.keys()):
        key = f"#{number}"
        if number not in found:
            problems.append(Mismatch("signatures", key, "(row)", "a signature", MISSING))
            continue
        row, is_superseded, recomputed = found[number]
        if number not in expected:
            problems.append(Mismatch("signatures", key, "(row)", NO_EVENT, "a signature"))
            continue
        event = expected[number]
        for name in SignatureFacts.__slots__:
            want, have = getattr(event, name), getattr(row, name)
            if name == "content_hash" and want is None:
                continue  # signed before signatures were bound
            if want != have:
                problems.append(Mismatch("signatures", key, name, str(want), str(have)))
        if row.content_hash is not None and recomputed != row.content_hash:
            problems.append(
                Mismatch(
                    "signatures",
                    key,
                    "content",
                    row.content_hash,
                    f"content hashing to {recomputed}",
                )
            )
        if (number in superseded) != is_superseded:
            problems.append(
                Mismatch(
                    "signatures",
                    key,
                    "superseded_at",
                    "set" if number in superseded else "empty",
                    "set" if is_superseded else "empty",
                )
            )
    return problems
