"""`lockgate change list|show|approve|reject|withdraw`: change requests on project facts
(proposed with `lockgate project change`)."""

from __future__ import annotations

import json
from typing import Any

import click

from web.cli.shared import acting, say, show_table, workspace
from workflows.identity import Actor
from workflows.verbs import change_requests as verbs
from workflows.views import change_requests as views


@click.group("change")
def change_group() -> None:
    """Change requests on project facts: list, show, approve, reject, withdraw."""


@change_group.command("list")
@acting
@click.argument("key", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def change_list(actor: Actor, key: str | None, as_json: bool) -> None:
    """The change requests of project KEY, or every open one you may see."""
    with workspace().unit_of_work(read_only=True) as uow:
        lines = views.change_requests(uow, actor, key)
    if as_json:
        click.echo(json.dumps([line.as_json() for line in lines], indent=2))
        return
    rows = [
        [
            line.id,
            line.project,
            line.status,
            line.proposed_by,
            _facts(line.changes),
            f"{line.impact.get('old_tier')} -> {line.impact.get('new_tier')}",
            ", ".join(line.waiting_for) or "-",
        ]
        for line in lines
    ]
    show_table(["ID", "PROJECT", "STATUS", "PROPOSED BY", "CHANGES", "TIER", "WAITING FOR"], rows)
    say(f"{len(rows)} change request(s)")


def _facts(changes: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in changes.items())


@change_group.command("show")
@acting
@click.argument("change_id", type=int)
def change_show(actor: Actor, change_id: int) -> None:
    """Show change request CHANGE_ID: the changes, why, their impact and its approvals."""
    with workspace().unit_of_work(read_only=True) as uow:
        page = views.change_request(uow, actor, change_id)
    print_change(page.line)


def print_change(line: views.ChangeLine) -> None:
    """A change request in words."""
    say(f"change request {line.id} on {line.project}: {line.status}")
    say(f"proposed by {line.proposed_by} at {line.proposed_at:%Y-%m-%d %H:%M} UTC: {line.reason}")
    say(f"changes: {_facts(line.changes)}")
    if line.membership is not None:
        found = line.membership
        say(f"programme: {found['from'] or 'none'} -> {found['to'] or 'none'}")
    print_impact(line.impact)
    for role, approver in line.approvals.items():
        say(f"approved as {role} by {approver}")
    if line.waiting_for:
        say(f"waiting for: {', '.join(line.waiting_for)}")
    if line.closed_by:
        say(
            f"{line.status} by {line.closed_by}"
            + (f": {line.close_reason}" if line.close_reason else "")
        )


def print_impact(impact: dict[str, Any]) -> None:
    """The impact of a change: tier, requirements added and dropped, money moved."""
    say(f"tier: {impact['old_tier']} -> {impact['new_tier']}")
    for title, key in (("no longer required", "dropped"), ("newly required", "added")):
        for requirement in impact.get(key, []):
            say(f"  {title}: {requirement['title']} ({requirement['gate']})")
    for move in impact.get("money", []):
        say(f"  {move}")
    for moved in impact.get("siblings", []):
        say(f"  same programme: {moved['project']} {moved['old_tier']} -> {moved['new_tier']}")
    needs = (
        "needs an approved change request"
        if impact.get("needs_request")
        else ("needs no change request")
    )
    say(f"this change {needs}")


@change_group.command("approve")
@acting
@click.argument("change_id", type=int)
@click.option("--role", help="The approver role you approve as (default: the one you hold).")
@click.option("--comment", default="", help="A comment, kept with the approval.")
def change_approve(actor: Actor, change_id: int, role: str | None, comment: str) -> None:
    """Approve change request CHANGE_ID as one approver role; the last approval applies it."""
    with workspace().unit_of_work() as uow:
        record = verbs.approve_change(uow, actor, change_id, role, comment)
        uow.commit()
        status, key, tier = record.status, record.project.key, record.project.tier
    if status == "applied":
        say(f"change request {change_id} is approved and applied: {key} is now tier {tier}")
    else:
        say(f"change request {change_id}: your approval is recorded")


@change_group.command("reject")
@acting
@click.argument("change_id", type=int)
@click.option("--reason", required=True, help="Why (recorded in the audit trail).")
def change_reject(actor: Actor, change_id: int, reason: str) -> None:
    """Reject change request CHANGE_ID, saying why; the facts stay as they are."""
    with workspace().unit_of_work() as uow:
        verbs.reject_change(uow, actor, change_id, reason)
        uow.commit()
    say(f"change request {change_id} is rejected")


@change_group.command("withdraw")
@acting
@click.argument("change_id", type=int)
@click.option("--reason", default="", help="Why (recorded in the audit trail).")
def change_withdraw(actor: Actor, change_id: int, reason: str) -> None:
    """Withdraw change request CHANGE_ID (its proposer); the facts stay as they are."""
    with workspace().unit_of_work() as uow:
        verbs.withdraw_change(uow, actor, change_id, reason)
        uow.commit()
    say(f"change request {change_id} is withdrawn")
