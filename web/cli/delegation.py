"""`lockgate delegation create|list|revoke`: pass your own authority to a colleague for a while."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

import click

from web.cli.shared import acting, say, show_table, workspace
from workflows.errors import InvalidInput
from workflows.identity import Actor
from workflows.state import load_project
from workflows.store.records import Delegation
from workflows.verbs import users

DAY = click.DateTime(["%Y-%m-%d"])


@click.group("delegation")
def delegation_group() -> None:
    """Delegations: pass a role you hold to a colleague for a period, list, revoke."""


@delegation_group.command("create")
@acting
@click.option("--to", "delegate", required=True, metavar="USER", help="Who acts for you.")
@click.option("--role", required=True, help="A role you hold yourself (sponsor, finance, ...).")
@click.option("--project", "key", help="Only on this project (default: wherever you hold it).")
@click.option("--until", type=DAY, required=True, help="Last day (UTC) it counts, inclusive.")
@click.option("--from", "start", type=DAY, help="First day (UTC) it counts (default: now).")
@click.option("--budget-limit", help="Only on projects whose budget is at most this amount.")
@click.option("--reason", default="", help="Why (leave, audit season, ...).")
def create(
    actor: Actor,
    delegate: str,
    role: str,
    key: str | None,
    until: datetime,
    start: datetime | None,
    budget_limit: str | None,
    reason: str,
) -> None:
    """Delegate ROLE to another user for a period (at most 365 days)."""
    limit = _amount(budget_limit)
    ends_at = until.replace(tzinfo=UTC) + timedelta(days=1)
    with workspace().unit_of_work() as uow:
        starts_at = start.replace(tzinfo=UTC) if start else uow.now
        project = load_project(uow, key) if key else None
        made = users.delegate(
            uow, actor, delegate, role, starts_at, ends_at, project, reason, limit
        )
        uow.commit()
        where = f" on {key}" if key else ""
        say(f"delegation {made.id}: {delegate} acts as {role}{where} until {until:%Y-%m-%d}")


def _amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        problem = f"'{text}' is not an amount: write it as digits, e.g. 500000"
        raise InvalidInput("Bad budget limit", {"budget_limit": problem}) from None


@delegation_group.command("list")
@acting
@click.option("--all", "everyone", is_flag=True, help="Every delegation (admins).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for scripts.")
def list_delegations(actor: Actor, everyone: bool, as_json: bool) -> None:
    """The delegations you gave and received, newest first."""
    with workspace().unit_of_work(read_only=True) as uow:
        found = users.delegations_of(uow, actor, everyone)
        now = uow.now
        rows = [_row(d, now) for d in found]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    show_table(
        ["ID", "FROM", "TO", "ROLE", "PROJECT", "STARTS", "ENDS", "LIMIT", "STATUS"],
        [
            (r["id"], r["delegator"], r["delegate"], r["role"], r["project"] or "(all held)",
             str(r["starts_at"])[:10], str(r["ends_at"])[:10], r["budget_limit"] or "",
             r["status"])
            for r in rows
        ],
    )  # fmt: skip
    say(f"{len(rows)} delegation(s)")


def _row(d: Delegation, now: datetime) -> dict[str, object]:
    return {
        "id": d.id,
        "delegator": d.delegator.username,
        "delegate": d.delegate.username,
        "role": d.role,
        "project": d.project.key if d.project else None,
        "starts_at": d.starts_at.isoformat(),
        "ends_at": d.ends_at.isoformat(),
        "budget_limit": str(d.budget_limit) if d.budget_limit is not None else None,
        "status": users.delegation_status(d, now),
        "revoked_by": d.revoked_by,
        "reason": d.reason,
    }


@delegation_group.command("revoke")
@acting
@click.argument("delegation_id", type=int)
@click.option("--reason", required=True, help="Why it ends now.")
def revoke(actor: Actor, delegation_id: int, reason: str) -> None:
    """End delegation ID now (its delegator or an admin)."""
    with workspace().unit_of_work() as uow:
        users.revoke_delegation(uow, actor, delegation_id, reason)
        uow.commit()
    say(f"delegation {delegation_id} revoked")
