"""The trail is the record: the governance rows rebuilt from the audit events alone, and the
differences between them and the rows the tables hold.

This first part of the replay rebuilds each project's stage, every role grant in force,
every user's active flag and every signature (what it says, whether it was superseded, its
content hash). `audit.baseline` (appended by migration 0017 on a database that already had
events) holds those rows as they stood: replay starts from it for anything older.

Pure: events are (action, actor, at, project, data) as their bodies say; rows are given as
the same kinds of values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

BASELINE = "audit.baseline"
# Actions that move a project to another stage; their data carries new_stage.
_STAGE_MOVES = frozenset({"review.decided", "gate.skipped", "override.decided"})

Grant = tuple[str, str, str | None]  # username, role, project key (None: global)


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
    """The governance rows the events describe."""

    stages: dict[str, str] = field(default_factory=dict)
    grants: set[Grant] = field(default_factory=set)
    active: dict[str, bool] = field(default_factory=dict)
    signatures: dict[int, SignatureFacts] = field(default_factory=dict)
    superseded: set[int] = field(default_factory=set)

    def apply(self, action: str, actor: str, project: str | None, data: Mapping[str, Any]) -> None:
        """Take one event into account."""
        if action == BASELINE:
            self._baseline(data)
        elif action == "project.registered" and project:
            self.stages[project] = data["stage"]
            if data.get("sponsor"):
                self.grants.add((data["sponsor"], "sponsor", project))
        elif (
            project
            and "new_stage" in data
            and (action in _STAGE_MOVES or action.startswith("project."))
        ):
            self.stages[project] = data["new_stage"]
        elif action == "role.granted":
            self.grants.add((data["username"], data["role"], project))
        elif action == "role.revoked":
            self.grants.discard((data["username"], data["role"], project))
        elif action == "user.added":
            self.active[data["username"]] = True
            self.grants.update((data["username"], role, None) for role in data.get("roles", ()))
        elif action in ("user.enabled", "user.disabled"):
            self.active[data["username"]] = action == "user.enabled"
        elif action == "review.signed" and project and "signature" in data:
            self.signatures[data["signature"]] = SignatureFacts(
                project, data["gate"], data["round"], actor, data["role"],
                data.get("on_behalf_of"), data["decision"], data["snapshot_digest"],
                data.get("signature_hash"),
            )  # fmt: skip
        elif action == "review.snapshot_changed":
            self.superseded.update(data.get("superseded_signatures", ()))

    def _baseline(self, data: Mapping[str, Any]) -> None:
        self.stages = dict(data.get("stages", {}))
        self.grants = {(u, r, p) for u, r, p in data.get("grants", ())}
        self.active = dict(data.get("active", {}))
        self.signatures = {
            int(i): SignatureFacts(**facts) for i, facts in data.get("signatures", {}).items()
        }
        self.superseded = set(data.get("superseded", ()))


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
