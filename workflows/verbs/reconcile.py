"""`audit verify --deep`: replay the trail (gates.replay) and reconcile the governance tables
with it, naming every row without its event, event without its row, and value that differs.

The tables are read whole, a query per table, into the shapes the replay builds (one
gates.history.ProjectHistory per project, rows by name for the rest), so one comparison
(gates.replay) serves every table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, column, insert, select, table, text
from sqlalchemy.orm import aliased

from gates.binding import SignatureContent, signature_hash
from gates.chain import ChainHead, canonical_bytes, chain_next, utc_text
from gates.history import (
    AssuranceAt,
    ChangeAt,
    ConditionAt,
    EvidenceAt,
    OverrideAt,
    ProjectHistory,
    RoundAt,
    SignatureAt,
    TriggeredAt,
    VoteAt,
    WaiverAt,
)
from gates.replay import (
    BASELINE,
    Grant,
    Mismatch,
    Replayed,
    Rows,
    SignatureFacts,
    compare_grants,
    compare_rows,
    compare_signatures,
    compare_values,
    money_text,
    tables_of,
)
from workflows.store.records import (
    ArtifactVersion,
    AssuranceRecord,
    AuditEvent,
    ChangeApproval,
    ChangeRequest,
    Delegation,
    FollowUpRecord,
    OverrideRecord,
    PolicyVersion,
    Programme,
    Project,
    Review,
    RoleGrant,
    SignatureRecord,
    TriggeredReview,
    User,
    VoteRecord,
    WaiverRecord,
    table_of,
)

BATCH = 10_000


@dataclass(frozen=True)
class TableRows:
    """The reconciled governance rows as the tables hold them."""

    projects: dict[str, ProjectHistory]
    grants: set[Grant]
    active: dict[str, bool]
    signatures: dict[int, tuple[SignatureFacts, bool, str | None]]
    delegations: Rows
    attributes: dict[str, tuple[str, str]]
    programmes: Rows

    def tables(self) -> dict[str, Rows]:
        """The rows compared column by column, in Replayed.tables' shape."""
        return tables_of(self.projects.values(), self.delegations, self.programmes)


def table_rows(connection: Connection) -> TableRows:
    """Read every row the replay reconciles (also what a baseline event holds)."""
    # .all(): a result has keys(), which dict() would take for a mapping's.
    active, attributes = {}, {}
    for username, is_active, org_unit, team in connection.execute(
        select(User.username, User.active, User.org_unit, User.team)
    ):
        active[username] = is_active
        if org_unit or team:
            attributes[username] = (org_unit, team)
    holder, place = aliased(User), aliased(Project)
    grants: set[Grant] = set()
    for username, role, key in connection.execute(
        select(holder.username, RoleGrant.role, place.key)
        .join(holder, holder.id == RoleGrant.user_id)
        .outerjoin(place, place.id == RoleGrant.project_id)
        .where(RoleGrant.revoked_at.is_(None))
    ):
        grants.add((username, role, key))
    signatures = _signatures(connection)
    histories = project_histories(connection, signatures=signatures)
    return TableRows(
        histories,
        grants,
        active,
        signatures,
        _delegations(connection),
        attributes,
        _programmes(connection, histories),
    )


