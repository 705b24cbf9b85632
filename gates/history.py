"""A project as it was at a moment, rebuilt from its audit events alone: stage, tier, facts,
policy version, programme, evidence versions, review rounds with their signatures and
decisions, conditions, waivers, and the reviews triggers opened.

`ProjectHistory.apply` takes the project's events in seq order; stop feeding them at the
moment wanted and the history holds the project as of then. The same replay up to now must
equal what the tables hold (tests check it after every step of random verb sequences).

Pure: events are (action, actor, at, data) as their bodies say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
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
    printed_name: str = ""
    meaning: str = ""


@dataclass
class VoteAt:
    """A panel member's vote on a review round."""

    id: int
    voter: str
    decision: str
    comment: str
    at: str


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
    # What was submitted for decision; None where an older event did not record it.
    snapshot: dict[str, Any] | None = None
    # The evidence older than allowed when it was decided (gates.readiness.StaleEvidence
    # records); None where the decision's event did not say.
    stale_evidence: list[dict[str, Any]] | None = None
    votes: list[VoteAt] = field(default_factory=list)
    assurance: AssuranceAt | None = None


@dataclass
class AssuranceAt:
    """The independent assurance review of a round: who rated it what, on which scale, what
    they found and recommended (each {action, urgency, owner})."""

    id: int
    reviewer: str
    scale: str
    rating: str
    summary: str
    recommendations: list[dict[str, str]]
    at: str


@dataclass
class ConditionAt:
    """A condition of a conditional go: what, whose, by when, and whether it was closed.

    `round` and `position` (its place in its decision's list) name it in old events and new;
    `id` is its row's number where the decision's event recorded it."""

    gate: str
    action: str
    owner: str
    due: str
    closed_by: str | None = None
    closed_at: str | None = None
    round: int = 0
    position: int = 0
    id: int | None = None


@dataclass
class WaiverAt:
    """A waiver of one requirement and its status."""

    id: int
    gate: str
    requirement: str
    status: str
    expires_at: str | None


@dataclass
class ChangeAt:
    """A change request on the project's facts: what it changes, who approved it as what,
    and how it ended."""

    id: int
    proposed_by: str
    proposed_at: str
    changes: dict[str, Any]
    reason: str
    status: str = "open"
    approvals: list[list[str]] = field(default_factory=list)  # [role, approver], sorted
    closed_by: str | None = None


@dataclass
class OverrideAt:
    """A PMO override asked for a review round, and its answer by a second PMO member."""

    id: int
    gate: str
    round: int
    reason: str
    missing: list[str]
    requested_by: str
    state: str = "requested"
    answered_by: str | None = None
    answer: str = ""


@dataclass
class TriggeredAt:
    """A review a trigger opened (gates.triggers): of which gate, what kind, for what cause,
    due on which day, and when it was opened."""

    id: int
    gate: str
    kind: str
    cause: str
    due_on: str
    opened_at: str


@dataclass
class EvidenceAt:
    """One version of one artifact. `media_type` is None where its event did not record it
    (attachments before the trail became the record)."""

    version: int
    digest: str | None
    at: str
    by: str
    kind: str = ""
    filename: str = ""
    size: int = 0
    url: str = ""
    media_type: str | None = None
    form: dict[str, Any] | None = None
    note: str = ""


