"""Project verbs: register, update facts, hold, resume, kill; and loading a project."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select

from gates.authority import HOLD, KILL, REGISTER, RESUME, UPDATE_FACTS, Permission, authority
from gates.decisions import KILLED, ON_HOLD
from gates.duties import role_conflicts
from gates.model import SPONSOR
from gates.programmes import alone, programme_value
from gates.refusals import Refusal
from gates.tiering import TierChoice, classify
from policies.facts import read_facts
from policies.model import MANAGER_ROLE
from workflows import change_control
from workflows.authority import person_on
from workflows.errors import InvalidInput, Refused
from workflows.facts import from_stored, to_stored
from workflows.identity import Actor
from workflows.inputs import long_text, short_text_problem
from workflows.pending import close_pending
from workflows.programmes import retier, tier_in
from workflows.refusal_log import refusals_recorded
from workflows.skipping import pass_skipped_gates
from workflows.state import (
    authority_on,
    load_project,
    open_review,
    policy_of,
    refresh_snapshot,
    require,
)
from workflows.store.records import Project, RoleGrant
from workflows.store.uow import UnitOfWork
from workflows.verbs import publishing
from workflows.verbs.users import find_user

_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}-[0-9]{1,6}$")


@refusals_recorded
def register_project(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    name: str,
    policy_id: str,
    facts: Mapping[str, object],
    manager: str | None = None,
    sponsor: str | None = None,
) -> Project:
    """Register a project under the latest version of `policy_id`, pinned to it, and tier it."""
    require(authority(person_on(uow, actor.username, None)), REGISTER, "register a project")
    row = publishing.latest(uow, policy_id)
    policy = uow.workspace.policy(row)
    values, fact_problems = read_facts(policy.facts, facts)
    problems = {**_registration_problems(uow, key, name), **fact_problems}
    if problems:
        raise InvalidInput("The project cannot be registered", problems)
    manager_user = find_user(uow, manager or actor.username)
    sponsor_user = find_user(uow, sponsor) if sponsor else None
    if sponsor_user is not None and sponsor_user.id == manager_user.id:
        held = (MANAGER_ROLE, SPONSOR)
        conflicts = role_conflicts(manager_user.username, held, policy.incompatible_roles)
        if conflicts:
            raise Refused("register a project", conflicts)
    # A new project is in no programme: a programme of itself alone.
    alone_value = programme_value(policy, alone(values, policy.initial_stage))
    choice = classify(policy, values, programme=alone_value)
    project = Project(
        key=key,
        name=name.strip(),
        policy_version_id=row.id,
        stage=policy.initial_stage,
        resume_stage=None,
        tier=choice.tier.id,
        facts=to_stored(values),
        manager_id=manager_user.id,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(project)
    uow.session.flush()
    if sponsor_user is not None:
        uow.session.add(
            RoleGrant(
                user_id=sponsor_user.id,
                role=SPONSOR,
                project_id=project.id,
                granted_by=actor.username,
                granted_at=uow.now,
                revoked_at=None,
            )
        )
    uow.record(
        actor.username,
        "project.registered",
        key,
        name=project.name,
        policy=row.ref,
        stage=project.stage,
        tier=choice.tier.id,
        tier_reason=choice.reason,
        facts=project.facts,
        manager=manager_user.username,
        sponsor=sponsor_user.username if sponsor_user else None,
    )
    pass_skipped_gates(uow, actor.username, project, policy, uow.workspace.lifecycle(row))
    return project


def _registration_problems(uow: UnitOfWork, key: str, name: str) -> dict[str, str]:
    problems = {}
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        problems["key"] = "use a prefix, a dash and a number, e.g. 'ERP-12'"
    elif uow.session.execute(select(Project.id).where(Project.key == key)).first():
        problems["key"] = f"'{key}' is already registered"
    name_problem = short_text_problem(name, missing="the project needs a name")
    if name_problem is not None:
        problems["name"] = name_problem
    return problems


@refusals_recorded
def update_facts(
    uow: UnitOfWork, actor: Actor, key: str, changes: Mapping[str, object], reason: str = ""
) -> TierChoice:
    """Change some facts; the project is re-tiered. Returns the tier chosen now.

    After the first gate, a change that needs a change request (gates.change_control) is
    refused (change.needs_request): it is proposed with change_requests.propose_change."""
    reason = long_text(reason, "reason")
    project = load_project(uow, key, for_update=True)
    require(authority_on(uow, actor.username, project), UPDATE_FACTS)
    change_control.refuse_while_open(uow, project, "update facts")
    policy = policy_of(uow, project)
    try:
        assessed = change_control.assess(uow, project, policy, changes)
    except Refused as error:
        raise Refused("update facts", error.refusals) from None
    if assessed.impact.needs_request:
        refusal = change_control.needs_request_refusal(key, policy, assessed.impact, changes)
        raise Refused("update facts", [refusal])
    values, old_facts, old_tier = assessed.values, project.facts, project.tier
    new_facts = assessed.facts
    choice = tier_in(policy, values, assessed.members, project)
    project.facts, project.tier, project.updated_at = new_facts, choice.tier.id, uow.now
    changed = {
        name: {"old": old_facts.get(name), "new": new_facts.get(name)}
        for name in sorted(old_facts.keys() | new_facts.keys())
        if old_facts.get(name) != new_facts.get(name)
    }
    uow.record(
        actor.username,
        "project.facts_updated",
        key,
        changed=changed,
        old_tier=old_tier,
        new_tier=choice.tier.id,
        tier_reason=choice.reason,
        reason=reason,
    )
    retier(uow, actor, assessed.impact.siblings, {"moved_by": key})
    refresh_snapshot(uow, actor.username, project, policy, "facts changed")
    if open_review(uow, project) is None:
        lifecycle = uow.workspace.lifecycle(project.policy_version)
        pass_skipped_gates(uow, actor.username, project, policy, lifecycle)
    return choice


def stored_facts(uow: UnitOfWork, project: Project) -> dict[str, object]:
    """The project's facts as typed values."""
    return dict(from_stored(policy_of(uow, project), project.facts))


