"""PMO overrides: a gate forced through with requirements missing. One PMO member asks, with
a reason; a second confirms (the gate passes, flagged as overridden) or declines. A policy
can forbid them (gates.decisions.can_override)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select

from gates.authority import Authority, authority
from gates.decisions import go_blockers
from gates.readiness import readiness
from gates.refusals import Refusal
from gates.signoffs import ReviewRound
from policies.model import Decision
from workflows import inputs
from workflows.errors import NotFound, Refused
from workflows.identity import Actor
from workflows.refusal_log import refusals_recorded
from workflows.state import (
    UnderReview,
    authority_on,
    gate_of,
    load_project,
    load_under_review,
    policy_of,
    project_state,
)
from workflows.store.records import OverrideRecord, Project
from workflows.store.uow import UnitOfWork
from workflows.verbs.conditions import open_conditions
from workflows.verbs.reviews import Ruling, record_decision

REQUESTED, CONFIRMED, DECLINED = "requested", "confirmed", "declined"


@refusals_recorded
def request_override(uow: UnitOfWork, actor: Actor, key: str, reason: str) -> OverrideRecord:
    """Ask for the open review of `key` to pass although requirements are missing (PMO); a
    second PMO member answers. Records what was missing."""
    reason = inputs.long_text(reason, "reason")
    under = load_under_review(uow, key)
    round_, at_gate = _round(uow, actor, under, "ask for an override")
    refusals = at_gate.override(actor.username, False, uow.now.date())
    if not reason.strip():
        text = "An override needs a reason: say why the gate must pass as it is."
        refusals.append(Refusal("override.reason_required", "reason", text))
    review = under.review
    assert review is not None
    if waiting_override(uow, review.id) is not None:
        text = "An override of this review already waits for a second PMO member."
        refusals.append(Refusal("override.already_requested", None, text))
    if refusals:
        raise Refused("ask for an override", refusals)
    missing = go_blockers(round_.policy, round_.report, round_.state, uow.now.date())
    asked = OverrideRecord(
        project_id=under.project.id,
        review_id=review.id,
        reason=reason.strip(),
        missing=missing,
        state=REQUESTED,
        requested_by=actor.username,
        requested_at=uow.now,
        answered_by=None,
        answered_at=None,
        answer="",
    )
    uow.session.add(asked)
    uow.session.flush()
    uow.record(
        actor.username,
        "override.requested",
        key,
        override=asked.id,
        gate=review.gate_id,
        round=review.round,
        reason=asked.reason,
        missing=missing,
    )
    return asked


@refusals_recorded
def answer_override(
    uow: UnitOfWork, actor: Actor, override_id: int, confirm: bool, answer: str = ""
) -> OverrideRecord:
    """Confirm (the gate passes with a go, flagged as overridden) or decline (with a reason)
    the override `override_id`: a second PMO member, never the one who asked."""
    answer = inputs.long_text(answer, "answer")
    asked = uow.session.get(OverrideRecord, override_id, with_for_update=True)
    if asked is None:
        raise NotFound(f"There is no override {override_id}.")
    project = uow.session.get(Project, asked.project_id)
    assert project is not None
    under = load_under_review(uow, project.key)
    action = "confirm the override" if confirm else "decline the override"
    if asked.state != REQUESTED or under.review is None or under.review.id != asked.review_id:
        text = f"Override {override_id} was already answered, or its review is closed."
        raise Refused(action, [Refusal("override.answered", None, text)])
    round_, at_gate = _round(uow, actor, under, action)
    if confirm:
        refusals = at_gate.override(asked.requested_by, True, uow.now.date())
    else:
        refusals = at_gate.decline_override(asked.requested_by)
        if not answer.strip():
            text = "Say why the override is declined."
            refusals.append(Refusal("override.answer_required", "answer", text))
    if refusals:
        raise Refused(action, refusals)
    asked.state = CONFIRMED if confirm else DECLINED
    asked.answered_by, asked.answered_at, asked.answer = actor.username, uow.now, answer.strip()
    if confirm:
        reason = f"PMO override: {asked.reason}"
        ruling = Ruling(Decision.GO, reason, stale=round_.report.stale_evidence())
        record_decision(
            uow, actor, under, (round_.policy, round_.gate), [], ruling, {}, override=asked.id
        )
    uow.record(
        actor.username,
        f"override.{asked.state}",
        project.key,
        override=asked.id,
        requested_by=asked.requested_by,
        answer=asked.answer,
        missing=asked.missing,
    )
    return asked


def _round(
    uow: UnitOfWork, actor: Actor, under: UnderReview, action: str
) -> tuple[ReviewRound, Authority]:
    """The review round as the rules read it now, and what `actor` may do on it."""
    project, review = under.project, under.review
    granted = authority_on(uow, actor.username, project)
    if review is None:
        text = f"{project.key} has no submitted review: nothing to override."
        raise Refused(action, [Refusal("review.none_open", None, text)])
    policy = policy_of(uow, project)
    gate = gate_of(policy, project, review.gate_id)
    state = project_state(uow, project, policy, gate, review, signatures=under.signatures)
    state = replace(state, open_conditions=open_conditions(uow, project.id))
    round_ = ReviewRound(policy, readiness(policy, gate, state, uow.now), state)
    return round_, authority(granted.person, project.key, round_)


def waiting_override(uow: UnitOfWork, review_id: int) -> OverrideRecord | None:
    """The override of review `review_id` waiting for a second PMO member, if any."""
    query = select(OverrideRecord).where(
        OverrideRecord.review_id == review_id, OverrideRecord.state == REQUESTED
    )
    return uow.session.execute(query).scalars().first()


def overrides_of(uow: UnitOfWork, key: str) -> Sequence[OverrideRecord]:
    """Every override asked for on the project, oldest first: the project page flags them."""
    project = load_project(uow, key)
    query = (
        select(OverrideRecord)
        .where(OverrideRecord.project_id == project.id)
        .order_by(OverrideRecord.id)
    )
    return uow.session.execute(query).scalars().all()
