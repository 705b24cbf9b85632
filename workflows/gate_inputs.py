"""What the gate rules read about projects, read for many projects at once.

The evidence, the open review and its signatures, and the waivers of a project are read by
one reader for a batch of projects: a page of a list, the reviews of an inbox, or the one
project a verb works on (a batch of one). A batch is named by one project id or by a
selection (a SELECT of project ids, e.g. the page's own query), never by a list of ids sent
back to the database: a list's length is the user's portfolio size, and a database caps the
parameters of one statement (PostgreSQL: 65,535).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute

from gates.counts import shares_holders
from gates.decisions import next_gate
from gates.model import Evidence, ProjectState, Rated, Signature, Waiver, stance
from gates.programmes import (
    Members,
    alone,
    joined,
    member_stage,
    programme_value,
    reads_programme,
)
from gates.readiness import Readiness, readiness
from gates.waivers import APPROVED, any_waivable
from policies.model import Decision, FactValue, FormField, Gate, Policy
from workflows.facts import form_from_stored, from_stored
from workflows.machines import SUBMITTED
from workflows.store.records import (
    ArtifactVersion,
    AssuranceRecord,
    PolicyVersion,
    Programme,
    Project,
    Review,
    RoleGrant,
    SignatureRecord,
    User,
    WaiverRecord,
    table_of,
)
from workflows.store.uow import UnitOfWork

# One project's id, or a SELECT of project ids.
Batch = int | Select[int]
# The gate rules read values, not records: these statements select table columns (see
# table_of), and only the open reviews, which verbs change, are loaded as records.
_REVIEWS, _VERSIONS, _WAIVERS = table_of(Review), table_of(ArtifactVersion), table_of(WaiverRecord)


# A statement of the batch, built from a restriction on a project id column.
Restrict = Callable[[ColumnElement[int] | InstrumentedAttribute[int]], ColumnElement[bool]]
S = TypeVar("S", Select[Any], CompoundSelect[Any])


def for_batch(batch: Batch, build: Callable[[Restrict], S]) -> tuple[S, dict[str, int]]:
    """The statement `build` makes for `batch`, and its parameters.

    For one project the statement is built once and reused with the id bound: building one
    (its subqueries, its cache key) costs more than running it on SQLite.
    """
    if isinstance(batch, int):
        return _for_one(build), {"project_id": batch}
    return build(lambda column: column.in_(batch)), {}


@cache
def _for_one(build: Callable[[Restrict], S]) -> S:
    return build(lambda column: column == bindparam("project_id"))


@dataclass(frozen=True)
class GateInputs:
    """One project at one gate: its pinned policy, the open review of that gate (if any) and
    everything the gate rules read (facts, tier, evidence, signatures, waivers)."""

    project: Project
    policy: Policy
    gate: Gate
    review: Review | None
    state: ProjectState

    def readiness(self, now: datetime) -> Readiness:
        """The gate's readiness report at `now`."""
        return readiness(self.policy, self.gate, self.state, now)


