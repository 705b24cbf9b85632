"""Programme verbs: create a programme, move a project into or out of one (the PMO).

A project moving in or out changes what its programme adds up to, so it may re-tier the
project and the programme's other projects (gates.programmes). Where it moves the tier of a
project past its first gate, the move is a change request like a change of facts
(workflows.verbs.change_requests), which the programme's sponsor and the PMO approve too;
otherwise it is made at once. Either way each project moved gets its `project.retiered`
event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from gates.authority import PROGRAMMES, authority
from gates.change_control import NEEDS_REQUEST, under_change_control
from gates.change_requests import ChangeStatus
from gates.programmes import (
    TierMove,
    alone,
    change_approvers,
    left,
    member_stage,
    tier_moves,
)
from gates.refusals import Refusal
from policies.model import Policy
from workflows.authority import person_on
from workflows.change_control import refuse_while_open
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.facts import from_stored
from workflows.identity import Actor
from workflows.inputs import long_text, short_text_problem
from workflows.programmes import retier, rules_stage, standing, tier_in
from workflows.refusal_log import refusals_recorded
from workflows.state import authority_on, load_project, policy_of, require
from workflows.store.records import ChangeRequest, Programme, Project
from workflows.store.uow import UnitOfWork
from workflows.verbs.users import find_user

CREATED = "programme.created"
ADDED, REMOVED = "programme.project_added", "programme.project_removed"
_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}(-[0-9]{1,6})?$")
_PROGRAMME = select(Programme).where(Programme.key == bindparam("key"))


def load_programme(uow: UnitOfWork, key: str) -> Programme:
    """The programme with this key; raises NotFound."""
    found = uow.session.execute(_PROGRAMME, {"key": key}).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(f"There is no programme '{key}'.")
    return found


@refusals_recorded
def create_programme(uow: UnitOfWork, actor: Actor, key: str, name: str, sponsor: str) -> Programme:
    """Create programme `key`, sponsored by `sponsor` (the PMO)."""
    require(authority(person_on(uow, actor.username, None)), PROGRAMMES, "create a programme")
    problems = {}
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        problems["key"] = (
            "use capitals and digits, optionally a dash and a number: 'CRM' or 'PRG-1'"
        )
    elif uow.session.execute(_PROGRAMME, {"key": key}).first():
        problems["key"] = f"'{key}' is already a programme"
    name_problem = short_text_problem(name, missing="the programme needs a name")
    if name_problem is not None:
        problems["name"] = name_problem
    if problems:
        raise InvalidInput("The programme cannot be created", problems)
    sponsor_user = find_user(uow, sponsor)
    programme = Programme(
        key=key,
        name=name.strip(),
        sponsor_id=sponsor_user.id,
        created_by=actor.username,
        created_at=uow.now,
    )
    uow.session.add(programme)
    uow.session.flush()
    uow.record(
        actor.username, CREATED, None, programme=key, name=programme.name,
        sponsor=sponsor_user.username,
    )  # fmt: skip
    return programme


@dataclass(frozen=True)
class Membership:
    """A move into or out of a programme: made (`change` None), or proposed as a change
    request because it moves the tier of a project past its first gate; and the tier moves."""

    project: str
    programme: str | None
    moves: tuple[TierMove, ...]
    change: ChangeRequest | None = None


@refusals_recorded
def add_project(
    uow: UnitOfWork,
    actor: Actor,
    programme_key: str,
    project_key: str,
    reason: str,
    *,
    propose: bool = False,
) -> Membership:
    """Move project `project_key` into programme `programme_key` (the PMO), with a reason;
    with `propose`, as a change request (needed where it re-tiers a project past its first
    gate)."""
    reason = long_text(reason, "reason")
    project = load_project(uow, project_key, for_update=True)
    programme = load_programme(uow, programme_key)
    refusals = _refusals(uow, actor, project, reason, "add a project to a programme")
    if project.programme_id == programme.id:
        text = f"{project_key} is already in {programme_key}."
        refusals.append(Refusal("programme.already_member", None, text))
    elif project.programme_id is not None:
        text = f"{project_key} is in another programme: remove it from that one first."
        refusals.append(Refusal("programme.other_member", None, text))
    if refusals:
        raise Refused("add a project to a programme", refusals)
    membership = {"from": None, "to": programme.key}
    return _move(uow, actor, project, membership, reason, propose)


@refusals_recorded
def remove_project(
    uow: UnitOfWork, actor: Actor, project_key: str, reason: str, *, propose: bool = False
) -> Membership:
    """Take project `project_key` out of its programme (the PMO), with a reason; with
    `propose`, as a change request."""
    reason = long_text(reason, "reason")
    project = load_project(uow, project_key, for_update=True)
    refusals = _refusals(uow, actor, project, reason, "remove a project from a programme")
    if project.programme_id is None:
        text = f"{project_key} is in no programme."
        refusals.append(Refusal("programme.not_member", None, text))
    if refusals:
        raise Refused("remove a project from a programme", refusals)
    current = uow.session.get(Programme, project.programme_id)
    assert current is not None
    membership = {"from": current.key, "to": None}
    return _move(uow, actor, project, membership, reason, propose)


def _refusals(
    uow: UnitOfWork, actor: Actor, project: Project, reason: str, action: str
) -> list[Refusal]:
    require(authority_on(uow, actor.username, project), PROGRAMMES, action)
    refuse_while_open(uow, project, action)
    if reason:
        return []
    text = "Moving a project into or out of a programme needs a reason: say why."
    return [Refusal("programme.reason_required", "reason", text)]


def _move(
    uow: UnitOfWork,
    actor: Actor,
    project: Project,
    membership: Mapping[str, str | None],
    reason: str,
    propose: bool,
) -> Membership:
    policy = policy_of(uow, project)
    moves = membership_moves(uow, project, policy, membership["to"])
    if propose:
        change = _propose(uow, actor, project, policy, membership, reason, moves)
        return Membership(project.key, membership["to"], moves, change)
    if any(m.controlled for m in moves):
        refusal = _needs_request(project.key, membership, moves)
        raise Refused("move a project between programmes", [refusal])
    move_membership(uow, actor, project, policy, membership, reason)
    return Membership(project.key, membership["to"], moves)


def _needs_request(
    key: str, membership: Mapping[str, str | None], moves: tuple[TierMove, ...]
) -> Refusal:
    moved = "; ".join(str(m) for m in moves if m.controlled)
    target = membership["to"]
    command = f"add {target} {key}" if target else f"remove {key}"
    text = (
        f"This move needs an approved change request because it re-tiers projects past their "
        f"first gate: {moved}. Propose it: `lockgate programme {command} --propose --reason "
        "...`; the programme's sponsor and the PMO approve it, with the policy's change "
        "approvers."
    )
    return Refusal(NEEDS_REQUEST, None, text)


def membership_moves(
    uow: UnitOfWork, project: Project, policy: Policy, target: str | None
) -> tuple[TierMove, ...]:
    """The tier moves of moving `project` into programme `target` (None: out of its own):
    its own first, then the other projects of the programme it joins or leaves."""
    facts = from_stored(policy, project.facts)
    stage = member_stage(project.stage, project.resume_stage)
    if target is not None:
        joined = standing(uow, project, load_programme(uow, target).id)
        after, others = joined.members, joined.siblings(uow)
        mine = after
    else:
        now = standing(uow, project)
        after, others = left(now.members, facts, stage), now.siblings(uow)
        mine = alone(facts, stage)
    choice = tier_in(policy, facts, mine, project)
    own: tuple[TierMove, ...] = ()
    if choice.tier.id != project.tier:
        controlled = under_change_control(policy, rules_stage(project))
        own = (TierMove(project.key, project.tier, choice.tier.id, choice.reason, controlled),)
    return (*own, *tier_moves(others, after))


def move_membership(
    uow: UnitOfWork,
    actor: Actor,
    project: Project,
    policy: Policy,
    membership: Mapping[str, str | None],
    reason: str,
    change: int | None = None,
) -> None:
    """Move `project` as `membership` says ({"from": key or None, "to": key or None}),
    recorded, and re-tier every project it moves (the tier moves worked out afresh)."""
    target = membership["to"]
    moves = membership_moves(uow, project, policy, target)
    programme = load_programme(uow, target) if target is not None else None
    project.programme_id = programme.id if programme is not None else None
    project.updated_at = uow.now
    action = ADDED if target is not None else REMOVED
    named = target if target is not None else membership["from"]
    uow.record(
        actor.username, action, project.key, programme=named, reason=reason, change=change,
        moves=[m.as_record() for m in moves],
    )  # fmt: skip
    cause: dict[str, Any] = {"moved_by": project.key, "programme": named}
    retier(uow, actor, moves, cause | ({"change": change} if change is not None else {}))


def _propose(
    uow: UnitOfWork,
    actor: Actor,
    project: Project,
    policy: Policy,
    membership: Mapping[str, str | None],
    reason: str,
    moves: tuple[TierMove, ...],
) -> ChangeRequest:
    own = next((m for m in moves if m.key == project.key), None)
    others = [m for m in moves if m.key != project.key]
    impact = {
        "old_tier": project.tier,
        "new_tier": own.new_tier if own else project.tier,
        "added": [], "dropped": [], "money": [],
        "needs_request": any(m.controlled for m in moves),
        "siblings": [m.as_record() for m in others],
    }  # fmt: skip
    record = ChangeRequest(
        project_id=project.id,
        changes={},
        facts=dict(project.facts),
        reason=reason,
        impact=impact,
        status=ChangeStatus.OPEN.value,
        proposed_by=actor.username,
        proposed_at=uow.now,
        closed_by=None,
        closed_at=None,
        membership=dict(membership),
    )
    uow.session.add(record)
    uow.session.flush()
    uow.record(
        actor.username, "change.proposed", project.key, change=record.id, changes={},
        membership=record.membership, reason=reason, impact=impact,
        approvers=list(change_approvers(policy.change_control.approvers, True)),
    )  # fmt: skip
    return record