def project_histories(
    connection: Connection,
    keys: Collection[str] | None = None,
    *,
    signatures: dict[int, tuple[SignatureFacts, bool, str | None]] | None = None,
) -> dict[str, ProjectHistory]:
    """The projects (all, or those of `keys`) as the tables hold them, in the shape the
    trail's replay builds: a query per table, not per project."""

    def only(query: Any) -> Any:  # a Select of any columns
        return query if keys is None else query.where(Project.key.in_(keys))

    manager = aliased(User)
    histories: dict[str, ProjectHistory] = {}
    names: dict[int, str] = {}
    for row in connection.execute(
        only(
            select(
                Project.id,
                Project.key,
                Project.name,
                manager.username,
                PolicyVersion.policy_id,
                PolicyVersion.version,
                Project.stage,
                Project.tier,
                Project.facts,
            )
            .join(PolicyVersion, PolicyVersion.id == Project.policy_version_id)
            .join(manager, manager.id == Project.manager_id)
        )
    ):
        number, key, name, managed_by, policy, version, stage, tier, facts = row
        names[number] = key
        histories[key] = ProjectHistory(
            key, True, name, managed_by, f"{policy}@{version}", stage, tier, dict(facts)
        )
    for row in connection.execute(
        only(
            select(
                ArtifactVersion.project_id,
                ArtifactVersion.artifact_id,
                ArtifactVersion.version,
                ArtifactVersion.digest,
                ArtifactVersion.attached_at,
                ArtifactVersion.attached_by,
                ArtifactVersion.kind,
                ArtifactVersion.filename,
                ArtifactVersion.size,
                ArtifactVersion.url,
                ArtifactVersion.media_type,
                ArtifactVersion.form,
                ArtifactVersion.note,
            )
            .join(Project, Project.id == ArtifactVersion.project_id)
            .order_by(ArtifactVersion.id)
        )
    ):
        history = histories[names[row[0]]]
        evidence = EvidenceAt(row[2], row[3], _moment(row[4]), *row[5:])
        history.versions[row[1], row[2]] = evidence
        newest = history.evidence.get(row[1])
        if newest is None or newest.version < evidence.version:
            history.evidence[row[1]] = evidence
    rounds: dict[int, RoundAt] = {}
    for row in connection.execute(
        only(
            select(
                Review.id,
                Review.project_id,
                Review.gate_id,
                Review.round,
                Review.submitted_by,
                Review.submitted_at,
                Review.snapshot_digest,
                Review.state,
                Review.decision,
                Review.decided_by,
                Review.decided_at,
                Review.snapshot,
                Review.stale_evidence,
            )
            .join(Project, Project.id == Review.project_id)
            .order_by(Review.id)
        )
    ):
        found = RoundAt(row[2], row[3], row[4], _moment(row[5]), row[6], row[7], row[8], row[9],
                        None if row[10] is None else _moment(row[10]), [], row[11],
                        _stale(row[12], decided=row[8] is not None))  # fmt: skip
        rounds[row[0]] = found
        histories[names[row[1]]].rounds.append(found)
    for number, review, voter, decision, comment, voted_at in connection.execute(
        only(
            select(VoteRecord.id, VoteRecord.review_id, User.username, VoteRecord.decision,
                   VoteRecord.comment, VoteRecord.voted_at)
            .join(User, User.id == VoteRecord.voter_id)
            .join(Review, Review.id == VoteRecord.review_id)
            .join(Project, Project.id == Review.project_id)
            .order_by(VoteRecord.id)
        )
    ):  # fmt: skip
        rounds[review].votes.append(VoteAt(number, voter, decision, comment, _moment(voted_at)))
    a = AssuranceRecord
    for number, review, reviewer, scale, rating, summary, items, at in connection.execute(
        only(
            select(a.id, a.review_id, User.username, a.scale, a.rating, a.summary,
                   a.recommendations, a.recorded_at)
            .join(User, User.id == a.reviewer_id)
            .join(Review, Review.id == a.review_id)
            .join(Project, Project.id == Review.project_id)
        )
    ):  # fmt: skip
        rounds[review].assurance = AssuranceAt(
            number, reviewer, scale, rating, summary, list(items), _moment(at)
        )
    if signatures is None:
        signatures = _signatures(connection, keys)
    for number, (facts, superseded, _) in sorted(signatures.items()):
        signed = histories.get(facts.project)
        signed_on = signed.round_of(facts.gate, facts.round) if signed else None
        if signed_on is not None:
            signed_on.signatures.append(
                SignatureAt(number, facts.signer, facts.role, facts.decision,
                            facts.on_behalf_of, "", facts.snapshot_digest, superseded)
            )  # fmt: skip
    position: dict[int, int] = {}
    for row in connection.execute(
        only(
            select(
                FollowUpRecord.id,
                FollowUpRecord.review_id,
                FollowUpRecord.action,
                FollowUpRecord.owner,
                FollowUpRecord.due,
                FollowUpRecord.closed_by,
                FollowUpRecord.done_at,
                Review.project_id,
            )
            .join(Review, Review.id == FollowUpRecord.review_id)
            .join(Project, Project.id == Review.project_id)
            .order_by(FollowUpRecord.id)
        )
    ):
        number, review, action, owner, due, closed_by, done_at, project = row
        position[review] = position.get(review, 0) + 1
        in_round = rounds[review]
        histories[names[project]].conditions.append(
            ConditionAt(
                in_round.gate,
                action,
                owner,
                due.isoformat(),
                closed_by,
                None if done_at is None else _moment(done_at),
                in_round.round,
                position[review],
                number,
            )
        )
    for key, change in _changes(connection, only):
        histories[key].changes[change.id] = change
    o = OverrideRecord
    for row in connection.execute(
        only(
            select(o.id, Project.key, Review.gate_id, Review.round, o.reason, o.missing,
                   o.requested_by, o.state, o.answered_by, o.answer)
            .join(Project, Project.id == o.project_id)
            .join(Review, Review.id == o.review_id)
        )
    ):  # fmt: skip
        number, key, gate, round_, reason, missing, by, state, answered_by, answer = row
        histories[key].overrides[number] = OverrideAt(
            number, gate, round_, reason, list(missing), by, state, answered_by, answer
        )
    for row in connection.execute(
        only(
            select(
                WaiverRecord.id,
                WaiverRecord.project_id,
                WaiverRecord.gate_id,
                WaiverRecord.requirement,
                WaiverRecord.status,
                WaiverRecord.expires_at,
            ).join(Project, Project.id == WaiverRecord.project_id)
        )
    ):
        number, project, gate, requirement, status, expires_at = row
        histories[names[project]].waivers[number] = WaiverAt(
            number, gate, requirement, status, None if expires_at is None else _moment(expires_at)
        )
    t = TriggeredReview
    for number, key, gate, kind, cause, due_on, opened_at in connection.execute(
        only(
            select(t.id, Project.key, t.gate_id, t.kind, t.cause, t.due_on, t.opened_at).join(
                Project, Project.id == t.project_id
            )
        )
    ):
        histories[key].triggered[number] = TriggeredAt(
            number, gate, kind, cause, due_on.isoformat(), _moment(opened_at)
        )
    return histories