def gate_inputs(
    uow: UnitOfWork,
    projects: Sequence[Project],
    batch: Batch,
    *,
    gates: Mapping[int, Gate] | None = None,
    policies: Mapping[int, Policy] | None = None,
    reviews: Mapping[int, Review | None] | None = None,
    signatures: Mapping[int, list[Signature]] | None = None,
    evidence: bool = True,
    tiers: Mapping[int, str] | None = None,
) -> dict[int, GateInputs]:
    """The gate inputs of `projects` (all of them in `batch`), by project id.

    Each project is read at the gate `gates` names for it, else at its next gate; one at its
    final stage has none and is left out. `reviews` passes open reviews already loaded (a
    verb locks its own), and `signatures` their signatures by review id if read with them;
    otherwise they are read. Without `evidence`, artifact lines read as
    missing: for callers that read only sign-off lines (signing), which never depend on it.
    `policies` and `tiers` evaluate a project under another policy version and tier than its
    own (a policy migration's preview).
    A fixed number of statements whatever the batch's size: at most seven (the programmes'
    totals only where a policy reads `programme`).
    """
    at = _gates(uow, projects, gates, policies)
    if not at:
        return {}
    opened = dict(reviews) if reviews is not None else _open_reviews(uow, batch)
    current = {
        pid: review
        for pid, review in opened.items()
        if review is not None and pid in at and review.gate_id == at[pid][1].id
    }
    if signatures is None:
        signatures = _signatures(uow, batch, current)
    # A sign-off whose `when` reads a form depends on the evidence after all.
    evidence = evidence or any(_signoffs_read_forms(gate) for _, gate in at.values())
    found, forms = _latest_evidence(uow, batch) if evidence else ({}, {})
    # Each policy is walked once, not once per project of the batch (a page, a portfolio).
    policies_in = {id(policy): policy for policy, _ in at.values()}.values()
    read = {id(policy): policy.fields_read() for policy in policies_in}
    waivers = _waivers(uow, batch) if any(any_waivable(g) for _, g in at.values()) else {}
    earlier = {
        pid: previous for pid, (policy, gate) in at.items() if (previous := _previous(policy, gate))
    }
    signed_before = _previous_signers(uow, batch, earlier) if earlier else {}
    assured = _assurance(uow, batch) if any(g.assurance for _, g in at.values()) else {}
    shared = {s.role for _, g in at.values() for s in g.signoffs if shares_holders(s)}
    holders = _holders(uow, batch, shared) if shared else {}
    reading = {p.ref: p for p in policies_in if reads_programme(p)}
    programmes = programme_members(uow, batch) if reading else {}
    inputs = {}
    for project in projects:
        if project.id not in at:
            continue
        policy, gate = at[project.id]
        review = current.get(project.id)
        facts = from_stored(policy, project.facts)
        state = ProjectState(
            facts=facts,
            tier=(tiers or {}).get(project.id, project.tier),
            evidence=found.get(project.id, {}),
            signatures=signatures.get(review.id, []) if review else [],
            waivers=waivers.get((project.id, gate.id), []),
            snapshot_digest=review.snapshot_digest if review else None,
            submitter=review.submitted_by if review else None,
            round=review.round if review else None,
            project_manager=project.manager.username,
            previous_signers=signed_before.get(project.id, frozenset()),
            holders=_holders_of(holders, project.id, shared),
            assurance=assured.get(review.id) if review else None,
            forms=_forms(read[id(policy)], forms.get(project.id, {})),
            programme=(
                _programme(project, policy, facts, programmes) if policy.ref in reading else None
            ),
        )
        inputs[project.id] = GateInputs(project, policy, gate, review, state)
    return inputs


def _signoffs_read_forms(gate: Gate) -> bool:
    return any(s.when is not None and s.when.evidence for s in gate.signoffs)


def _programme(
    project: Project,
    policy: Policy,
    facts: Mapping[str, FactValue],
    programmes: Mapping[int, Members],
) -> dict[str, object]:
    """The `programme` the project's conditions read: its programme's, or its own alone."""
    stage = member_stage(project.stage, project.resume_stage)
    members = programmes.get(project.programme_id or 0)
    if members is None:
        members = alone(facts, stage)
    return programme_value(policy, members, stage)


def programme_members(uow: UnitOfWork, batch: Batch) -> dict[int, Members]:
    """The programmes of the batch's projects, by programme id: how many projects each has,
    the totals of their money facts in the base currency (each read by its own policy
    version, so money given in a currency is converted at that version's rates), and how
    many are in each stage. One statement: the members' facts, added up here."""
    query, params = for_batch(batch, _members_of)
    found: dict[int, Members] = {}
    for programme_id, key, stage, resume, facts, version in uow.session.execute(query, params):
        was = found.get(programme_id) or Members(key, 0)
        values = from_stored(uow.workspace.policy(version), facts)
        found[programme_id] = joined(was, values, member_stage(stage, resume))
    return found


def _members_of(restrict: Restrict) -> Select[Any]:
    theirs = select(Project.programme_id).where(restrict(Project.id))
    return (
        select(Project.programme_id, Programme.key, Project.stage, Project.resume_stage,
               Project.facts, PolicyVersion)
        .join(Programme, Programme.id == Project.programme_id)
        .join(PolicyVersion, PolicyVersion.id == Project.policy_version_id)
        .where(Project.programme_id.in_(theirs))
    )  # fmt: skip


