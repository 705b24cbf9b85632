"""Moving a project to a newer version of its policy: an explicit, audited action with a preview."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from gates.authority import MIGRATE, authority
from gates.decisions import KILLED, ON_HOLD, next_gate
from gates.readiness import Readiness, Status
from policies.diff import Change, diff_policies
from policies.model import Policy
from workflows.authority import person_on
from workflows.errors import InvalidInput, LockgateError, Refused
from workflows.facts import checked_facts
from workflows.identity import Actor
from workflows.inputs import long_text
from workflows.pending import refresh_pending
from workflows.programmes import standing, tier_in
from workflows.refusal_log import refusals_recorded
from workflows.skipping import pass_skipped_gates
from workflows.state import current_readiness, load_project, open_review, require
from workflows.store.records import PolicyVersion, Project
from workflows.store.uow import UnitOfWork
from workflows.verbs import publishing
from workflows.views.paging import Cursor, Page, keyset, page_of
from workflows.workspace import Workspace


@dataclass(frozen=True)
class MigrationPreview:
    """What moving a project to another policy version would change."""

    project_key: str
    old: str
    new: str
    changes: list[Change]
    old_tier: str
    new_tier: str
    next_gate_before: Readiness | None
    next_gate_after: Readiness | None
    refusals: list[str]


def preview_migration(uow: UnitOfWork, key: str, number: int) -> MigrationPreview:
    """The impact of moving project `key` to version `number` of its policy."""
    project = load_project(uow, key)
    new_row = publishing.version(uow, project.policy_version.policy_id, number)
    return preview_against(uow, project, uow.workspace.policy(new_row))


def preview_against(uow: UnitOfWork, project: Project, new: Policy) -> MigrationPreview:
    """The impact of moving `project` to the policy `new`, published or only proposed."""
    key, old_row = project.key, project.policy_version
    old = uow.workspace.policy(old_row)
    refusals = []
    if new.version <= old_row.version:
        refusals.append(f"{key} is on {old_row.ref}; it can only move to a newer version.")
    if project.stage not in (*new.stages, ON_HOLD, KILLED):
        refusals.append(f"{new.ref} has no stage '{project.stage}'.")
    if project.resume_stage is not None and project.resume_stage not in new.stages:
        refusals.append(
            f"{new.ref} has no stage '{project.resume_stage}', where {key} "
            "resumes after its hold: resume it first."
        )
    if open_review(uow, project) is not None:
        refusals.append("A review is open: decide or withdraw it before moving the project.")
    try:
        values = checked_facts(new, project.facts)
        members = standing(uow, project, lock=False).members
        new_tier = tier_in(new, values, members, project).tier.id
    except InvalidInput as error:
        refusals.append(str(error))
        new_tier = project.tier
    before = current_readiness(uow, project, old)
    after = None
    if not refusals and next_gate(new, project.stage) is not None:
        after = current_readiness(uow, project, new, tier=new_tier)
    return MigrationPreview(
        key,
        old_row.ref,
        new.ref,
        diff_policies(old, new),
        project.tier,
        new_tier,
        before,
        after,
        refusals,
    )


@refusals_recorded
def migrate(uow: UnitOfWork, actor: Actor, key: str, number: int, reason: str) -> Project:
    """Move project `key` to version `number` of its policy (PMO); audited with the impact."""
    reason = long_text(reason, "reason")
    granted = authority(person_on(uow, actor.username, None))
    require(granted, MIGRATE, "move a project to another policy version")
    preview = preview_migration(uow, key, number)
    refusals = list(preview.refusals)
    if not reason.strip():
        refusals.append("Give a reason for moving the project.")
    if refusals:
        raise Refused("move the project to another policy version", refusals)
    project = load_project(uow, key, for_update=True)
    project.policy_version_id = publishing.version(uow, project.policy_version.policy_id, number).id
    project.tier, project.updated_at = preview.new_tier, uow.now
    uow.record(
        actor.username,
        "project.policy_migrated",
        key,
        old_policy=preview.old,
        new_policy=preview.new,
        old_tier=preview.old_tier,
        new_tier=preview.new_tier,
        changes=[str(c) for c in preview.changes],
        reason=reason,
    )
    uow.session.flush()
    uow.session.expire(project, ["policy_version"])
    # No review is open (a migration refuses then), but what waits is the policy's to say.
    refresh_pending(uow, project.id)
    policy = uow.workspace.policy(project.policy_version)
    lifecycle = uow.workspace.lifecycle(project.policy_version)
    pass_skipped_gates(uow, actor.username, project, policy, lifecycle)
    return project


@dataclass(frozen=True)
class Impact:
    """What a policy version would change for one in-flight project on an older version."""

    preview: MigrationPreview
    stage: str
    added: list[str]  # requirements of its next gate that would newly apply
    dropped: list[str]  # requirements of its next gate that would no longer apply


def _in_flight_query(policy: Policy) -> Select[Project]:
    return (
        select(Project)
        .join(PolicyVersion, Project.policy_version_id == PolicyVersion.id)
        .where(
            PolicyVersion.policy_id == policy.id,
            PolicyVersion.version < policy.version,
            Project.stage.not_in((KILLED, policy.stages[-1])),
        )
    )


def in_flight(uow: UnitOfWork, policy: Policy) -> list[Project]:
    """The projects on an older version of `policy`'s id that still move: not killed and not
    past the final stage, by key."""
    query = _in_flight_query(policy).order_by(Project.key)
    return list(uow.session.execute(query).scalars())


@refusals_recorded
def impact(uow: UnitOfWork, actor: Actor, policy: Policy) -> list[Impact]:
    """For each in-flight project on an older version of `policy` (proposed or published):
    its tier before and after, the requirements of its next gate added and dropped, and why
    it could not move now (the PMO; reads only)."""
    require(authority(person_on(uow, actor.username, None)), MIGRATE, "see a policy's impact")
    return [_impact_on(uow, project, policy) for project in in_flight(uow, policy)]


@dataclass(frozen=True)
class ImpactPage:
    """One page of a version's impact, by project key, and how many projects are in flight."""

    page: Page[Impact, str]
    in_flight: int


