"""The records: SQLAlchemy 2.x typed models. Nothing here is ever deleted or overwritten in place;
artifacts, signatures, decisions and policies are superseded, and the history keeps both."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Lockgate stores UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


def table_of(model: type[Base]) -> Table:
    """The Core table of a record type.

    Reads of plain values (the gate rules' inputs, role names, counts) select its columns:
    such a statement skips the ORM's per-statement work (compile state, autoflush, entity
    loading), about 40 us against 15 us for a one-row read on SQLite.
    """
    return Base.metadata.tables[model.__tablename__]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    failed_sign_attempts: Mapped[int] = mapped_column(default=0)
    signing_locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # Set when an admin chose the password (before enrollment links existed, or with
    # `user add --password`): the portal asks for a new one at the next login.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Where the person sits (admins keep them): assurance reviewers must be independent of
    # a project's org unit and team (gates.assurance). Blank: not recorded.
    org_unit: Mapped[str] = mapped_column(String(120), default="", server_default="")
    team: Mapped[str] = mapped_column(String(120), default="", server_default="")


class RoleGrant(Base):
    """A role held by a user: global (pmo, auditor, admin) or on one project."""

    __tablename__ = "role_grants"
    # Every role check reads one user's grants, global and on one project: one index serves it
    # (it also serves lookups by user alone, so no separate user_id index is kept).
    __table_args__ = (Index("ix_role_grants_user_project", "user_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(80))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    granted_by: Mapped[str] = mapped_column(String(80))
    granted_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class Delegation(Base):
    """Signing authority for a role, passed from one user to another for a period."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(80))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # The delegate acts only on projects whose budget fact is at most this (None: any).
    budget_limit: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    delegator: Mapped[User] = relationship(foreign_keys=[delegator_id], lazy="joined")
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id], lazy="joined")
    project: Mapped[Project | None] = relationship(lazy="joined")


class PolicyVersion(Base):
    """A published policy version: its exact source text, never changed once published."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    # The YAML is read only to compile a version the workspace has not cached yet: every verb
    # loads the row (to find the cached policy by id and digest), so keep the text out of it.
    source: Mapped[str] = mapped_column(Text, deferred=True)
    published_by: Mapped[str] = mapped_column(String(80))
    published_at: Mapped[datetime]
    # Who approved the proposal that published it (four eyes); "system" for the shipped
    # library; None for versions published before proposals existed.
    approved_by: Mapped[str | None] = mapped_column(String(80))

    @property
    def ref(self) -> str:
        return f"{self.policy_id}@{self.version}"


class Programme(Base):
    """A group of projects governed together: tier rules and criteria read its aggregates
    (gates.programmes), and its sponsor approves changes that re-tier its projects."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sponsor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]

    sponsor: Mapped[User] = relationship(lazy="joined")


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    stage: Mapped[str] = mapped_column(String(80), index=True)
    resume_stage: Mapped[str | None] = mapped_column(String(80))
    tier: Mapped[str] = mapped_column(String(80), index=True)
    facts: Mapped[dict[str, Any]]
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)
    # The programme the project belongs to, if any (changed only by the programme verbs).
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)

    policy_version: Mapped[PolicyVersion] = relationship(lazy="joined")
    manager: Mapped[User] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own shape

    @property
    def manager_username(self) -> str:
        return self.manager.username


