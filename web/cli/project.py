"""`lockgate project list|register|show|change|hold|resume|kill`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import click

from web.cli.gate import print_gate_status
from web.cli.shared import acting, parse_pairs, say, show_table, workspace
from workflows.identity import Actor
from workflows.state import load_project, policy_of
from workflows.store.records import Project
from workflows.store.uow import UnitOfWork
from workflows.verbs import change_requests, projects
from workflows.views.portfolio import project_summaries
from workflows.views.projects import fact_cells
from workflows.views.triggered import reviews_ahead


@click.group("project")
def project_group() -> None:
    """Register, list and show projects; hold, resume, kill; change facts; move versions."""


@project_group.command("list")
@click.option("--stage", help="Only projects in this stage.")
@click.option("--tier", help="Only projects of this tier.")
def project_list(stage: str | None, tier: str | None) -> None:
    """List projects with their stage, tier and next gate."""
    with workspace().unit_of_work(read_only=True) as uow:
        rows = [
            [s.key, s.name[:40], s.policy, s.stage, s.tier, s.manager, s.next_gate or "-"]
            for s in project_summaries(uow, stage=stage, tier=tier)
        ]
    show_table(["KEY", "NAME", "POLICY", "STAGE", "TIER", "MANAGER", "NEXT GATE"], rows)
    say(f"{len(rows)} project(s)")


@project_group.command("register")
@acting
@click.argument("key")
@click.argument("name")
@click.option("--policy", "policy_id", default="standard", show_default=True)
@click.option("--fact", "facts", multiple=True, metavar="NAME=VALUE")
@click.option("--manager", help="The project manager (default: you).")
@click.option("--sponsor", help="The sponsor.")
def project_register(
    actor: Actor,
    key: str,
    name: str,
    policy_id: str,
    facts: tuple[str, ...],
    manager: str | None,
    sponsor: str | None,
) -> None:
    """Register project KEY named NAME under the latest version of a policy."""
    with workspace().unit_of_work() as uow:
        project = projects.register_project(
            uow, actor, key, name, policy_id, parse_pairs(facts, "--fact"), manager, sponsor
        )
        uow.commit()
        say(
            f"registered {project.key} under {project.policy_version.ref}: "
            f"stage {project.stage}, tier {project.tier}"
        )


@project_group.command("show")
@acting
@click.argument("key")
@click.option(
    "--as-of",
    "as_of",
    metavar="TIME",
    help="Show the project as it was then, rebuilt from the audit trail "
    "(2026-06-30T12:00Z; a date alone means its end, UTC).",
)
def project_show(actor: Actor, key: str, as_of: str | None) -> None:
    """Show a project: facts, tier, stage, and its next gate's checklist; or, with --as-of,
    as it was at a moment: stage, facts, evidence, reviews, signatures, conditions, waivers."""
    if as_of is not None:
        _show_as_of(actor, key, parse_moment(as_of))
        return
    with workspace().unit_of_work(read_only=True) as uow:
        project = load_project(uow, key)
        say(f"{project.key}  {project.name}")
        say(
            f"policy {project.policy_version.ref}, stage {project.stage}, "
            f"tier {project.tier}, manager {project.manager.username}"
        )
        _show_programme(uow, project)
        facts = fact_cells(policy_of(uow, project), project)
        show_table(["FACT", "VALUE"], [[k, v] for k, v in facts])
        print_gate_status(uow, actor, key, None)
        ahead = reviews_ahead(uow, project, policy_of(uow, project), uow.now.date())
        if ahead:
            say("Reviews ahead (owed before the next gate, due, coming):")
            show_table(
                ["REVIEW", "GATE", "ON", "WHY"],
                [(r.state, r.gate, r.on.isoformat(), r.why) for r in ahead],
            )


def _show_programme(uow: UnitOfWork, project: Project) -> None:
    from workflows.views.programmes import programme_of

    found = programme_of(uow, project)
    if found is not None:
        others = ", ".join(f"{p.key} ({p.tier})" for p in found.projects if p.key != project.key)
        say(f"programme {found.key} ({found.name}); its other projects: {others or 'none'}")


def parse_moment(text: str, hint: str = "--as-of", day_starts: bool = False) -> datetime:
    """A moment typed on the command line: an ISO time (Z or an offset; none means UTC) or a
    date (its end, UTC; with `day_starts`, its start). A usage error says how to write one."""
    value = text.strip()
    try:
        if len(value) == 10:
            when = time.min if day_starts else time.max
            return datetime.combine(date.fromisoformat(value), when, UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            "write a time like 2026-06-30T12:00Z, or a date like 2026-06-30", param_hint=hint
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _show_as_of(actor: Actor, key: str, moment: datetime) -> None:
    from workflows.views.history import project_as_of

    with workspace().unit_of_work(read_only=True) as uow:
        seen = project_as_of(uow, actor, key, moment)
    when = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if not seen.registered:
        say(f"{key} was not registered yet at {when}.")
        return
    say(f"{key}  {seen.name}  as of {when} (rebuilt from {seen.events} audit events)")
    say(f"policy {seen.policy}, stage {seen.stage}, tier {seen.tier}")
    if seen.programme:
        say(f"programme {seen.programme}")
    show_table(["FACT", "VALUE"], [[k, v] for k, v in seen.facts.items()])
    show_table(
        ["EVIDENCE", "VERSION", "DIGEST", "ATTACHED"],
        [
            [a, e.version, (e.digest or "")[:12], f"{e.at} by {e.by}"]
            for a, e in seen.evidence.items()
        ],
    )
    for found in seen.rounds:
        decided = f", {found.decision} by {found.decided_by}" if found.decision else ""
        say(f"review {found.gate} round {found.round}: {found.state}{decided}")
        for sig in found.signatures:
            behalf = f" for {sig.on_behalf_of}" if sig.on_behalf_of else ""
            gone = " (superseded)" if sig.superseded else ""
            say(f"  {sig.signer}{behalf} as {sig.role}: {sig.decision} at {sig.at}{gone}")
        for cast in found.votes:
            say(f"  vote by {cast.voter}: {cast.decision} at {cast.at}")
        if found.assurance is not None:
            rated = found.assurance
            say(f"  assurance by {rated.reviewer}: {rated.rating} ({rated.scale}) at {rated.at}")
            for item in rated.recommendations:
                say(f"    {item['urgency']}, {item['owner']}: {item['action']}")
    for condition in seen.conditions:
        state = f"closed by {condition.closed_by}" if condition.closed_at else "open"
        owner = f"{condition.owner}, due {condition.due}"
        say(f"condition ({condition.gate}): {condition.action}; {owner}; {state}")
    for waiver in seen.waivers.values():
        say(f"waiver {waiver.id} of {waiver.requirement} ({waiver.gate}): {waiver.status}")
    for opened in seen.triggered.values():
        say(f"triggered review of {opened.gate} ({opened.kind}, {opened.cause}): due "
            f"{opened.due_on}, opened {opened.opened_at}")  # fmt: skip
    for change in seen.changes.values():
        asked = ", ".join(f"{name} = {value}" for name, value in change.changes.items())
        closed = f" by {change.closed_by}" if change.closed_by else ""
        approved = ", ".join(f"{who} as {role}" for role, who in change.approvals)
        approvals = f"; approved by {approved}" if approved else ""
        say(f"change request {change.id} by {change.proposed_by} ({asked}): "
            f"{change.status}{closed}{approvals}")  # fmt: skip
    for override in seen.overrides.values():
        answered = f" by {override.answered_by}" if override.answered_by else ""
        say(f"override {override.id} of {override.gate} round {override.round}, asked by "
            f"{override.requested_by}: {override.state}{answered}")  # fmt: skip


@project_group.command("change")
@acting
@click.argument("key")
@click.option("--set", "sets", multiple=True, required=True, metavar="NAME=VALUE")
@click.option("--reason", required=True, help="Why the facts change (kept with the request).")
def project_change(actor: Actor, key: str, sets: tuple[str, ...], reason: str) -> None:
    """Propose changing facts of KEY: shows the impact, then opens a change request."""
    from web.cli.change import print_impact

    changes = parse_pairs(sets, "--set")
    with workspace().unit_of_work() as uow:
        proposal = change_requests.propose_change(uow, actor, key, changes, reason)
        uow.commit()
        change_id, impact = proposal.record.id, proposal.record.impact
    print_impact(impact)
    say(f"proposed change request {change_id}: `lockgate change show {change_id}`")


def _move_command(name: str, verb_name: str, help_text: str) -> None:
    @project_group.command(name, help=help_text)
    @acting
    @click.argument("key")
    @click.option("--reason", required=True, help="Why (recorded in the audit trail).")
    def move(actor: Actor, key: str, reason: str) -> None:
        with workspace().unit_of_work() as uow:
            project = getattr(projects, verb_name)(uow, actor, key, reason)
            uow.commit()
            say(f"{project.key} is now {project.stage.replace('_', ' ')}")


_move_command("hold", "hold", "Put PROJECT on hold (sponsor or PMO); it resumes where it was.")
_move_command(
    "resume", "resume", "Resume PROJECT from hold to the stage it was in (sponsor or PMO)."
)
_move_command(
    "kill",
    "kill",
    "Stop PROJECT for good (sponsor or PMO, never its manager); its open review is withdrawn.",
)


@project_group.command("migrate")
@acting
@click.argument("keys", nargs=-1)
@click.option("--to", "version", type=int, required=True, help="The policy version to move to.")
@click.option("--all-on", "all_on", metavar="POLICY@VERSION", help="Every in-flight project on it.")
@click.option("--reason", required=True, help="Why, recorded with each move.")
def migrate_many(
    actor: Actor, keys: tuple[str, ...], version: int, all_on: str | None, reason: str
) -> None:
    """Move projects (KEYS, or --all-on a version) to version VERSION of their policy (PMO).

    Each project moves in its own transaction with its own audit event; one that cannot move
    is reported with why and left as it was. Exit 1 when any could not move."""
    from workflows.verbs import migration, publishing

    ws = workspace()
    if all_on is not None:
        policy_id, _, number = all_on.partition("@")
        if not number.isdigit():
            raise click.BadParameter("write POLICY@VERSION, e.g. standard@1", param_hint="--all-on")
        with ws.unit_of_work(read_only=True) as uow:
            old = publishing.version(uow, policy_id, int(number))
            target = uow.workspace.policy(publishing.version(uow, policy_id, version))
            keys = (*keys, *(p.key for p in migration.in_flight(uow, target)
                              if p.policy_version_id == old.id))  # fmt: skip
    if not keys:
        raise click.UsageError("name the projects to move, or --all-on POLICY@VERSION")
    moved = failed = 0
    for outcome in migration.migrate_each(ws, actor, keys, version, reason):
        if outcome.error is None:
            moved += 1
            say(f"moved {outcome.key} to {outcome.ref}")
        else:
            failed += 1
            say(f"{outcome.key} not moved: {outcome.error}")
    say(f"{moved} moved, {failed} not moved")
    if failed:
        raise SystemExit(1)