@refusals_recorded
def hold(uow: UnitOfWork, actor: Actor, key: str, reason: str) -> Project:
    """Put a project on hold (sponsor or PMO); it resumes where it was."""
    return _move(uow, actor, key, "hold", reason, HOLD)


@refusals_recorded
def kill(uow: UnitOfWork, actor: Actor, key: str, reason: str) -> Project:
    """Stop a project for good (sponsor or PMO)."""
    return _move(uow, actor, key, "kill", reason, KILL)


@refusals_recorded
def resume(uow: UnitOfWork, actor: Actor, key: str, reason: str) -> Project:
    """Bring a project on hold back to the stage it was in."""
    project = load_project(uow, key, for_update=True)
    if project.stage != ON_HOLD or project.resume_stage is None:
        text = f"{key} is not on hold (it is in '{project.stage}')."
        raise Refused("resume", [Refusal("resume.not_on_hold", None, text)])
    return _move(uow, actor, key, f"resume_to_{project.resume_stage}", reason, RESUME, project)


def _move(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    trigger: str,
    reason: str,
    permission: Permission,
    project: Project | None = None,
) -> Project:
    reason = long_text(reason, "reason")
    project = project or load_project(uow, key, for_update=True)
    action = trigger.split("_to_")[0]
    require(authority_on(uow, actor.username, project), permission, action)
    refusals = []
    if not reason.strip():
        text = f"To {action} a project, give a reason."
        refusals.append(Refusal("move.reason_required", "reason", text))
    if project.stage == KILLED:
        text = f"{key} was killed; nothing can move it any more."
        refusals.append(Refusal("move.killed", None, text))
    lifecycle = uow.workspace.lifecycle(project.policy_version)
    old = project.stage
    new = lifecycle.fire(old, trigger, refusals, action)
    project.resume_stage = old if new == ON_HOLD else None
    project.stage, project.updated_at = new, uow.now
    withdrawn = _withdraw_open_review(uow, project, reason) if new == KILLED else None
    uow.record(
        actor.username,
        f"project.{action}",
        key,
        old_stage=old,
        new_stage=new,
        reason=reason,
        withdrawn_review=withdrawn,
    )
    if action == "resume":
        pass_skipped_gates(uow, actor.username, project, policy_of(uow, project), lifecycle)
    return project


def _withdraw_open_review(uow: UnitOfWork, project: Project, reason: str) -> int | None:
    """A killed project's open review is withdrawn: nobody may sign or decide it any more."""
    review = open_review(uow, project, for_update=True)
    if review is None:
        return None
    review.state = uow.workspace.reviews.fire(review.state, "withdraw", [], "withdraw")
    review.reason = f"The project was killed: {reason.strip()}"
    close_pending(uow, review)
    return review.round