class ArtifactVersion(Base):
    """One version of one artifact; a new attachment is a new row, never an overwrite."""

    __tablename__ = "artifact_versions"
    __table_args__ = (UniqueConstraint("project_id", "artifact_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    artifact_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    digest: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="")
    media_type: Mapped[str] = mapped_column(String(120), default="")
    size: Mapped[int] = mapped_column(default=0)
    url: Mapped[str] = mapped_column(Text, default="")
    form: Mapped[dict[str, Any] | None]
    note: Mapped[str] = mapped_column(Text, default="")
    attached_by: Mapped[str] = mapped_column(String(80))
    attached_at: Mapped[datetime]


class Review(Base):
    """One round of a gate: submitted with an evidence snapshot, signed, then decided."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("project_id", "gate_id", "round"),
        # Overdue reviews: the submitted ones, by due date (also serves lookups by state alone).
        Index("ix_reviews_state_due_at", "state", "due_at"),
        # Compliance reports: reviews decided in a period.
        Index("ix_reviews_decided_at", "decided_at"),
        # The late-approvals report: only the reviews decided after their due time.
        Index(
            "ix_reviews_late_decided_at",
            "decided_at",
            postgresql_where=text("decided_at > due_at"),
            sqlite_where=text("decided_at > due_at"),
        ),
        # The stale-evidence report: only the few decisions that recorded stale evidence.
        Index(
            "ix_reviews_stale_decided_at",
            "decided_at",
            postgresql_where=text("stale_evidence IS NOT NULL"),
            sqlite_where=text("stale_evidence IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    gate_id: Mapped[str] = mapped_column(String(80))
    round: Mapped[int]
    state: Mapped[str] = mapped_column(String(20))
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    snapshot: Mapped[dict[str, Any]]
    snapshot_digest: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    # The snapshot digest's formula (gates.binding); None: submitted before formula 2.
    digest_formula: Mapped[int | None]
    # The evidence older than its artifact allows when the gate was decided
    # (gates.readiness.StaleEvidence records); None when none was.
    # (none_as_null: "none" is SQL NULL, not JSON null, so the partial index holds only the
    # decisions that did pass on stale evidence.)
    stale_evidence: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))

    # The verbs load the project first (and lock it), so the review's project is already in
    # the session: a lazy many-to-one finds it there without a query. The gate rules read
    # signatures as plain rows (workflows.state); lists that need these relationships ask for
    # them with joinedload or selectinload. Follow-ups are read only by the review page.
    project: Mapped[Project] = relationship()
    signatures: Mapped[list[SignatureRecord]] = relationship(order_by="SignatureRecord.id")
    follow_ups: Mapped[list[FollowUpRecord]] = relationship(order_by="FollowUpRecord.id")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


_POSITIONED = text("decision IN ('support', 'disagree_but_support', 'object', 'comment')")


class SignatureRecord(Base):
    """A signature: who, as which role, what they decided (for an advisory or consulted
    sign-off, their position: gates.model.stance), and the snapshot they signed."""

    __tablename__ = "signatures"
    __table_args__ = (
        Index("ix_signatures_review_signer", "review_id", "signer_id"),
        # The positions report: only the advisory and consulted signatures (migration 0023).
        Index(
            "ix_signatures_positions_signed_at",
            "signed_at",
            postgresql_where=_POSITIONED,
            sqlite_where=_POSITIONED,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    printed_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(80))
    meaning: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    snapshot_digest: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]
    # gates.binding.signature_hash of the row's content; None: signed before signatures
    # were bound to their record.
    content_hash: Mapped[str | None] = mapped_column(String(64))

    signer: Mapped[User] = relationship(foreign_keys=[signer_id], lazy="joined")
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id], lazy="joined")


class FollowUpRecord(Base):
    """A condition of a conditional go: an action, its owner (a user; `owner` keeps the name
    the decider gave) and due date; closed by its owner with a note and optional evidence."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_owner_open", "owner_id", "done_at", "due"),
        Index("ix_follow_ups_due", "due"),  # compliance reports: conditions due in a period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_by: Mapped[str | None] = mapped_column(String(80))
    close_note: Mapped[str] = mapped_column(Text, default="")
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("artifact_versions.id"))