@dataclass
class ProjectHistory:
    """The project as its events describe it so far."""

    key: str
    registered: bool = False
    name: str = ""
    manager: str = ""
    policy: str = ""
    stage: str = ""
    tier: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, EvidenceAt] = field(default_factory=dict)  # the newest of each
    versions: dict[tuple[str, int], EvidenceAt] = field(default_factory=dict)
    rounds: list[RoundAt] = field(default_factory=list)
    conditions: list[ConditionAt] = field(default_factory=list)
    waivers: dict[int, WaiverAt] = field(default_factory=dict)
    changes: dict[int, ChangeAt] = field(default_factory=dict)
    overrides: dict[int, OverrideAt] = field(default_factory=dict)
    triggered: dict[int, TriggeredAt] = field(default_factory=dict)
    programme: str | None = None
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

    def to_data(self) -> dict[str, Any]:
        """The project as JSON values: what a baseline event holds of it."""
        return {
            "name": self.name,
            "manager": self.manager,
            "policy": self.policy,
            "stage": self.stage,
            "tier": self.tier,
            "facts": self.facts,
            "versions": [[a, asdict(v)] for (a, _), v in sorted(self.versions.items())],
            "rounds": [asdict(r) for r in self.rounds],
            "conditions": [asdict(c) for c in self.conditions],
            "waivers": [asdict(w) for _, w in sorted(self.waivers.items())],
            "changes": [asdict(c) for _, c in sorted(self.changes.items())],
            "overrides": [asdict(o) for _, o in sorted(self.overrides.items())],
            "triggered": [asdict(t) for _, t in sorted(self.triggered.items())],
            "programme": self.programme,
        }

    @classmethod
    def from_data(cls, key: str, data: Mapping[str, Any]) -> ProjectHistory:
        """The project a baseline event holds (to_data's inverse)."""
        history = cls(
            key, True, data["name"], data["manager"], data["policy"], data["stage"],
            data["tier"], dict(data["facts"]),
        )  # fmt: skip
        for artifact, fields in data["versions"]:
            version = EvidenceAt(**fields)
            history.versions[artifact, version.version] = version
            newest = history.evidence.get(artifact)
            if newest is None or newest.version < version.version:
                history.evidence[artifact] = version
        for fields in data["rounds"]:
            signatures = [SignatureAt(**s) for s in fields["signatures"]]
            votes = [VoteAt(**v) for v in fields.get("votes", ())]
            rated = fields.get("assurance")
            assurance = AssuranceAt(**rated) if rated else None
            history.rounds.append(
                RoundAt(**{**fields, "signatures": signatures, "votes": votes,
                           "assurance": assurance})
            )  # fmt: skip
        history.conditions = [ConditionAt(**fields) for fields in data["conditions"]]
        history.waivers = {w["id"]: WaiverAt(**w) for w in data["waivers"]}
        history.changes = {c["id"]: ChangeAt(**c) for c in data["changes"]}
        history.overrides = {o["id"]: OverrideAt(**o) for o in data["overrides"]}
        history.triggered = {t["id"]: TriggeredAt(**t) for t in data.get("triggered", ())}
        history.programme = data.get("programme")  # baselines before programmes had none
        return history