IMPACT_PAGE_SIZE = 50


@refusals_recorded
def impact_page(
    uow: UnitOfWork,
    actor: Actor,
    policy: Policy,
    cursor: Cursor[str] | None = None,
    size: int = IMPACT_PAGE_SIZE,
) -> ImpactPage:
    """One page of `impact`, read by key: each project's preview costs a few statements, so
    a page (not thousands of projects) is what a request works out."""
    require(authority(person_on(uow, actor.username, None)), MIGRATE, "see a policy's impact")
    cursor = cursor or Cursor()
    query = keyset(_in_flight_query(policy), Project.key, cursor, size, descending=False)
    projects = list(uow.session.execute(query).scalars())
    found = page_of(projects, cursor, size, key=lambda p: p.key)
    total = uow.session.execute(
        select(func.count()).select_from(_in_flight_query(policy).subquery())
    ).scalar_one()
    rows = [_impact_on(uow, project, policy) for project in found.rows]
    return ImpactPage(Page(rows, found.previous, found.next), total)


def each_impact(
    workspace: Workspace, actor: Actor, policy: Policy, size: int = 500
) -> Iterator[Impact]:
    """The whole impact of `policy`, by project key, a page at a time, each page read in its
    own unit of work: memory stays that of one page whatever the number of projects."""
    cursor: Cursor[str] = Cursor()
    while True:
        with workspace.unit_of_work(read_only=True) as uow:
            found = impact_page(uow, actor, policy, cursor, size)
        yield from found.page.rows
        if found.page.next is None:
            return
        cursor = Cursor(after=found.page.next)


def _impact_on(uow: UnitOfWork, project: Project, policy: Policy) -> Impact:
    preview = preview_against(uow, project, policy)
    before = _applying(preview.next_gate_before)
    after = _applying(preview.next_gate_after)
    added = [title for key, title in after.items() if key not in before]
    dropped = [title for key, title in before.items() if key not in after]
    return Impact(preview, project.stage, added, dropped)


@dataclass(frozen=True)
class Moved:
    """One project of a move of many: moved, or left as it was and why."""

    key: str
    ref: str | None  # the version it is on now, when it moved
    error: LockgateError | None


def migrate_each(
    workspace: Workspace, actor: Actor, keys: Iterable[str], number: int, reason: str
) -> Iterator[Moved]:
    """Move each of `keys` to version `number` of its policy, each in its own transaction with
    its own audit event (`migrate`); one that cannot move is reported with why and left as it
    was, and the others still move. Yields as it goes, for a list of thousands."""
    for key in dict.fromkeys(keys):
        try:
            with workspace.unit_of_work() as uow:
                moved = migrate(uow, actor, key, number, reason)
                uow.commit()
                yield Moved(key, moved.policy_version.ref, None)
        except LockgateError as error:
            yield Moved(key, None, error)


def _applying(report: Readiness | None) -> dict[str, str]:
    """The requirements of a report that apply to the project, by key: their titles."""
    if report is None:
        return {}
    return {
        line.key: line.title for line in report.lines if line.status is not Status.NOT_APPLICABLE
    }