def _signatures(
    connection: Connection, keys: Collection[str] | None = None
) -> dict[int, tuple[SignatureFacts, bool, str | None]]:
    """Each signature row: what it says, whether it was superseded, and its content hashed
    afresh (to compare with the stored hash)."""
    signer, principal = aliased(User), aliased(User)
    query = (
        select(
            SignatureRecord.id,
            Project.key,
            Review.gate_id,
            Review.round,
            signer.username,
            SignatureRecord.role,
            principal.username,
            SignatureRecord.decision,
            SignatureRecord.snapshot_digest,
            SignatureRecord.content_hash,
            SignatureRecord.superseded_at,
            SignatureRecord.meaning,
            SignatureRecord.comment,
            SignatureRecord.signed_at,
        )
        .join(Review, Review.id == SignatureRecord.review_id)
        .join(Project, Project.id == Review.project_id)
        .join(signer, signer.id == SignatureRecord.signer_id)
        .outerjoin(principal, principal.id == SignatureRecord.on_behalf_of_id)
    )
    if keys is not None:
        query = query.where(Project.key.in_(keys))
    signatures: dict[int, tuple[SignatureFacts, bool, str | None]] = {}
    for row in connection.execute(query):
        number, key, gate, round_, who, role, behalf, decision, digest, stored = row[:10]
        superseded, meaning, comment, signed_at = row[10:]
        facts = SignatureFacts(key, gate, round_, who, role, behalf, decision, digest, stored)
        content = SignatureContent(
            key, gate, round_, who, role, behalf, meaning, decision, comment, digest,
            _utc(signed_at),
        )  # fmt: skip
        signatures[number] = (facts, superseded is not None, signature_hash(content))
    return signatures


