"""A project as it was at a moment, rebuilt from its audit events alone: stage, tier, facts,
policy version, evidence versions, review rounds with their signatures and decisions,
conditions and waivers.

`ProjectHistory.apply` takes the project's events in seq order; stop feeding them at the
moment wanted and the history holds the project as of then. The same replay up to now must
equal what the tables hold (tests check it after every step of random verb sequences).

Pure: events are (action, actor, at, data) as their bodies say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SignatureAt:
    """A signature on a review round: who, as what, deciding what, and whether a later
    snapshot superseded it."""

    id: int | None
    signer: str
    role: str
    decision: str
    on_behalf_of: str | None
    at: str
    snapshot_digest: str
    superseded: bool = False


@dataclass
class RoundAt:
    """One review round of a gate."""

    gate: str
    round: int
    submitted_by: str
    submitted_at: str
    snapshot_digest: str
    state: str = "submitted"
    decision: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    signatures: list[SignatureAt] = field(default_factory=list)


@dataclass
class ConditionAt:
    """A condition of a conditional go: what, whose, by when, and whether it was closed."""

    gate: str
    action: str
    owner: str
    due: str
    closed_by: str | None = None
    closed_at: str | None = None


@dataclass
class WaiverAt:
    """A waiver of one requirement and its status."""

    id: int
    gate: str
    requirement: str
    status: str
    expires_at: str | None


@dataclass
class EvidenceAt:
    """The newest version of one artifact."""

    version: int
    digest: str | None
    at: str
    by: str


@dataclass
class ProjectHistory:
    """The project as its events describe it so far."""

    key: str
    registered: bool = False
    name: str = ""
    policy: str = ""
    stage: str = ""
    tier: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, EvidenceAt] = field(default_factory=dict)
    rounds: list[RoundAt] = field(default_factory=list)
    conditions: list[ConditionAt] = field(default_factory=list)
    waivers: dict[int, WaiverAt] = field(default_factory=dict)
    events: int = 0
    last_at: str | None = None

    def apply(self, action: str, actor: str, at: str, data: Mapping[str, Any]) -> None:
        """Take one of the project's events into account."""
        self.events += 1
        self.last_at = at
        handler = _HANDLERS.get(action)
        if handler is not None:
            handler(self, actor, at, data)
        elif "new_stage" in data:  # hold, resume, kill, skip and the like
            self.stage = data["new_stage"]
            if data.get("withdrawn_review") is not None:  # a kill withdraws the open round
                for found in self.rounds:
                    if found.state == "submitted":
                        found.state = "withdrawn"

    def round_of(self, gate: str, number: int) -> RoundAt | None:
        """The round `number` of `gate`, if it was submitted."""
        return next((r for r in self.rounds if (r.gate, r.round) == (gate, number)), None)


def _registered(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.registered, h.name, h.policy = True, data.get("name", ""), data.get("policy", "")
    h.stage, h.tier, h.facts = data["stage"], data.get("tier", ""), dict(data.get("facts", {}))


def _facts(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    for name, change in data.get("changed", {}).items():
        if change.get("new") is None:
            h.facts.pop(name, None)
        else:
            h.facts[name] = change["new"]
    h.tier = data.get("new_tier", h.tier)


def _migrated(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.policy, h.tier = data["new_policy"], data.get("new_tier", h.tier)


def _attached(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.evidence[data["artifact"]] = EvidenceAt(data["version"], data.get("digest"), at, actor)


def _submitted(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.rounds.append(RoundAt(data["gate"], data["round"], actor, at, data["snapshot_digest"]))


def _snapshot_changed(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.round_of(data["gate"], data["round"])
    if found is None:
        return
    found.snapshot_digest = data["new_digest"]
    gone = set(data.get("superseded_signatures", ()))
    for signature in found.signatures:
        if signature.id in gone or signature.snapshot_digest == data.get("old_digest"):
            signature.superseded = True


def _signed(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.round_of(data["gate"], data["round"])
    if found is not None:
        found.signatures.append(
            SignatureAt(
                data.get("signature"),
                actor,
                data["role"],
                data["decision"],
                data.get("on_behalf_of"),
                at,
                data["snapshot_digest"],
            )
        )


def _decided(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.round_of(data["gate"], data["round"])
    if found is not None:
        found.state, found.decision, found.decided_by, found.decided_at = (
            "decided", data["decision"], actor, at,
        )  # fmt: skip
    if "new_stage" in data:
        h.stage = data["new_stage"]
    for item in data.get("follow_ups", ()):
        h.conditions.append(ConditionAt(data["gate"], item["action"], item["owner"], item["due"]))


def _withdrawn(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.round_of(data["gate"], data["round"])
    if found is not None:
        found.state = "withdrawn"


def _condition_closed(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    # Conditions are named by what they ask and by when (their decision's event has no ids).
    for condition in h.conditions:
        same = (condition.gate, condition.action, condition.due)
        if same == (data["gate"], data["what"], data["due"]) and condition.closed_at is None:
            condition.closed_by, condition.closed_at = actor, at
            return


def _condition_owner(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    for condition in h.conditions:
        if condition.owner == data.get("owner_was"):
            condition.owner = data["owner"]
            return


def _waiver(status: str) -> Any:
    def apply(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
        number = data["waiver"]
        found = h.waivers.get(number)
        if found is None:
            found = h.waivers[number] = WaiverAt(
                number, data["gate"], data["requirement"], status, data.get("expires_at")
            )
        found.status, found.expires_at = status, data.get("expires_at", found.expires_at)

    return apply


_HANDLERS = {
    "project.registered": _registered,
    "project.facts_updated": _facts,
    "change.applied": _facts,
    "project.policy_migrated": _migrated,
    "artifact.attached": _attached,
    "review.submitted": _submitted,
    "review.snapshot_changed": _snapshot_changed,
    "review.signed": _signed,
    "review.decided": _decided,
    "review.withdrawn": _withdrawn,
    "condition.closed": _condition_closed,
    "condition.owner_assigned": _condition_owner,
    "waiver.requested": _waiver("requested"),
    "waiver.approved": _waiver("approved"),
    "waiver.denied": _waiver("denied"),
    "waiver.revoked": _waiver("revoked"),
}
