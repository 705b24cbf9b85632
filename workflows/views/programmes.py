"""Programmes as pages and commands show them: the programme, its projects and what they add
up to (the totals its policies' tier rules and criteria read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from gates.authority import SEE_PROGRAMME, authority
from gates.tiering import TierChoice
from workflows.authority import person_on_programme
from workflows.errors import Refused
from workflows.facts import from_stored
from workflows.identity import Actor
from workflows.programmes import members_of, standing, tier_in
from workflows.refusal_log import refusals_recorded
from workflows.state import policy_of
from workflows.store.records import Programme, Project
from workflows.store.uow import UnitOfWork
from workflows.verbs.programmes import load_programme


@dataclass(frozen=True)
class MemberLine:
    """One project of a programme, as its list shows it."""

    key: str
    name: str
    stage: str
    tier: str


@dataclass(frozen=True)
class ProgrammeSummary:
    """A programme, its projects and what they add up to."""

    key: str
    name: str
    sponsor: str
    created_by: str
    created_at: datetime
    projects: tuple[MemberLine, ...]
    totals: dict[str, Decimal]


def summary(uow: UnitOfWork, programme: Programme) -> ProgrammeSummary:
    """The programme with its projects, in key order, and their totals."""
    query = select(Project).where(Project.programme_id == programme.id).order_by(Project.key)
    projects = uow.session.execute(query).unique().scalars().all()
    members = members_of(uow, programme, projects)
    return ProgrammeSummary(
        programme.key,
        programme.name,
        programme.sponsor.username,
        programme.created_by,
        programme.created_at,
        tuple(MemberLine(p.key, p.name, p.stage, p.tier) for p in projects),
        dict(sorted(members.totals.items())),
    )


@refusals_recorded
def programme_summary(uow: UnitOfWork, actor: Actor, key: str) -> ProgrammeSummary:
    """Programme `key` as the PMO, auditors, admins and its sponsor see it; raises NotFound
    or Refused."""
    programme = load_programme(uow, key)
    person = person_on_programme(uow, actor.username, programme)
    refusals = authority(person).refusals(SEE_PROGRAMME)
    if refusals:
        raise Refused("see the programme", refusals)
    return summary(uow, programme)


def programmes(uow: UnitOfWork) -> list[Programme]:
    """Every programme, by key."""
    return list(uow.session.execute(select(Programme).order_by(Programme.key)).scalars())


def programme_of(uow: UnitOfWork, project: Project) -> ProgrammeSummary | None:
    """The programme of a project, shown on its page to whoever may see the project."""
    if project.programme_id is None:
        return None
    programme = uow.session.get(Programme, project.programme_id)
    return summary(uow, programme) if programme is not None else None


def tier_of(uow: UnitOfWork, project: Project) -> TierChoice:
    """The tier the project's facts and programme choose under its policy, and why."""
    policy = policy_of(uow, project)
    members = standing(uow, project, lock=False).members
    return tier_in(policy, from_stored(policy, project.facts), members, project)