def _gates(
    uow: UnitOfWork,
    projects: Iterable[Project],
    gates: Mapping[int, Gate] | None,
    policies: Mapping[int, Policy] | None,
) -> dict[int, tuple[Policy, Gate]]:
    found = {}
    for project in projects:
        policy = (policies or {}).get(project.id) or uow.workspace.policy(project.policy_version)
        gate = (gates or {}).get(project.id) or next_gate(policy, project.stage)
        if gate is not None:
            found[project.id] = (policy, gate)
    return found


def _open_reviews(uow: UnitOfWork, batch: Batch) -> dict[int, Review | None]:
    query, params = for_batch(batch, _open_reviews_of)
    return {review.project_id: review for review in uow.session.execute(query, params).scalars()}


def _open_reviews_of(restrict: Restrict) -> Select[Any]:
    return select(Review).where(Review.state == SUBMITTED, restrict(Review.project_id))


_SIGNATURES, _USERS = table_of(SignatureRecord), table_of(User)
_SIGNER, _PRINCIPAL = _USERS.alias("signer"), _USERS.alias("principal")
# A signature as the gate rules read it, in the field order of gates.model.Signature.
_SIGNATURE_COLUMNS = (
    _SIGNER.c.username,
    _SIGNATURES.c.role,
    _SIGNATURES.c.decision,
    _SIGNATURES.c.signed_at,
    _SIGNATURES.c.snapshot_digest,
    _PRINCIPAL.c.username,
    _SIGNATURES.c.comment,
)


def _signature(values: Sequence[Any]) -> Signature:
    """The signature of `values`, selected as _SIGNATURE_COLUMNS."""
    signer, role, decision, at, digest, behalf, comment = values
    return Signature(signer, role, stance(decision), at, digest, behalf, comment)


def _with_signatures(query: Select[Any], review_id: Any) -> Select[Any]:
    """`query` with the signatures that still count on the review `review_id` outer-joined,
    oldest first (a review without one gives one row of NULLs)."""
    return (
        query.outerjoin(
            _SIGNATURES,
            (_SIGNATURES.c.review_id == review_id) & _SIGNATURES.c.superseded_at.is_(None),
        )
        .outerjoin(_SIGNER, _SIGNATURES.c.signer_id == _SIGNER.c.id)
        .outerjoin(_PRINCIPAL, _SIGNATURES.c.on_behalf_of_id == _PRINCIPAL.c.id)
        .order_by(_SIGNATURES.c.id)
    )


_SIGNATURE_VALUES = (
    select(_SIGNATURES.c.review_id, *_SIGNATURE_COLUMNS)
    .join(_SIGNER, _SIGNATURES.c.signer_id == _SIGNER.c.id)
    .outerjoin(_PRINCIPAL, _SIGNATURES.c.on_behalf_of_id == _PRINCIPAL.c.id)
    .where(_SIGNATURES.c.superseded_at.is_(None))
    .order_by(_SIGNATURES.c.id)
)
_SIGNATURES_OF_REVIEW = _SIGNATURE_VALUES.where(_SIGNATURES.c.review_id == bindparam("review_id"))
# The open review of one project locked, with the signatures that still count on it: one
# statement for the path of sign and decide (the project is locked before, so none waits).
_OPEN_REVIEW_SIGNED = (
    _with_signatures(select(Review, *_SIGNATURE_COLUMNS), Review.id)
    .where(Review.project_id == bindparam("project_id"), Review.state == SUBMITTED)
    .with_for_update(of=Review)
)
# SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), so there nothing joined to
# the project can change while a verb waits for it: one statement reads all three.
_UNDER_REVIEW_SIGNED = _with_signatures(
    select(Project, Review, *_SIGNATURE_COLUMNS).outerjoin(
        Review, (Review.project_id == Project.id) & (Review.state == SUBMITTED)
    ),
    Review.id,
).where(Project.key == bindparam("key"))


def project_under_review(
    uow: UnitOfWork, key: str
) -> tuple[Project, Review | None, dict[int, list[Signature]]] | None:
    """On a database that runs one writer at a time (SQLite): the project with this key, its
    open review and the signatures that still count, in one statement; None for no project."""
    rows = uow.session.execute(_UNDER_REVIEW_SIGNED, {"key": key}).all()
    if not rows:
        return None
    project, review = rows[0][0], rows[0][1]
    if review is None:
        return project, None, {}
    found = [_signature(row[2:]) for row in rows if row[2] is not None]
    return project, review, {review.id: found}


