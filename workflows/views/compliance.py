"""Compliance reports over the whole portfolio, for a period: each a query on indexed columns
(an event's action, time and refusing rule; review decision times; condition due dates),
never a scan of event bodies. docs/reports.md lists the queries and their plans.

A report states its parameters, its row count and a digest of its content (the SHA-256 of
its CSV), so a copy handed on can be matched to the one exported (the export is audited:
workflows.verbs.compliance).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, func, or_, select

from gates.model import APPROVING
from gates.triggers import start_of
from gates.waivers import APPROVED
from policies.model import Position
from workflows.refusal_log import REFUSED
from workflows.store.records import (
    AssuranceRecord,
    AuditEvent,
    FollowUpRecord,
    OverrideRecord,
    Project,
    Review,
    RoleGrant,
    SignatureRecord,
    TriggeredReview,
    User,
    WaiverRecord,
)
from workflows.store.uow import UnitOfWork

UNUSED_FOR = timedelta(days=90)
MAX_ROWS = 100_000  # a report longer than this says so: narrow the period


@dataclass(frozen=True)
class Report:
    """One report: what was asked, its columns and rows, and their digest."""

    kind: str
    title: str
    since: datetime
    until: datetime
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool

    @property
    def count(self) -> int:
        """The number of rows."""
        return len(self.rows)

    def csv(self) -> str:
        """The report as CSV: a header line, then one line per row."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows([_text(v) for v in row] for row in self.rows)
        return out.getvalue()

    @property
    def digest(self) -> str:
        """The SHA-256 of the report's CSV."""
        return hashlib.sha256(self.csv().encode()).hexdigest()


@dataclass(frozen=True)
class Kind:
    """A kind of report: its title, columns, and the query that fills it."""

    title: str
    columns: tuple[str, ...]
    rows: Callable[[UnitOfWork, datetime, datetime], list[tuple[Any, ...]]]


def report(uow: UnitOfWork, kind: str, since: datetime, until: datetime) -> Report:
    """The report `kind` over [since, until). KeyError for an unknown kind."""
    found = KINDS[kind]
    rows = found.rows(uow, since, until)
    truncated = len(rows) > MAX_ROWS
    return Report(kind, found.title, since, until, found.columns, rows[:MAX_ROWS], truncated)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value)