class OverrideRecord(Base):
    """A PMO override of one review: asked for by one PMO member with a reason (and what was
    missing), then confirmed (the gate passes) or declined by another."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    missing: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime]
    answered_by: Mapped[str | None] = mapped_column(String(80))
    answered_at: Mapped[datetime | None]
    answer: Mapped[str] = mapped_column(Text, default="")


class WaiverRecord(Base):
    """An exception to one requirement of one gate: requested, then approved or denied by
    someone else, and, once approved, possibly revoked (gates.waivers). `granted_*` name the
    approver and are set only on approval."""

    __tablename__ = "waivers"
    __table_args__ = (
        # The portfolio's waivers page: one status, newest first, paged by id.
        Index("ix_waivers_status_id", "status", "id"),
        # Compliance reports: waivers requested in a period.
        Index("ix_waivers_requested_at", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    gate_id: Mapped[str] = mapped_column(String(80))
    requirement: Mapped[str] = mapped_column(String(120))
    justification: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="requested")
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime]
    granted_by: Mapped[str | None] = mapped_column(String(80))
    granted_role: Mapped[str | None] = mapped_column(String(80))
    granted_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class PendingSignoff(Base):
    """A sign-off waiting for one person on one open review: derived, never edited by hand.

    The authority rules write these rows (workflows/pending.py) in the transaction of every
    change that can alter them; My approvals reads only them. A row holds from `valid_from`
    until `valid_until` (None: no bound), since a delegation or a waiver changes authority
    when time passes and nothing writes then. `lead` marks one row per person and review at
    any moment: lists count and page those.
    """

    __tablename__ = "pending_signoffs"
    __table_args__ = (
        # My approvals: one user's rows of one part, overdue (the earliest due) first.
        Index(
            "ix_pending_signoffs_inbox",
            "user_id",
            "part",
            "lead",
            "due_at",
            "submitted_at",
            "review_id",
        ),
        Index("ix_pending_signoffs_review_user", "review_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(80))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    part: Mapped[str] = mapped_column(String(20))
    lead: Mapped[bool]
    waiting_for: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime]
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]


class AuditEvent(Base):
    """An append-only, hash-chained record of one action. `body` holds the exact hashed bytes;
    the other columns are copies for filtering, and the body is what verification trusts."""

    __tablename__ = "audit_events"
    # The log is read newest first, filtered by one of these: each index hands over one
    # project's (one actor's, one action's) events already in chain order; a date range's
    # by time, then seq.
    __table_args__ = (
        Index("ix_audit_events_at_seq", "at", "seq"),
        Index("ix_audit_events_project_key_seq", "project_key", "seq"),
        Index("ix_audit_events_actor_seq", "actor", "seq"),
        Index("ix_audit_events_action_seq", "action", "seq"),
        # Compliance reports: an action's events in a period, the refusals by rule without
        # reading their bodies, and each actor's latest event.
        Index("ix_audit_events_action_at_rule", "action", "at", "rule"),
        Index("ix_audit_events_actor_at", "actor", "at"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    project_key: Mapped[str | None] = mapped_column(String(40))
    # For `action.refused`: the first rule that refused (a copy of the body's, for reports).
    rule: Mapped[str | None] = mapped_column(String(80))


class ChainHead(Base):
    """The single row locked by every append, so the chain has one total order."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditTreeTile(Base):
    """A stored node of the trail's Merkle tree (gates.merkle): the hash of the complete
    subtree of height `level` (a multiple of 8) whose leftmost leaf is `idx << level`.

    Derived from the events, for fast proofs; written as checkpoints extend them, and checked
    against the recomputed tree when a trail is verified against a checkpoint.
    """

    __tablename__ = "audit_tree_tiles"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class PortfolioCount(Base):
    """How many projects share one policy version, stage and tier: the dashboard's counts.

    Kept by triggers on `projects` (migration 0006) in the transaction of every change, so
    no writer can forget it; rebuilt from the projects by workflows.store.portfolio_counts.
    """

    __tablename__ = "portfolio_counts"

    policy_version_id: Mapped[int] = mapped_column(
        ForeignKey("policy_versions.id"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(80), primary_key=True)
    tier: Mapped[str] = mapped_column(String(80), primary_key=True)
    projects: Mapped[int]


class LoginFailure(Base):
    """A failed login, kept to throttle guessing per account and per address."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class AccessToken(Base):
    """A personal access token: how a script acts as its owner on the command line.

    Only the SHA-256 of the token is kept (a token is 256 random bits, so a fast hash is
    enough); the token itself is shown once, when it is created. A token always expires.
    """

    __tablename__ = "access_tokens"
    __table_args__ = (Index("ix_access_tokens_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PolicyProposal(Base):
    """A policy version one PMO member proposed and another must approve before it is
    published. Its status moves once: proposed -> approved, rejected or withdrawn."""

    __tablename__ = "policy_proposals"
    __table_args__ = (Index("ix_policy_proposals_policy_status", "policy_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text, deferred=True)
    proposed_by: Mapped[str] = mapped_column(String(80))
    proposed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)

    @property
    def ref(self) -> str:
        return f"{self.policy_id}@{self.version}"


class PasswordLink(Base):
    """A one-time link that lets a person set their own password: an enrollment for a new
    user, or a reset an admin issued. Only its SHA-256 is kept; it expires and is used once."""

    __tablename__ = "password_links"
    __table_args__ = (Index("ix_password_links_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(10))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ChangeRequest(Base):
    """A proposed change of a project's facts that needs approval (gates.change_control):
    the changes, why, their impact when proposed, and how it ended (applied, rejected,
    withdrawn). At most one is open per project (the verbs check it under the project lock)."""

    __tablename__ = "change_requests"
    __table_args__ = (Index("ix_change_requests_project_status", "project_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    changes: Mapped[dict[str, Any]]
    facts: Mapped[dict[str, Any]]
    reason: Mapped[str] = mapped_column(Text)
    impact: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), index=True)
    proposed_by: Mapped[str] = mapped_column(String(80))
    proposed_at: Mapped[datetime]
    closed_by: Mapped[str | None] = mapped_column(String(80))
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    # A move into or out of a programme ({"from": key or None, "to": key or None}) instead
    # of a change of facts; None for a change of facts.
    membership: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    project: Mapped[Project] = relationship(lazy="joined")
    approvals: Mapped[list[ChangeApproval]] = relationship(order_by="ChangeApproval.id")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class VoteRecord(Base):
    """One panel member's vote on a review round of a gate that takes a vote (gates.votes):
    each member votes once a round."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("review_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    voted_at: Mapped[datetime]


class AssuranceRecord(Base):
    """An independent assurance review of a review round (gates.assurance): the reviewer,
    the rating on the policy's scale, a summary and recommendations (each an action, an
    urgency and an owner). One a round; advisory, kept apart from the signatures."""

    __tablename__ = "assurance_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), unique=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scale: Mapped[str] = mapped_column(String(80))
    rating: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(index=True)  # the assurance report's period

    reviewer: Mapped[User] = relationship(lazy="joined")


class ChangeApproval(Base):
    """One approver role's approval of a change request: each role approves once."""

    __tablename__ = "change_approvals"
    __table_args__ = (UniqueConstraint("change_request_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(ForeignKey("change_requests.id"))
    role: Mapped[str] = mapped_column(String(80))
    approver: Mapped[str] = mapped_column(String(80))
    comment: Mapped[str] = mapped_column(Text, default="")
    approved_at: Mapped[datetime]


class TriggeredReview(Base):
    """A review a trigger opened for a project (gates.triggers): a recurring date come, or a
    condition gone overdue; `lockgate reviews tick` opens each once (the unique key, under
    the project's lock). It is owed until a go of its gate is decided after `due_on`."""

    __tablename__ = "triggered_reviews"
    __table_args__ = (
        UniqueConstraint("project_id", "gate_id", "kind", "cause"),
        Index("ix_triggered_reviews_due_on", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    gate_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    cause: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime]