def signed_review(
    uow: UnitOfWork, project_id: int
) -> tuple[Review | None, dict[int, list[Signature]]]:
    """The open review of the project, locked, and its signatures that still count."""
    rows = uow.session.execute(_OPEN_REVIEW_SIGNED, {"project_id": project_id}).all()
    if not rows:
        return None, {}
    found = [_signature(row[1:]) for row in rows if row[1] is not None]
    review: Review = rows[0][0]
    return review, {review.id: found}


def _signatures_of_open_reviews(restrict: Restrict) -> Select[Any]:
    opened = select(_REVIEWS.c.id).where(
        _REVIEWS.c.state == SUBMITTED, restrict(_REVIEWS.c.project_id)
    )
    return _SIGNATURE_VALUES.where(_SIGNATURES.c.review_id.in_(opened))


def _signatures(
    uow: UnitOfWork, batch: Batch, reviews: Mapping[int, Review]
) -> dict[int, list[Signature]]:
    """The signatures that still count on the given open reviews, by review id."""
    if not reviews:
        return {}
    if isinstance(batch, int):
        [review] = reviews.values()
        query, params = _SIGNATURES_OF_REVIEW, {"review_id": review.id}
    else:
        query, params = for_batch(batch, _signatures_of_open_reviews)
    found: dict[int, list[Signature]] = defaultdict(list)
    for row in uow.session.execute(query, params):
        found[row[0]].append(_signature(row[1:]))
    return found


def _latest_evidence(
    uow: UnitOfWork, batch: Batch
) -> tuple[dict[int, dict[str, Evidence]], dict[int, dict[str, dict[str, Any]]]]:
    """The newest version of each artifact of each project in the batch, and the stored
    values of those that are forms."""
    found: dict[int, dict[str, Evidence]] = defaultdict(dict)
    forms: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    query, params = for_batch(batch, _newest_versions)
    for pid, artifact_id, version, digest, at, by, form in uow.session.execute(query, params):
        found[pid][artifact_id] = Evidence(artifact_id, version, digest, at, by)
        if form is not None:
            forms[pid][artifact_id] = form
    return found, forms


def _forms(
    read: Mapping[str, tuple[FormField, ...]], stored: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, FactValue]]:
    """The typed values of the form fields the policy's conditions read, of the forms
    attached."""
    return {
        artifact_id: form_from_stored(fields, stored[artifact_id])
        for artifact_id, fields in read.items()
        if artifact_id in stored
    }


def _newest_versions(restrict: Restrict) -> Select[Any]:
    versions = _VERSIONS.c
    newest = (
        select(versions.project_id, versions.artifact_id, func.max(versions.version).label("v"))
        .where(restrict(versions.project_id))
        .group_by(versions.project_id, versions.artifact_id)
        .subquery()
    )
    return select(
        versions.project_id,
        versions.artifact_id,
        versions.version,
        versions.digest,
        versions.attached_at,
        versions.attached_by,
        versions.form,
    ).join(
        newest,
        (versions.project_id == newest.c.project_id)
        & (versions.artifact_id == newest.c.artifact_id)
        & (versions.version == newest.c.v),
    )


def _previous(policy: Policy, gate: Gate) -> str | None:
    """The gate before `gate`, where one of its sign-offs must come from someone who did not
    sign that one (`distinct_from_previous_gate`); else None."""
    if not any(s.distinct_from_previous_gate for s in gate.signoffs):
        return None
    place = policy.gates.index(gate)
    return policy.gates[place - 1].id if place else None


_PASSED = (Decision.GO.value, Decision.CONDITIONAL_GO.value)


def _previous_signers(
    uow: UnitOfWork, batch: Batch, previous: Mapping[int, str]
) -> dict[int, frozenset[str]]:
    """For each project, who signed (or was signed for) on the latest review that passed
    the gate `previous` names for it."""
    query, params = for_batch(batch, _passed_signatures)
    latest: dict[int, tuple[int, set[str]]] = {}
    for project_id, gate_id, review_id, signer, principal in uow.session.execute(query, params):
        if previous.get(project_id) != gate_id:
            continue
        seen = latest.get(project_id)
        if seen is None or seen[0] < review_id:
            seen = latest[project_id] = (review_id, set())
        if seen[0] == review_id:
            seen[1].update(p for p in (signer, principal) if p)
    return {pid: frozenset(people) for pid, (_, people) in latest.items()}


