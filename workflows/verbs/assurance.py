"""Independent assurance reviews: a reviewer independent of the project records a rating on the
policy's scale, a summary and recommendations for the open review round (gates.assurance)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from gates.assurance import Affiliation, Circle, urgency_of
from gates.authority import authority
from gates.model import SPONSOR
from gates.readiness import readiness
from gates.signoffs import ReviewRound
from gates.triggers import rated_worst
from policies.model import Gate, Urgency
from workflows import inputs
from workflows.errors import InvalidInput, Refused
from workflows.identity import Actor
from workflows.refusal_log import refusals_recorded
from workflows.store.records import AssuranceRecord, Project, RoleGrant, User
from workflows.store.uow import UnitOfWork
from workflows.triggered import open_triggered
from workflows.verbs.reviews import open_round
from workflows.verbs.users import find_user

MAX_RECOMMENDATIONS = 50


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What an assurance reviewer recommends: an action, how urgent it is, and its owner."""

    action: str
    urgency: str
    owner: str

    def as_record(self) -> dict[str, str]:
        """The recommendation as the row and the event keep it."""
        return {"action": self.action, "urgency": self.urgency, "owner": self.owner}


@refusals_recorded
def record_assurance(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    rating: str,
    summary: str,
    recommendations: Sequence[Recommendation] = (),
) -> AssuranceRecord:
    """Record the independent assurance review of the open review round of `key`: once a
    round, by a holder of the gate's reviewers role independent of the project as its policy
    says. A go at the gate waits for it where the project needs one; its rating may narrow
    the decisions or move the decision to another role (gates.assurance); the worst rating
    of its scale opens the reviews the policy's `assurance_red` triggers ask for."""
    summary = inputs.long_text(summary, "summary", missing="say what the review found")
    checked = _recommendations(recommendations)
    rating = inputs.short_text(rating, "rating").lower().replace(" ", "_")
    under, granted, policy, gate, state = open_round(uow, actor, key, "review")
    review = under.review
    assert review is not None
    reviewer = find_user(uow, actor.username)
    at_gate = authority(
        granted.person, key, ReviewRound(policy, readiness(policy, gate, state, uow.now), state)
    )
    refusals = at_gate.assure(*people_of(uow, reviewer, under.project, gate), rating)
    if refusals:
        raise Refused("record the assurance review", refusals, key)
    assert gate.assurance is not None
    row = AssuranceRecord(
        review_id=review.id,
        reviewer_id=reviewer.id,
        scale=gate.assurance.scale.id,
        rating=rating,
        summary=summary,
        recommendations=[r.as_record() for r in checked],
        recorded_at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.record(
        actor.username,
        "assurance.recorded",
        key,
        gate=gate.id,
        round=review.round,
        assurance=row.id,
        scale=row.scale,
        rating=rating,
        summary=summary,
        recommendations=row.recommendations,
    )
    for found in rated_worst(policy, gate, rating, row.id, uow.now):
        open_triggered(uow, under.project, found)
    return row


def _recommendations(items: Sequence[Recommendation]) -> list[Recommendation]:
    if len(items) > MAX_RECOMMENDATIONS:
        text = f"has {len(items)} items; at most {MAX_RECOMMENDATIONS} are allowed"
        raise InvalidInput("The recommendations cannot be used", {"recommendations": text})
    checked = []
    words = ", ".join(Urgency)
    for index, item in enumerate(items):
        field = f"recommendations[{index}]"
        action = inputs.short_text(item.action, f"{field}.action", inputs.LONG_TEXT)
        owner = inputs.short_text(item.owner, f"{field}.owner")
        urgency = urgency_of(item.urgency)
        if urgency is None:
            problem = f"'{item.urgency}' is no urgency: use {words}"
            raise InvalidInput("The recommendation cannot be used", {f"{field}.urgency": problem})
        checked.append(Recommendation(action, urgency.value, owner))
    return checked


def people_of(
    uow: UnitOfWork, reviewer: User, project: Project, gate: Gate
) -> tuple[Affiliation, Circle]:
    """What the independence rules read: where `reviewer` sits, and the people `project` is
    (the reviewers role of `gate` aside)."""
    reviewers = gate.assurance.reviewers if gate.assurance is not None else ""
    affiliation = Affiliation(reviewer.username, reviewer.org_unit, reviewer.team)
    return affiliation, circle_of(uow, project, reviewers)


def circle_of(uow: UnitOfWork, project: Project, reviewers: str) -> Circle:
    """The project's people as the independence rules read them: its manager, its sponsors,
    and everyone else holding a role on it (the reviewers role aside), with their org unit
    and team. One statement for the grants."""
    manager = project.manager
    grants = uow.session.execute(
        select(User.username, User.org_unit, User.team, RoleGrant.role)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.project_id == project.id, RoleGrant.revoked_at.is_(None))
        .where(RoleGrant.role != reviewers)
    ).all()
    sponsors = {u: Affiliation(u, o, t) for u, o, t, role in grants if role == SPONSOR}
    members = {u: Affiliation(u, o, t) for u, o, t, _ in grants}
    return Circle(
        Affiliation(manager.username, manager.org_unit, manager.team),
        tuple(sponsors.values()),
        tuple(members.values()),
    )