def _delegations(connection: Connection) -> Rows:
    delegator, delegate, place = aliased(User), aliased(User), aliased(Project)
    rows: Rows = {}
    for row in connection.execute(
        select(Delegation.id, delegator.username, delegate.username, Delegation.role,
               place.key, Delegation.starts_at, Delegation.ends_at, Delegation.budget_limit,
               Delegation.revoked_by)
        .join(delegator, delegator.id == Delegation.delegator_id)
        .join(delegate, delegate.id == Delegation.delegate_id)
        .outerjoin(place, place.id == Delegation.project_id)
    ):  # fmt: skip
        number, by, to, role, key, starts, ends, limit, revoked_by = row
        rows[str(number)] = {
            "delegator": by, "delegate": to, "role": role, "project": key,
            "starts_at": _moment(starts), "ends_at": _moment(ends),
            "budget_limit": money_text(limit), "revoked_by": revoked_by,
        }  # fmt: skip
    return rows


def _programmes(connection: Connection, histories: dict[str, ProjectHistory]) -> Rows:
    """The programmes, and each project's in its history (the baseline is appended by 0026,
    which made them, or a newer revision: the table is always there)."""
    sponsor = aliased(User)
    rows: Rows = {}
    for key, name, sponsored_by, created_by in connection.execute(
        select(Programme.key, Programme.name, sponsor.username, Programme.created_by).join(
            sponsor, sponsor.id == Programme.sponsor_id
        )
    ):
        rows[key] = {"name": name, "sponsor": sponsored_by, "created_by": created_by}
    for project, programme in connection.execute(
        select(Project.key, Programme.key).join(Programme, Programme.id == Project.programme_id)
    ):
        if project in histories:
            histories[project].programme = programme
    return rows


def _changes(connection: Connection, only: Callable[[Any], Any]) -> Iterator[tuple[str, ChangeAt]]:
    """Change requests with their approvals, as gates.history.ChangeAt, and their projects."""
    approvals: dict[int, list[list[str]]] = {}
    for number, role, approver in connection.execute(
        only(
            select(ChangeApproval.change_request_id, ChangeApproval.role, ChangeApproval.approver)
            .join(ChangeRequest, ChangeRequest.id == ChangeApproval.change_request_id)
            .join(Project, Project.id == ChangeRequest.project_id)
        )
    ):
        approvals.setdefault(number, []).append([role, approver])
    c = ChangeRequest
    for row in connection.execute(
        only(
            select(c.id, Project.key, c.proposed_by, c.proposed_at, c.changes, c.reason,
                   c.status, c.closed_by)
            .join(Project, Project.id == c.project_id)
        )
    ):  # fmt: skip
        number, key, by, at, changes, reason, status, closed_by = row
        yield key, ChangeAt(number, by, _moment(at), dict(changes), reason, status,
                            sorted(approvals.get(number, [])), closed_by)  # fmt: skip


def baseline_data(connection: Connection) -> dict[str, Any]:
    """The data of an `audit.baseline` event: the reconciled rows as they stand now."""
    rows = table_rows(connection)
    replayed = Replayed(
        projects=rows.projects,
        grants=rows.grants,
        active=rows.active,
        signatures={
            number: facts if facts.content_hash else _with_hash(facts, recomputed)
            for number, (facts, _, recomputed) in rows.signatures.items()
        },
        superseded={number for number, (_, gone, _) in rows.signatures.items() if gone},
        delegations=rows.delegations,
        attributes=rows.attributes,
        programmes=rows.programmes,
    )
    return replayed.baseline()


