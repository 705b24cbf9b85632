"""A project's programme as a change reads it, and re-tiering the projects a change moves.

Shared by update_facts, the change request verbs and the programme verbs: what the
programme's projects add up to now (gates.programmes.Members), its other projects locked (a
change re-tiers them under the same transaction), and the tier moves applied, one
`project.retiered` event per project moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from gates.change_control import under_change_control
from gates.decisions import ON_HOLD
from gates.programmes import (
    Members,
    Sibling,
    TierMove,
    joined,
    member_stage,
    programme_value,
)
from gates.tiering import TierChoice, classify
from policies.model import FactValue, Policy
from workflows.facts import from_stored
from workflows.identity import Actor
from workflows.pending import refresh_pending
from workflows.state import load_project, policy_of, refresh_snapshot
from workflows.store.records import Programme, Project
from workflows.store.uow import UnitOfWork

RETIERED = "project.retiered"

_MEMBERS = (
    select(Project).where(Project.programme_id == bindparam("programme_id")).order_by(Project.id)
)
_MEMBERS_LOCKED = _MEMBERS.with_for_update(of=Project)


@dataclass(frozen=True)
class Standing:
    """A project's programme now: the record (None: in no programme), its projects (the
    project itself included) as the rules read them, and the others as records."""

    programme: Programme | None
    members: Members
    others: tuple[Project, ...]

    def siblings(self, uow: UnitOfWork) -> list[Sibling]:
        """The other projects as gates.programmes reads them (killed ones are left as they
        were: their tier no longer governs anything)."""
        return [sibling_of(uow, p) for p in self.others if member_stage(p.stage, None)]


def rules_stage(project: Project) -> str:
    """The stage the rules read: a project on hold is asked about the stage it resumes to."""
    return project.resume_stage or project.stage if project.stage == ON_HOLD else project.stage


def sibling_of(uow: UnitOfWork, project: Project) -> Sibling:
    """`project` as another project of a programme, read by a change."""
    policy = policy_of(uow, project)
    return Sibling(
        project.key,
        policy,
        from_stored(policy, project.facts),
        project.tier,
        member_stage(project.stage, project.resume_stage),
        under_change_control(policy, rules_stage(project)),
    )


def members_of(
    uow: UnitOfWork, programme: Programme | None, projects: Iterable[Project]
) -> Members:
    """What `projects` (a programme's, or one project alone) add up to, each fact read by the
    policy its project is pinned to."""
    members = Members(programme.key if programme else "", 0)
    for project in projects:
        facts = from_stored(policy_of(uow, project), project.facts)
        members = joined(members, facts, member_stage(project.stage, project.resume_stage))
    return members


def standing(
    uow: UnitOfWork, project: Project, programme_id: int | None = None, *, lock: bool = True
) -> Standing:
    """The programme `programme_id` (default: the project's own) with its projects locked
    (unless not `lock`: for a page), as `project` would stand in it: the project counted
    once, whether or not it is in it."""
    wanted = programme_id if programme_id is not None else project.programme_id
    if wanted is None:
        return Standing(None, members_of(uow, None, [project]), ())
    record = uow.session.get(Programme, wanted)
    query = _MEMBERS_LOCKED if lock else _MEMBERS
    found = uow.session.execute(query, {"programme_id": wanted}).unique().scalars().all()
    others = tuple(p for p in found if p.id != project.id)
    return Standing(record, members_of(uow, record, [*others, project]), others)


def tier_in(
    policy: Policy, facts: Mapping[str, FactValue], members: Members, project: Project
) -> TierChoice:
    """The tier of `project`, with these facts, in a programme that adds up to `members`."""
    stage = member_stage(project.stage, project.resume_stage)
    return classify(policy, facts, programme=programme_value(policy, members, stage))


def retier(
    uow: UnitOfWork, actor: Actor, moves: Iterable[TierMove], cause: Mapping[str, object]
) -> None:
    """Move each project of `moves` to its new tier: its row, one `project.retiered` event
    saying why (`cause`: the project and change that moved it), its open review's snapshot
    and its pending sign-offs."""
    for move in moves:
        project = load_project(uow, move.key, for_update=True)
        old = project.tier
        if old == move.new_tier:
            continue
        project.tier, project.updated_at = move.new_tier, uow.now
        uow.record(
            actor.username,
            RETIERED,
            project.key,
            old_tier=old,
            new_tier=move.new_tier,
            tier_reason=move.reason,
            **cause,
        )
        policy = policy_of(uow, project)
        refresh_snapshot(uow, actor.username, project, policy, f"re-tiered: {move.reason}")
        refresh_pending(uow, project.id)