def _events(
    uow: UnitOfWork, actions: Sequence[str], since: datetime, until: datetime, fields: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Events of `actions` in the period (index on action and time), with some fields of each
    one's data: only the matching events' bodies are read."""
    query = (
        select(AuditEvent.seq, AuditEvent.at, AuditEvent.actor, AuditEvent.action,
               AuditEvent.project_key, AuditEvent.body)
        .where(AuditEvent.action.in_(actions), AuditEvent.at >= since, AuditEvent.at < until)
        .order_by(AuditEvent.seq)
        .limit(MAX_ROWS + 1)
    )  # fmt: skip
    rows = []
    for seq, at, actor, action, key, body in uow.session.execute(query):
        data = orjson.loads(body)["data"]
        extra = tuple(_short(data.get(name)) for name in fields)
        rows.append((seq, at, actor, action, key, *extra))
    return rows


def _short(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return value


def _waivers(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    w = WaiverRecord
    query = (
        select(w.id, Project.key, w.gate_id, w.requirement, w.status, w.requested_by,
               w.requested_at, w.granted_by, w.expires_at, w.revoked_by, w.revoked_at)
        .join(Project, Project.id == w.project_id)
        .where(w.requested_at >= since, w.requested_at < until)
        .order_by(w.requested_at, w.id)
        .limit(MAX_ROWS + 1)
    )  # fmt: skip
    rows = []
    for (
        number,
        key,
        gate,
        requirement,
        status,
        by,
        at,
        granted,
        expires,
        revoker,
        revoked,
    ) in uow.session.execute(query):
        now = status
        if revoked is not None:
            now = "revoked"
        elif status == APPROVED:
            ends = expires if expires is None or expires.tzinfo else expires.replace(tzinfo=UTC)
            now = "expired" if ends is not None and ends <= until else "active"
        rows.append(
            (number, key, gate, requirement, now, by, at, granted, expires, revoker, revoked)
        )
    return rows


def _overrides(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    actions = ("override.requested", "override.confirmed", "override.declined")
    return _events(uow, actions, since, until, ("gate", "round", "reason", "missing"))


def _refusals(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    e = AuditEvent
    query = (
        select(e.rule, func.count(), func.min(e.at), func.max(e.at))
        .where(e.action == REFUSED, e.at >= since, e.at < until)
        .group_by(e.rule)
        .order_by(func.count().desc(), e.rule)
    )
    return [tuple(row) for row in uow.session.execute(query)]


def _late_approvals(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    r = Review
    query = (
        select(Project.key, r.gate_id, r.round, r.due_at, r.decided_at, r.decision, r.decided_by)
        .join(Project, Project.id == r.project_id)
        .where(r.decided_at >= since, r.decided_at < until, r.due_at.is_not(None))
        .where(r.decided_at > r.due_at)
        .order_by(r.decided_at)
        .limit(MAX_ROWS + 1)
    )
    rows: list[tuple[Any, ...]] = []
    for key, gate, number, due, decided, decision, by in uow.session.execute(query):
        late = (decided - due).days if decided is not None and due is not None else None
        rows.append((key, gate, number, due, decided, late, decision, by))
    return rows


def _overdue_conditions(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    f = FollowUpRecord
    owner = select(User.username).where(User.id == f.owner_id).scalar_subquery()
    closed_late = and_(f.done_at.is_not(None), func.date(f.done_at) > f.due)
    query = (
        select(Project.key, Review.gate_id, f.action, owner, f.due, f.done_at)
        .join(Review, Review.id == f.review_id)
        .join(Project, Project.id == Review.project_id)
        .where(f.due >= since.date(), f.due < until.date())
        .where(or_(f.done_at.is_(None), closed_late))
        .order_by(f.due, f.id)
        .limit(MAX_ROWS + 1)
    )
    return [
        (key, gate, action, who, due, done, "closed late" if done else "open")
        for key, gate, action, who, due, done in uow.session.execute(query)
    ]


TRIGGERED_WITHIN = timedelta(days=30)
"""A triggered review not passed this long after it came is overdue (in the report)."""


def _triggered_reviews(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    t = TriggeredReview
    query = (
        select(t.project_id, Project.key, t.gate_id, t.kind, t.cause, t.due_on, t.opened_at)
        .join(Project, Project.id == t.project_id)
        .where(t.due_on >= since.date(), t.due_on < until.date())
        .order_by(t.due_on, t.id)
        .limit(MAX_ROWS + 1)
    )
    found = uow.session.execute(query).all()
    passes: dict[tuple[int, str], list[datetime]] = {}
    for project, gate, at in uow.session.execute(
        select(Review.project_id, Review.gate_id, Review.decided_at).where(
            Review.project_id.in_({row[0] for row in found}),
            Review.decision.in_([d.value for d in APPROVING]),
        )
    ):
        if at is not None:
            passes.setdefault((project, gate), []).append(at)
    rows, seen = [], min(until, uow.now)  # a period reaching past today: as of today
    for project, key, gate, kind, cause, due_on, opened_at in found:
        came = start_of(due_on)
        passed = min((at for at in passes.get((project, gate), ()) if at > came), default=None)
        rows.append((key, gate, kind, cause, due_on, opened_at, passed,
                     _triggered_state(came, passed, seen)))  # fmt: skip
    return rows


def _triggered_state(came: datetime, passed: datetime | None, seen: datetime) -> str:
    """passed, passed late (after TRIGGERED_WITHIN), overdue (not passed within it, as of
    `seen`) or owed."""
    deadline = came + TRIGGERED_WITHIN
    if passed is not None:
        return "passed" if passed <= deadline else "passed late"
    return "overdue" if seen > deadline else "owed"


def _migrations(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    fields = ("old_policy", "new_policy", "old_tier", "new_tier", "reason")
    return _events(uow, ("project.policy_migrated",), since, until, fields)


def _programmes(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    actions = (
        "programme.created", "programme.project_added", "programme.project_removed",
        "project.retiered",
    )  # fmt: skip
    fields = ("programme", "moved_by", "change", "old_tier", "new_tier", "reason")
    return _events(uow, actions, since, until, fields)


def _fact_changes(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    actions = (
        "project.facts_updated", "change.proposed", "change.approved", "change.rejected",
        "change.withdrawn", "change.applied",
    )  # fmt: skip
    return _events(
        uow, actions, since, until, ("change", "changed", "old_tier", "new_tier", "reason")
    )


def _unused_roles(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    """Users holding roles who have done nothing for UNUSED_FOR before the period's end."""
    quiet_since = until - UNUSED_FOR
    last = (
        select(func.max(AuditEvent.at))
        .where(AuditEvent.actor == User.username, AuditEvent.at < until)
        .correlate(User)
        .scalar_subquery()
    )
    held = (
        select(RoleGrant.user_id, func.count().label("grants"))
        .where(RoleGrant.revoked_at.is_(None))
        .group_by(RoleGrant.user_id)
        .subquery()
    )
    query = (
        select(User.username, User.display_name, held.c.grants, last.label("last"))
        .join(held, held.c.user_id == User.id)
        .where(User.active.is_(True))
        .order_by(User.username)
    )
    rows = []
    for username, name, grants, last_at in uow.session.execute(query):
        moment = last_at if last_at is None or last_at.tzinfo else last_at.replace(tzinfo=UTC)
        if moment is None or moment < quiet_since:
            rows.append((username, name, grants, moment, "never" if moment is None else ""))
    return rows


def _stale_evidence(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    """Gates passed (go or conditional go) in the period while a piece of evidence they
    require was older than its `max_age_days`, as each decision recorded it on its review
    (gates.readiness.Readiness.stale_evidence), and what let the gate pass all the same: a
    confirmed PMO override or an approved waiver. Reads the decided reviews by decision time,
    only those that recorded stale evidence."""
    r = Review
    query = (
        select(r.id, Project.key, r.gate_id, r.round, r.decided_at, r.decision, r.decided_by,
               r.stale_evidence)
        .join(Project, Project.id == r.project_id)
        .where(r.decided_at >= since, r.decided_at < until, r.stale_evidence.is_not(None))
        .where(r.decision.in_([d.value for d in APPROVING]))
        .order_by(r.decided_at, r.id)
        .limit(MAX_ROWS + 1)
    )  # fmt: skip
    rows: list[tuple[Any, ...]] = []
    for review, key, gate, number, decided, decision, by, stale in uow.session.execute(query):
        for found in stale or ():
            artifact = found["artifact"]
            rows.append((key, gate, number, decided, decision, by, artifact, found["attached_at"],
                         found["age_days"], found["max_age_days"],
                         _passed_by(uow, review, key, gate, artifact)))  # fmt: skip
    return rows


def _passed_by(uow: UnitOfWork, review: int, key: str, gate: str, artifact: str) -> str:
    """What let a gate pass with stale evidence: a confirmed override of its review, or an
    approved waiver of the artifact at that gate."""
    overridden = uow.session.execute(
        select(OverrideRecord.id).where(
            OverrideRecord.review_id == review, OverrideRecord.state == "confirmed"
        )
    ).first()
    if overridden is not None:
        return f"override {overridden[0]}"
    waived = uow.session.execute(
        select(WaiverRecord.id)
        .join(Project, Project.id == WaiverRecord.project_id)
        .where(Project.key == key, WaiverRecord.gate_id == gate)
        .where(WaiverRecord.requirement == f"artifact:{artifact}", WaiverRecord.status == APPROVED)
    ).first()
    return f"waiver {waived[0]}" if waived is not None else ""


def _votes(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    return _events(uow, ("review.voted",), since, until, ("gate", "round", "decision", "comment"))


POSITION_VALUES = tuple(p.value for p in Position)


def _positions(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    """Advisory positions and consulted comments given in the period (a partial index of
    the signatures that give one), with how each gate was decided."""
    s, r = SignatureRecord, Review
    query = (
        select(Project.key, r.gate_id, r.round, User.username, s.role, s.decision, s.comment,
               s.signed_at, s.superseded_at, r.decision, r.decided_at)
        .join(r, r.id == s.review_id)
        .join(Project, Project.id == r.project_id)
        .join(User, User.id == s.signer_id)
        .where(s.decision.in_(POSITION_VALUES), s.signed_at >= since, s.signed_at < until)
        .order_by(s.signed_at, s.id)
        .limit(MAX_ROWS + 1)
    )  # fmt: skip
    return [tuple(row) for row in uow.session.execute(query)]


def _assurance(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    """Assurance reviews recorded in the period (index on recorded_at): one row per
    recommendation (a review without any gives one row), with how the gate was decided."""
    a, r = AssuranceRecord, Review
    query = (
        select(Project.key, r.gate_id, r.round, User.username, a.scale, a.rating, a.summary,
               a.recommendations, a.recorded_at, r.decision, r.decided_by)
        .join(r, r.id == a.review_id)
        .join(Project, Project.id == r.project_id)
        .join(User, User.id == a.reviewer_id)
        .where(a.recorded_at >= since, a.recorded_at < until)
        .order_by(a.recorded_at, a.id)
        .limit(MAX_ROWS + 1)
    )  # fmt: skip
    rows: list[tuple[Any, ...]] = []
    for *head, recommendations, at, decision, decided_by in uow.session.execute(query):
        for item in recommendations or [{}]:
            rows.append((*head, item.get("urgency", ""), item.get("owner", ""),
                         item.get("action", ""), at, decision, decided_by))  # fmt: skip
    return rows


def _logins(uow: UnitOfWork, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    actions = ("login.failed", "login.locked", "login.throttled")
    return _events(uow, actions, since, until, ("username", "address", "scope", "failures"))


EVENT_COLUMNS = ("event", "at", "actor", "action", "project")
KINDS: dict[str, Kind] = {
    "waivers": Kind(
        "Waivers requested in the period: active, expired, revoked, denied",
        (
            "waiver",
            "project",
            "gate",
            "requirement",
            "status",
            "requested_by",
            "requested_at",
            "granted_by",
            "expires_at",
            "revoked_by",
            "revoked_at",
        ),
        _waivers,
    ),
    "overrides": Kind(
        "PMO overrides asked, confirmed and declined",
        (*EVENT_COLUMNS, "gate", "round", "reason", "missing"),
        _overrides,
    ),
    "refusals": Kind(
        "Refused attempts, by the rule that refused them",
        ("rule", "attempts", "first", "last"),
        _refusals,
    ),
    "late-approvals": Kind(
        "Gates decided after their service level",
        ("project", "gate", "round", "due_at", "decided_at", "days_late", "decision", "decided_by"),
        _late_approvals,
    ),
    "overdue-conditions": Kind(
        "Conditions due in the period and still open, or closed after their due date",
        ("project", "gate", "action", "owner", "due", "closed_at", "state"),
        _overdue_conditions,
    ),
    "triggered-reviews": Kind(
        "Reviews triggers opened that came in the period (recurring dates, overdue "
        "conditions): passed, passed late, owed, or overdue (not passed within 30 days)",
        ("project", "gate", "kind", "cause", "due_on", "opened_at", "passed_at", "state"),
        _triggered_reviews,
    ),
    "stale-evidence": Kind(
        "Gates passed while evidence they require was older than the policy allows",
        (
            "project",
            "gate",
            "round",
            "decided_at",
            "decision",
            "decided_by",
            "artifact",
            "attached_at",
            "age_days",
            "max_age_days",
            "passed_by",
        ),
        _stale_evidence,
    ),
    "votes": Kind(
        "Panel votes cast on gates that take a vote",
        (*EVENT_COLUMNS, "gate", "round", "decision", "comment"),
        _votes,
    ),
    "assurance": Kind(
        "Independent assurance reviews: ratings and recommendations, with how each gate was "
        "decided",
        (
            "project",
            "gate",
            "round",
            "reviewer",
            "scale",
            "rating",
            "summary",
            "urgency",
            "owner",
            "recommendation",
            "recorded_at",
            "gate_decision",
            "decided_by",
        ),
        _assurance,
    ),
    "positions": Kind(
        "Advisory positions (support, disagree but support, object) and consulted comments, "
        "with how each gate was decided",
        (
            "project",
            "gate",
            "round",
            "signer",
            "role",
            "position",
            "comment",
            "signed_at",
            "superseded_at",
            "gate_decision",
            "decided_at",
        ),
        _positions,
    ),
    "migrations": Kind(
        "Projects moved to another policy version",
        (*EVENT_COLUMNS, "old_policy", "new_policy", "old_tier", "new_tier", "reason"),
        _migrations,
    ),
    "fact-changes": Kind(
        "Fact changes and change requests",
        (*EVENT_COLUMNS, "change", "changed", "old_tier", "new_tier", "reason"),
        _fact_changes,
    ),
    "programmes": Kind(
        "Programmes created, projects moved in and out, and the projects each move re-tiered",
        (*EVENT_COLUMNS, "programme", "moved_by", "change", "old_tier", "new_tier", "reason"),
        _programmes,
    ),
    "unused-roles": Kind(
        "Users holding roles who have not acted for 90 days before the period's end "
        "(access recertification)",
        ("username", "name", "grants", "last_action", "note"),
        _unused_roles,
    ),
    "logins": Kind(
        "Failed logins, lockouts and throttling",
        (*EVENT_COLUMNS, "username", "address", "scope", "failures"),
        _logins,
    ),
}