def append_baseline(connection: Connection) -> bool:
    """Append an `audit.baseline` event holding the reconciled rows as they stand, for a
    migration that teaches the replay more than the older events say. Nothing on a database
    with no events (replay needs none) or whose last event is already such a baseline.
    True when appended.

    Written for migrations, and for the newest one that changes a reconciled table only: it
    reads the tables with the models of the head (tests/integration/test_deep_verify.py
    upgrades an old database with events to the head to keep this true). It inserts only the
    columns every revision since 0014 has, and the chain-head trigger moves the head."""
    last = connection.execute(
        select(AuditEvent.action, AuditEvent.body).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    if last is None:
        return False
    if last.action == BASELINE and "projects" in orjson.loads(last.body)["data"]:
        return False
    lock = " FOR UPDATE" if connection.dialect.name == "postgresql" else ""
    seq, head = connection.execute(
        text(f"SELECT seq, hash FROM chain_head WHERE id = 1{lock}")
    ).one()
    at = datetime.now(UTC)
    body = canonical_bytes(
        {"action": BASELINE, "actor": "system", "at": at, "project": None,
         "data": baseline_data(connection)}
    )  # fmt: skip
    sealed = chain_next(ChainHead(seq, head), body)
    columns = ("seq", "prev_hash", "hash", "body", "at", "actor", "action", "project_key")
    events = table("audit_events", *(column(c, table_of(AuditEvent).c[c].type) for c in columns))
    connection.execute(
        insert(events),
        {"seq": sealed.seq, "prev_hash": sealed.prev_hash, "hash": sealed.hash,
         "body": sealed.body, "at": at, "actor": "system", "action": BASELINE,
         "project_key": None},
    )  # fmt: skip
    return True


def _with_hash(facts: SignatureFacts, content_hash: str | None) -> SignatureFacts:
    return replace(facts, content_hash=content_hash)


def replaying(replayed: Replayed) -> Callable[[bytes], None]:
    """A function that takes one event's stored bytes into `replayed`."""

    def take(body: bytes) -> None:
        event = orjson.loads(body)
        replayed.apply(event["action"], event["actor"], event["at"], event["project"],
                       event["data"])  # fmt: skip

    return take


def replay(connection: Connection) -> Replayed:
    """The rows the trail describes, every event's stored bytes read once, in seq order."""
    replayed = Replayed()
    take = replaying(replayed)
    query = select(AuditEvent.body).order_by(AuditEvent.seq).execution_options(yield_per=BATCH)
    for (body,) in connection.execute(query):
        take(body)
    return replayed


def differences(connection: Connection, expected: Replayed | None = None) -> list[Mismatch]:
    """Every difference between the reconciled tables and the trail (replayed here unless
    `expected` is its replay already), table by table."""
    expected = replay(connection) if expected is None else expected
    found = table_rows(connection)
    wanted, held = expected.tables(), found.tables()
    return [
        *(problem for name in wanted for problem in compare_rows(name, wanted[name], held[name])),
        *compare_grants(expected.grants, found.grants),
        *compare_values("users", expected.active, found.active, "active"),
        *compare_values("users", expected.attributes, found.attributes, "org_unit, team"),
        *compare_signatures(expected.signatures, expected.superseded, found.signatures),
    ]


def _stale(column: Any, *, decided: bool) -> list[dict[str, Any]] | None:
    """A review's stale evidence as its decision's event says it: a list once decided (the
    column is NULL when there was none), nothing before."""
    return column if column is not None else ([] if decided else None)


def _moment(moment: datetime) -> str:
    return utc_text(_utc(moment))


def _utc(moment: Any) -> Any:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