def _registered(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.registered, h.name, h.policy = True, data.get("name", ""), data.get("policy", "")
    h.manager = data.get("manager", "")
    h.stage, h.tier, h.facts = data["stage"], data.get("tier", ""), dict(data.get("facts", {}))


def _facts(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    for name, change in data.get("changed", {}).items():
        if change.get("new") is None:
            h.facts.pop(name, None)
        else:
            h.facts[name] = change["new"]
    h.tier = data.get("new_tier", h.tier)


def _retiered(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.tier = data["new_tier"]


def _joined(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.programme = data["programme"]


def _left(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.programme = None


def _migrated(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.policy, h.tier = data["new_policy"], data.get("new_tier", h.tier)


def _attached(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    version = EvidenceAt(
        data["version"], data.get("digest"), at, actor, data.get("kind", ""),
        data.get("filename", ""), data.get("size", 0), data.get("url", ""),
        data.get("media_type"), data.get("form"), data.get("note", ""),
    )  # fmt: skip
    h.evidence[data["artifact"]] = h.versions[data["artifact"], data["version"]] = version


def _submitted(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.rounds.append(
        RoundAt(data["gate"], data["round"], actor, at, data["snapshot_digest"],
                snapshot=data.get("snapshot"))
    )  # fmt: skip


def _snapshot_changed(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.round_of(data["gate"], data["round"])
    if found is None:
        return
    found.snapshot_digest, found.snapshot = data["new_digest"], data.get("snapshot")
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
                printed_name=data.get("printed_name", ""),
                meaning=data.get("meaning", ""),
            )
        )


def _voted(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.round_of(data["gate"], data["round"])
    if found is not None:
        found.votes.append(
            VoteAt(data["vote"], actor, data["decision"], data.get("comment", ""), at)
        )


def _assured(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.round_of(data["gate"], data["round"])
    if found is not None:
        found.assurance = AssuranceAt(
            data["assurance"], actor, data["scale"], data["rating"], data["summary"],
            list(data["recommendations"]), at,
        )  # fmt: skip


def _decided(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.round_of(data["gate"], data["round"])
    if found is not None:
        found.state, found.decision, found.decided_by, found.decided_at = (
            "decided", data["decision"], actor, at,
        )  # fmt: skip
        found.stale_evidence = data.get("stale_evidence")
    if "new_stage" in data:
        h.stage = data["new_stage"]
    for position, item in enumerate(data.get("follow_ups", ()), start=1):
        h.conditions.append(
            ConditionAt(
                data["gate"], item["action"], item["owner"], item["due"],
                round=data["round"], position=position, id=item.get("condition"),
            )
        )  # fmt: skip


def _withdrawn(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.round_of(data["gate"], data["round"])
    if found is not None:
        found.state = "withdrawn"


def _condition_closed(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = _condition(h, data.get("condition"), lambda c: c.closed_at is None and (
        (c.gate, c.action, c.due) == (data["gate"], data["what"], data["due"])
    ))  # fmt: skip
    if found is not None:
        found.closed_by, found.closed_at = actor, at


def _condition_owner(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = _condition(h, data.get("condition"), lambda c: c.owner == data.get("owner_was"))
    if found is not None:
        found.owner = data["owner"]


def _condition(
    h: ProjectHistory, number: int | None, alike: Callable[[ConditionAt], bool]
) -> ConditionAt | None:
    """The condition an event names: by its number where the decision recorded numbers,
    else (older events) the first that matches what the event says of it."""
    if number is not None:
        found = next((c for c in h.conditions if c.id == number), None)
        if found is not None:
            return found
    return next((c for c in h.conditions if c.id is None and alike(c)), None)


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


def _change(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.changes[data["change"]] = ChangeAt(
        data["change"], actor, at, dict(data["changes"]), data.get("reason", "")
    )


def _change_approved(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    found = h.changes.get(data["change"])
    if found is not None:
        found.approvals = sorted([*found.approvals, [data["role"], actor]])


def _change_closed(status: str) -> Any:
    def apply(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
        found = h.changes.get(data["change"])
        if found is not None:
            found.status, found.closed_by = status, actor
        if status == "applied":
            _facts(h, actor, at, data)

    return apply


def _override_asked(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.overrides[data["override"]] = OverrideAt(
        data["override"], data["gate"], data["round"], data.get("reason", ""),
        list(data.get("missing", ())), actor,
    )  # fmt: skip


def _override_answered(state: str) -> Any:
    def apply(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
        found = h.overrides.get(data["override"])
        if found is not None:
            found.state, found.answered_by, found.answer = state, actor, data.get("answer", "")

    return apply


def _triggered(h: ProjectHistory, actor: str, at: str, data: Mapping[str, Any]) -> None:
    h.triggered[data["triggered"]] = TriggeredAt(
        data["triggered"], data["gate"], data["kind"], data["cause"], data["due_on"], at
    )


_HANDLERS = {
    "project.registered": _registered,
    "project.facts_updated": _facts,
    "project.retiered": _retiered,
    "programme.project_added": _joined,
    "programme.project_removed": _left,
    "change.proposed": _change,
    "change.approved": _change_approved,
    "change.applied": _change_closed("applied"),
    "change.rejected": _change_closed("rejected"),
    "change.withdrawn": _change_closed("withdrawn"),
    "override.requested": _override_asked,
    "override.confirmed": _override_answered("confirmed"),
    "override.declined": _override_answered("declined"),
    "project.policy_migrated": _migrated,
    "artifact.attached": _attached,
    "review.submitted": _submitted,
    "review.snapshot_changed": _snapshot_changed,
    "review.signed": _signed,
    "assurance.recorded": _assured,
    "review.voted": _voted,
    "review.decided": _decided,
    "review.withdrawn": _withdrawn,
    "review.triggered": _triggered,
    "condition.closed": _condition_closed,
    "condition.owner_assigned": _condition_owner,
    "waiver.requested": _waiver("requested"),
    "waiver.approved": _waiver("approved"),
    "waiver.denied": _waiver("denied"),
    "waiver.revoked": _waiver("revoked"),
}
