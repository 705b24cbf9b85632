"""What a change of a project's facts does, read from the database: the facts it leads to
and its impact (gates.change_control) measured from the project's baseline, the project's
open change request, and the re-baseline reviews it owes. Shared by update_facts and the
change request verbs; reads only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from gates.change_control import NEEDS_REQUEST, Impact, impact
from gates.change_requests import ChangeStatus
from gates.decisions import ON_HOLD
from gates.model import APPROVING
from gates.programmes import (
    PROGRAMME_SPONSOR,
    Members,
    change_approvers,
    changed,
    member_stage,
    programme_value,
    tier_moves,
)
from gates.refusals import Refusal
from policies.model import FactValue, Policy, TriggerEvent
from workflows.errors import Refused
from workflows.facts import checked_facts, from_stored, to_stored
from workflows.programmes import standing
from workflows.store.records import ChangeRequest, Project, Review
from workflows.store.uow import UnitOfWork
from workflows.triggered import owed_reviews

APPLIED_STATUS = ChangeStatus.APPLIED.value


@dataclass(frozen=True)
class Assessment:
    """A change of facts checked against the policy: the typed facts it leads to, as stored,
    and its impact."""

    values: dict[str, FactValue]
    facts: dict[str, Any]
    impact: Impact
    members: Members
    """The project's programme (or the project alone) once changed."""


def assess(
    uow: UnitOfWork, project: Project, policy: Policy, changes: Mapping[str, object]
) -> Assessment:
    """What changing `project`'s facts by `changes` does; raises InvalidInput for bad values
    and Refused (facts.unchanged) when nothing would change."""
    values = checked_facts(policy, {**project.facts, **changes})
    facts = to_stored(values)
    if facts == project.facts:
        text = "Nothing changed: the facts already have these values."
        raise Refused("change the facts", [Refusal("facts.unchanged", None, text)])
    old = from_stored(policy, project.facts)
    baseline = from_stored(policy, baseline_facts(uow, project, policy))
    now = standing(uow, project)
    stage = member_stage(project.stage, project.resume_stage)
    after = changed(now.members, old, values, stage)
    before_value = programme_value(policy, now.members, stage)
    after_value = programme_value(policy, after, stage)
    moves = tier_moves(now.siblings(uow), after)
    found = impact(
        policy, _stage(project), old, values, baseline,
        programme=(before_value, after_value), siblings=moves,
    )  # fmt: skip
    return Assessment(values, facts, found, after)


def _stage(project: Project) -> str:
    """The stage the rules read: a project on hold is asked about the stage it resumes to."""
    return project.resume_stage or project.stage if project.stage == ON_HOLD else project.stage


def baseline_facts(uow: UnitOfWork, project: Project, policy: Policy) -> dict[str, Any]:
    """The facts money moves are measured from: those of the last applied change request,
    else those the first gate was passed on (its review's snapshot), else today's.

    Measuring from the baseline, not from the last edit, is what stops a row of small edits
    from walking past a threshold that one edit may not cross."""
    applied = (
        select(ChangeRequest.facts)
        .where(
            ChangeRequest.project_id == project.id,
            ChangeRequest.status == ChangeStatus.APPLIED.value,
        )
        .order_by(ChangeRequest.closed_at.desc(), ChangeRequest.id.desc())
        .limit(1)
    )
    found = uow.session.execute(applied).scalar()
    if found is None and policy.gates:
        passed = (
            select(Review.snapshot)
            .where(
                Review.project_id == project.id,
                Review.gate_id == policy.gates[0].id,
                Review.decision.in_([d.value for d in APPROVING]),
            )
            .order_by(Review.decided_at.desc())
            .limit(1)
        )
        snapshot = uow.session.execute(passed).scalar()
        found = snapshot.get("facts") if snapshot else None
    return dict(found if found is not None else project.facts)


def open_change(uow: UnitOfWork, project: Project) -> ChangeRequest | None:
    """The project's open change request, if any."""
    query = select(ChangeRequest).where(
        ChangeRequest.project_id == project.id, ChangeRequest.status == ChangeStatus.OPEN.value
    )
    return uow.session.execute(query).scalars().first()


def refuse_while_open(uow: UnitOfWork, project: Project, action: str) -> None:
    """Raise Refused (change.request_open) when the project has an open change request."""
    pending = open_change(uow, project)
    if pending is None:
        return
    text = (
        f"{project.key} has an open change request ({pending.id}): it must be approved, "
        "rejected or withdrawn first (`lockgate change show "
        f"{pending.id}`)."
    )
    raise Refused(action, [Refusal("change.request_open", None, text)])


def needs_request_refusal(
    key: str, policy: Policy, found: Impact, changes: Mapping[str, object]
) -> Refusal:
    """The refusal of a direct edit that needs a change request, saying how to propose it."""
    sets = " ".join(f"--set {name}={value}" for name, value in changes.items())
    roles = change_approvers(policy.change_control.approvers, bool(found.siblings))
    approvers = " and ".join(_approver_title(policy, r) for r in roles)
    text = (
        f"This change needs an approved change request because {'; '.join(found.reasons())}. "
        f"Propose a change request: `lockgate project change {key} {sets} --reason ...` (or "
        f"'Propose this change' on the facts page); {approvers} approve it."
    )
    return Refusal(NEEDS_REQUEST, None, text)


def _approver_title(policy: Policy, role: str) -> str:
    if role == PROGRAMME_SPONSOR:
        return "the programme's sponsor"
    return policy.role_title(role) if policy.role(role) else role.upper() if role == "pmo" else role


def rebaseline_due(uow: UnitOfWork, project: Project, policy: Policy) -> tuple[str, ...]:
    """The gates whose re-baseline review must pass before the project's next gate: those the
    policy's triggers name (on change_approved) not passed since the last applied change
    (one of the reviews workflows.triggered.owed_reviews asks for)."""
    owed = owed_reviews(uow, project, policy)
    return tuple(o.gate for o in owed if o.kind is TriggerEvent.CHANGE_APPROVED)
