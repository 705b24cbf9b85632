"""The conditions of a conditional go: their owners are users, who close them with a note
(and optional evidence); open ones bind the next gate (gates.decisions.conditions_blocking)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from gates.decisions import FollowUp
from gates.model import OpenCondition
from workflows import inputs
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import Actor, system
from workflows.refusal_log import refusals_recorded
from workflows.state import authority_on
from workflows.store.records import ArtifactVersion, FollowUpRecord, Project, Review, User
from workflows.store.uow import UnitOfWork

_OPEN_OF_PROJECT = (
    select(FollowUpRecord.id, Review.gate_id, FollowUpRecord.action, FollowUpRecord.owner,
           FollowUpRecord.due)
    .join(Review, FollowUpRecord.review_id == Review.id)
    .where(FollowUpRecord.done_at.is_(None))
    .order_by(FollowUpRecord.due, FollowUpRecord.id)
)  # fmt: skip


def open_conditions(uow: UnitOfWork, project_id: int) -> tuple[OpenCondition, ...]:
    """The project's conditions nobody has closed yet, soonest due first."""
    rows = uow.session.execute(_OPEN_OF_PROJECT.where(Review.project_id == project_id))
    return tuple(OpenCondition(*row) for row in rows)


def owners_of(uow: UnitOfWork, follow_ups: Sequence[FollowUp]) -> dict[str, tuple[int, str]]:
    """Each condition's owner as a user (id, username), by the text given: a username, or
    a printed name only one active user has. Raises InvalidInput naming every condition
    whose owner is not such a user: a condition is owned by someone who can close it."""
    given = {item.owner.strip() for item in follow_ups}
    if not given:
        return {}
    folded = {text.casefold() for text in given}
    query = select(User.id, User.username, User.display_name).where(
        User.active, or_(User.username.in_(given), func.lower(User.display_name).in_(folded))
    )
    people = uow.session.execute(query).all()
    owners: dict[str, tuple[int, str]] = {}
    for text in given:
        named = [(i, u) for i, u, _ in people if u == text]
        named = named or [(i, u) for i, u, name in people if name.casefold() == text.casefold()]
        if len(named) == 1:
            owners[text] = named[0]
    problems = {
        f"conditions-{index}": (
            f"'{item.owner.strip()}' is not one active user: give the owner's username"
        )
        for index, item in enumerate(follow_ups)
        if item.owner.strip() not in owners
    }
    if problems:
        raise InvalidInput("Each condition needs an owner who is a user", problems)
    return owners


@dataclass(frozen=True)
class Closed:
    """A closed condition: its project, gate, and the evidence cited (if any)."""

    condition: FollowUpRecord
    project_key: str
    gate_id: str
    evidence: str | None


@refusals_recorded
def close_condition(
    uow: UnitOfWork, actor: Actor, condition_id: int, note: str, evidence: str | None = None
) -> Closed:
    """Close condition `condition_id` (its owner only) with a note saying what was done and,
    optionally, the evidence: an artifact of the project, 'artifact' (its latest version) or
    'artifact@version'."""
    note = inputs.long_text(note, "note")
    found = uow.session.execute(
        select(FollowUpRecord, Review.gate_id, Project)
        .join(Review, FollowUpRecord.review_id == Review.id)
        .join(Project, Review.project_id == Project.id)
        .where(FollowUpRecord.id == condition_id)
        .with_for_update(of=FollowUpRecord)
    ).first()
    if found is None:
        raise NotFound(f"There is no condition {condition_id}.")
    condition, gate_id, project = found
    granted = authority_on(uow, actor.username, project)
    refusals = granted.close_condition(condition.owner, condition.done_at is not None, note)
    if refusals:
        raise Refused("close the condition", refusals)
    version = _evidence(uow, project, evidence) if evidence else None
    condition.done_at, condition.closed_by = uow.now, actor.username
    condition.close_note = note.strip()
    condition.evidence_id = version.id if version is not None else None
    cited = f"{version.artifact_id}@{version.version}" if version is not None else None
    uow.record(
        actor.username,
        "condition.closed",
        project.key,
        condition=condition.id,
        gate=gate_id,
        what=condition.action,
        due=condition.due,
        note=condition.close_note,
        evidence=cited,
        evidence_digest=version.digest if version is not None else None,
    )
    return Closed(condition, project.key, gate_id, cited)


def _evidence(uow: UnitOfWork, project: Project, cited: str) -> ArtifactVersion:
    artifact, _, number = cited.strip().partition("@")
    query = select(ArtifactVersion).where(
        ArtifactVersion.project_id == project.id, ArtifactVersion.artifact_id == artifact
    )
    if number:
        if not number.isdigit():
            raise InvalidInput("The evidence is not valid", {"evidence": _EVIDENCE_FORM})
        query = query.where(ArtifactVersion.version == int(number))
    version = uow.session.execute(
        query.order_by(ArtifactVersion.version.desc()).limit(1)
    ).scalar_one_or_none()
    if version is None:
        problem = f"{project.key} has no evidence '{cited.strip()}': attach it first"
        raise InvalidInput("The evidence is not valid", {"evidence": problem})
    return version


_EVIDENCE_FORM = "name an artifact of the project: 'test_plan' or 'test_plan@2'"


def assign_owners(uow: UnitOfWork) -> int:
    """Give each condition recorded before owners were users one: the user whose username or
    printed name is the owner's text, else the project's manager; one audit event each, as
    the system. Returns how many were assigned (none the second time)."""
    rows = uow.session.execute(
        select(FollowUpRecord, Project.key, Project.manager_id)
        .join(Review, FollowUpRecord.review_id == Review.id)
        .join(Project, Review.project_id == Project.id)
        .where(FollowUpRecord.owner_id.is_(None))
        .order_by(FollowUpRecord.id)
    ).all()
    if not rows:
        return 0
    people = uow.session.execute(select(User.id, User.username, User.display_name)).all()
    by_name = {name.casefold(): user_id for user_id, _, name in people}
    by_username = {username: user_id for user_id, username, _ in people}
    usernames = {user_id: username for user_id, username, _ in people}
    actor = system()
    for condition, key, manager_id in rows:
        text = condition.owner.strip()
        matched = by_username.get(text) or by_name.get(text.casefold())
        owner_id = matched or manager_id
        condition.owner_id, condition.owner = owner_id, usernames[owner_id]
        uow.record(
            actor.username,
            "condition.owner_assigned",
            key,
            condition=condition.id,
            owner_was=text,
            owner=usernames[owner_id],
            matched=matched is not None,
        )
    return len(rows)