def _passed_signatures(restrict: Restrict) -> Select[Any]:
    reviews = _REVIEWS.c
    return (
        select(
            reviews.project_id,
            reviews.gate_id,
            reviews.id,
            _SIGNER.c.username,
            _PRINCIPAL.c.username,
        )
        .join(_SIGNATURES, _SIGNATURES.c.review_id == reviews.id)
        .join(_SIGNER, _SIGNATURES.c.signer_id == _SIGNER.c.id)
        .outerjoin(_PRINCIPAL, _SIGNATURES.c.on_behalf_of_id == _PRINCIPAL.c.id)
        .where(restrict(reviews.project_id), reviews.decision.in_(_PASSED))
    )


def _assurance(uow: UnitOfWork, batch: Batch) -> dict[int, Rated]:
    """The assurance review recorded on each open review of the batch, by review id."""
    query, params = for_batch(batch, _assurance_of_open_reviews)
    return {
        review_id: Rated(reviewer, rating, at)
        for review_id, reviewer, rating, at in uow.session.execute(query, params)
    }


def _assurance_of_open_reviews(restrict: Restrict) -> Select[Any]:
    rated = table_of(AssuranceRecord).c
    opened = select(_REVIEWS.c.id).where(
        _REVIEWS.c.state == SUBMITTED, restrict(_REVIEWS.c.project_id)
    )
    return (
        select(rated.review_id, _USERS.c.username, rated.rating, rated.recorded_at)
        .join(_USERS, _USERS.c.id == rated.reviewer_id)
        .where(rated.review_id.in_(opened))
    )


def _holders(
    uow: UnitOfWork, batch: Batch, roles: set[str]
) -> dict[int | None, dict[str, set[str]]]:
    """The active holders of `roles` on each project of the batch, and (under None) those
    holding one globally: whom a sign-off's `min: majority` or `min: all` counts."""
    query, params = for_batch(batch, _holders_query)
    found: dict[int | None, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for project_id, role, username in uow.session.execute(
        query, {**params, "roles": sorted(roles)}
    ):
        found[project_id][role].add(username)
    return found


def _holders_query(restrict: Restrict) -> Select[Any]:
    grants = table_of(RoleGrant).c
    return (
        select(grants.project_id, grants.role, _USERS.c.username)
        .join(_USERS, _USERS.c.id == grants.user_id)
        .where(grants.role.in_(bindparam("roles", expanding=True)))
        .where(grants.revoked_at.is_(None), _USERS.c.active.is_(True))
        .where(or_(restrict(grants.project_id), grants.project_id.is_(None)))
    )


def _holders_of(
    holders: Mapping[int | None, Mapping[str, set[str]]], project_id: int, roles: set[str]
) -> dict[str, frozenset[str]]:
    here, everywhere = holders.get(project_id, {}), holders.get(None, {})
    return {role: frozenset(here.get(role, set()) | everywhere.get(role, set())) for role in roles}


def _waivers(uow: UnitOfWork, batch: Batch) -> dict[tuple[int, str], list[Waiver]]:
    """The approved waivers of each project in the batch, by (project, gate): requested,
    denied and revoked ones never count (expiry is the gate rules' to judge, at `now`)."""
    found: dict[tuple[int, str], list[Waiver]] = defaultdict(list)
    query, params = for_batch(batch, _waivers_in_force)
    for project_id, gate_id, requirement, by, role, why, at, expires in uow.session.execute(
        query, params
    ):
        found[(project_id, gate_id)].append(Waiver(requirement, by, role, why, at, expires))
    return found


def _waivers_in_force(restrict: Restrict) -> Select[Any]:
    waivers = _WAIVERS.c
    return select(
        waivers.project_id,
        waivers.gate_id,
        waivers.requirement,
        waivers.granted_by,
        waivers.granted_role,
        waivers.justification,
        waivers.granted_at,
        waivers.expires_at,
    ).where(restrict(waivers.project_id), waivers.status == APPROVED, waivers.revoked_at.is_(None))
