"""Independent assurance reviews: who may record one, whether a go waits for it, and what its
rating does to the decision.

A gate's `assurance` asks for a review by a holder of the reviewers role who is independent of
the project (its manager, sponsors, team and their organisation units, as the policy says),
rating the project on the policy's scale, with recommendations. It is advisory: it is no
sign-off and blocks nothing by itself, except that a go waits until one is recorded for the
round, and the policy's rules may narrow the decisions or move the decision to another role
(`assurance.rating == "red"`: hold or recycle, decided by the investment board). Pure: the
people and the rating are given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cel

from gates.conditions import ConditionError, holds
from gates.model import APPROVING, Person, ProjectState
from gates.refusals import Refusal
from policies.conditions import evaluation_context
from policies.model import Assurance, Decision, Gate, Policy, Separation, Urgency
from policies.problems import did_you_mean, one_of


@dataclass(frozen=True, slots=True)
class Affiliation:
    """Where a person sits in the organisation (user attributes an admin keeps)."""

    username: str
    org_unit: str = ""
    team: str = ""


@dataclass(frozen=True, slots=True)
class Circle:
    """The people a project is: its manager, its sponsors and everyone else holding a role
    on it (the reviewers role aside)."""

    manager: Affiliation
    sponsors: tuple[Affiliation, ...] = ()
    members: tuple[Affiliation, ...] = ()


@dataclass(frozen=True, slots=True)
class Effect:
    """What the rating does to the decision: the decisions left (None: the gate's) and the
    roles it moved the decision to (empty: the gate's deciders), with the rules that did."""

    decisions: tuple[Decision, ...] | None
    escalated_to: frozenset[str]
    because: tuple[str, ...]


NO_EFFECT = Effect(None, frozenset(), ())


def required(gate: Gate, state: ProjectState) -> bool:
    """True when a go at `gate` waits for an assurance review (one whose condition cannot
    be checked yet is required)."""
    assurance = gate.assurance
    if assurance is None:
        return False
    if assurance.when is None:
        return True
    try:
        return holds(assurance.when, state.context)
    except ConditionError:
        return True


def reviewer_refusals(
    policy: Policy,
    gate: Gate,
    person: Person,
    affiliation: Affiliation,
    circle: Circle,
    state: ProjectState,
) -> list[Refusal]:
    """Every reason `person` may not record the assurance review of `gate`'s open round now:
    the gate must take one and the project need it, the round be open and not yet rated,
    and the person hold the reviewers role and be independent as the policy says."""
    assurance = gate.assurance
    if assurance is None:
        return [Refusal("assure.not_at_gate", None, f"{gate.name} takes no assurance review.")]
    if state.snapshot_digest is None:
        text = f"{gate.name} has not been submitted: there is nothing to review yet."
        return [Refusal("assure.not_submitted", None, text)]
    if not required(gate, state):
        text = f"{gate.name} needs no assurance review for this project ({assurance.when})."
        return [Refusal("assure.not_needed", None, text)]
    refusals = []
    if not person.active or assurance.reviewers not in person.roles:
        title = policy.role_title(assurance.reviewers)
        text = f"{person.username} does not hold the {title} role: only its holders review."
        refusals.append(Refusal("role.assure", None, text))
    if state.assurance is not None:
        text = (
            f"{state.assurance.reviewer} already rated this round "
            f"{state.assurance.rating.replace('_', ' ')}: one assurance review a round."
        )
        refusals.append(Refusal("assure.once_per_round", None, text))
    return [*refusals, *independence_refusals(assurance, affiliation, circle)]


def independence_refusals(
    assurance: Assurance, reviewer: Affiliation, circle: Circle
) -> list[Refusal]:
    """Why `reviewer` is not independent of the project as `assurance` asks. An attribute
    left blank cannot show independence: it is refused, naming whose to record."""
    separations = assurance.independent_of
    refusals = []
    if Separation.PROJECT_MANAGER in separations and reviewer.username == circle.manager.username:
        text = "The project manager cannot review their own project."
        refusals.append(Refusal("sod.assurance_manager", None, text))
    sponsors = {s.username for s in circle.sponsors}
    if Separation.SPONSOR in separations and reviewer.username in sponsors:
        text = "A sponsor of the project cannot review it."
        refusals.append(Refusal("sod.assurance_sponsor", None, text))
    leaders = (circle.manager, *circle.sponsors)
    if Separation.TEAM in separations:
        refusals.extend(_team_refusals(reviewer, circle, leaders))
    if Separation.ORG_UNIT in separations:
        refusals.extend(_unit_refusals(reviewer, leaders))
    return refusals


def _team_refusals(
    reviewer: Affiliation, circle: Circle, leaders: tuple[Affiliation, ...]
) -> list[Refusal]:
    if reviewer.username in {m.username for m in circle.members}:
        text = f"{reviewer.username} holds a role on the project: a reviewer is from outside it."
        return [Refusal("sod.assurance_team", None, text)]
    unknown = _blank("team", [reviewer, *leaders])
    if unknown:
        return [unknown]
    shared = [p.username for p in leaders if p.team.casefold() == reviewer.team.casefold()]
    if shared:
        text = f"{reviewer.username} is in the team {reviewer.team}, as {_names(shared)} is."
        return [Refusal("sod.assurance_team", None, text)]
    return []


def _unit_refusals(reviewer: Affiliation, leaders: tuple[Affiliation, ...]) -> list[Refusal]:
    unknown = _blank("org unit", [reviewer, *leaders], "org_unit")
    if unknown:
        return [unknown]
    shared = [p.username for p in leaders if p.org_unit.casefold() == reviewer.org_unit.casefold()]
    if shared:
        text = (
            f"{reviewer.username} is in the org unit {reviewer.org_unit}, as {_names(shared)} "
            "is: a reviewer is from outside the project's business unit."
        )
        return [Refusal("sod.assurance_org_unit", None, text)]
    return []


def _blank(label: str, people: Iterable[Affiliation], attribute: str = "") -> Refusal | None:
    name = attribute or label
    missing = [p.username for p in dict.fromkeys(people) if not getattr(p, name).strip()]
    if not missing:
        return None
    text = (
        f"Independence from the project's {label} cannot be shown: the {label} of "
        f"{_names(missing)} is not recorded. Ask an admin to record it (lockgate user "
        "attributes)."
    )
    return Refusal("assure.attributes_unknown", None, text)


def _names(usernames: list[str]) -> str:
    return (
        ", ".join(usernames[:-1]) + " and " + usernames[-1] if len(usernames) > 1 else usernames[0]
    )


def rating_refusals(gate: Gate, rating: str) -> list[Refusal]:
    """Why `rating` is not a rating of `gate`'s scale."""
    assert gate.assurance is not None
    ratings = gate.assurance.scale.ratings
    if rating in ratings:
        return []
    hint = did_you_mean(rating, ratings)
    scale = gate.assurance.scale.title
    text = f"'{rating}' is not on the {scale} scale{hint}; it is {one_of(ratings)}."
    return [Refusal("assure.rating", "rating", text)]


def urgency_of(text: str) -> Urgency | None:
    """The urgency a recommendation names, or None for a word that is none."""
    try:
        return Urgency(text.strip().lower())
    except ValueError:
        return None


def effect(policy: Policy, gate: Gate, state: ProjectState) -> Effect:
    """What the round's rating does to the decision: each rule of the gate whose condition
    holds narrows the decisions (to those all of them leave) and may move the decision to
    a role. No rating, or no rule: no effect."""
    assurance, rated = gate.assurance, state.assurance
    if assurance is None or rated is None or not assurance.rules:
        return NO_EFFECT
    context = _context(assurance, state, rated.rating)
    decisions: tuple[Decision, ...] | None = None
    roles: set[str] = set()
    because = []
    for rule in assurance.rules:
        try:
            if not holds(rule.when, context):
                continue
        except ConditionError:
            continue
        because.append(rule.when.source)
        if rule.decisions:
            left = decisions if decisions is not None else gate.decisions
            decisions = tuple(d for d in left if d in rule.decisions)
        if rule.escalate_to:
            roles.add(rule.escalate_to)
    return Effect(decisions, frozenset(roles), tuple(because))


def _context(assurance: Assurance, state: ProjectState, rating: str) -> cel.Context:
    level = assurance.scale.level(rating) if rating in assurance.scale.ratings else -1
    rated = {"rating": rating, "level": level}
    return evaluation_context(state.facts, state.tier, state.forms, state.programme, rated)


def decision_refusals(
    policy: Policy, gate: Gate, state: ProjectState, decision: Decision
) -> list[Refusal]:
    """Why the assurance review stops `decision` now: a go waits for the review where the
    project needs one, and the rating's rules may leave only some decisions."""
    if gate.assurance is None:
        return []
    title = gate.assurance.scale.title
    if state.assurance is None:
        if decision in APPROVING and required(gate, state):
            text = (
                f"A go at {gate.name} needs an independent assurance review ({title}) of this "
                f"round first: none is recorded. A holder of the "
                f"{policy.role_title(gate.assurance.reviewers)} role records it."
            )
            return [Refusal("decide.assurance_missing", "decision", text)]
        return []
    found = effect(policy, gate, state)
    if found.decisions is None or decision in found.decisions:
        return []
    rating = state.assurance.rating.replace("_", " ")
    left = ", ".join(d.label for d in found.decisions) or "nothing"
    text = (
        f"The assurance rating {rating} ({title}) leaves {left} at {gate.name}: "
        f"'{decision.label}' is not one of them."
    )
    return [Refusal("decide.assurance_rating", "decision", text)]


def escalated_roles(policy: Policy, gate: Gate, state: ProjectState) -> frozenset[str]:
    """The roles the rating moved the decision to (empty: it stays with the deciders)."""
    return effect(policy, gate, state).escalated_to
