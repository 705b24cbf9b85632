"""`lockgate programme create|add|remove|show|list`."""

from __future__ import annotations

import click

from web.cli.shared import acting, say, show_table, workspace
from workflows.identity import Actor
from workflows.verbs import programmes
from workflows.verbs.programmes import Membership


@click.group("programme")
def programme_group() -> None:
    """Programmes: create one, move projects in and out, show its projects and totals."""


@programme_group.command("create")
@acting
@click.argument("key")
@click.argument("name")
@click.option("--sponsor", required=True, help="The programme's sponsor (a username).")
def programme_create(actor: Actor, key: str, name: str, sponsor: str) -> None:
    """Create programme KEY named NAME, with its sponsor (the PMO)."""
    with workspace().unit_of_work() as uow:
        programmes.create_programme(uow, actor, key, name, sponsor)
        uow.commit()
    say(f"created programme {key}, sponsored by {sponsor}")


@programme_group.command("add")
@acting
@click.argument("key")
@click.argument("project")
@click.option("--reason", required=True, help="Why the project joins (on the trail).")
@click.option("--propose", is_flag=True, help="As a change request (needed where it re-tiers "
              "a project past its first gate).")  # fmt: skip
def programme_add(actor: Actor, key: str, project: str, reason: str, propose: bool) -> None:
    """Move PROJECT into programme KEY (the PMO); every project it re-tiers is shown."""
    with workspace().unit_of_work() as uow:
        moved = programmes.add_project(uow, actor, key, project, reason, propose=propose)
        uow.commit()
        _report(moved, f"{project} is now in {key}")


@programme_group.command("remove")
@acting
@click.argument("project")
@click.option("--reason", required=True, help="Why the project leaves (on the trail).")
@click.option("--propose", is_flag=True, help="As a change request.")
def programme_remove(actor: Actor, project: str, reason: str, propose: bool) -> None:
    """Take PROJECT out of its programme (the PMO); every project it re-tiers is shown."""
    with workspace().unit_of_work() as uow:
        moved = programmes.remove_project(uow, actor, project, reason, propose=propose)
        uow.commit()
        _report(moved, f"{project} is in no programme now")


def _report(moved: Membership, done: str) -> None:
    for move in moved.moves:
        say(f"  {move}: {move.reason}")
    if moved.change is not None:
        number = moved.change.id
        say(f"proposed change request {number}: `lockgate change show {number}`")
    else:
        say(done)


@programme_group.command("show")
@acting
@click.argument("key")
def programme_show(actor: Actor, key: str) -> None:
    """Show programme KEY: its sponsor, its projects and their totals."""
    from workflows.views.programmes import programme_summary

    with workspace().unit_of_work(read_only=True) as uow:
        found = programme_summary(uow, actor, key)
    say(f"{found.key}  {found.name}  (sponsor {found.sponsor})")
    show_table(
        ["PROJECT", "NAME", "STAGE", "TIER"],
        [[p.key, p.name[:40], p.stage, p.tier] for p in found.projects],
    )
    totals = ", ".join(f"total_{fact} {amount:,.2f}" for fact, amount in found.totals.items())
    say(f"programme.projects {len(found.projects)}" + (f", {totals}" if totals else ""))


@programme_group.command("list")
@acting
def programme_list(actor: Actor) -> None:
    """List the programmes with their sponsor and how many projects each has (the PMO,
    auditors and admins)."""
    from gates.authority import SEE_PROGRAMMES
    from workflows.verbs.users import require_permission
    from workflows.views.programmes import programmes as every
    from workflows.views.programmes import summary

    with workspace().unit_of_work(read_only=True) as uow:
        require_permission(uow, actor, SEE_PROGRAMMES, "list programmes")
        rows = [[s.key, s.name[:40], s.sponsor, len(s.projects)]
                for s in (summary(uow, p) for p in every(uow))]  # fmt: skip
    show_table(["KEY", "NAME", "SPONSOR", "PROJECTS"], rows)
