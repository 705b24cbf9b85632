"""`lockgate waiver request|approve|deny|revoke|list`: exceptions to one requirement, decided
by someone other than who asked."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from web.cli.shared import acting, say, show_table, workspace
from workflows.identity import Actor
from workflows.store.records import WaiverRecord
from workflows.store.uow import UnitOfWork
from workflows.verbs import waivers
from workflows.views import waivers as listings
from workflows.views.paging import Cursor

STATUSES = click.Choice(["requested", "approved", "denied", "revoked", "expired"])


@click.group("waiver")
def waiver_group() -> None:
    """Waivers: request, approve, deny, revoke and list them."""


@waiver_group.command("request")
@acting
@click.argument("key")
@click.argument("requirement")
@click.option("--justification", required=True)
@click.option(
    "--expires",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="Expiry date (UTC), at most the policy's max_waiver_days ahead (default 90).",
)
@click.option("--gate", "gate_id", help="The gate (default: the project's next gate).")
def waiver_request(
    actor: Actor,
    key: str,
    requirement: str,
    justification: str,
    expires: datetime,
    gate_id: str | None,
) -> None:
    """Request a waiver of REQUIREMENT (e.g. artifact:business_case) of PROJECT's gate."""
    with workspace().unit_of_work() as uow:
        waiver = waivers.request_waiver(
            uow, actor, key, requirement, justification, expires.replace(tzinfo=UTC), gate_id
        )
        uow.commit()
        say(f"requested waiver {waiver.id}: {_what(waiver)}; a waiving role must approve it")


@waiver_group.command("approve")
@acting
@click.argument("waiver_id", metavar="ID", type=int)
def waiver_approve(actor: Actor, waiver_id: int) -> None:
    """Approve the requested waiver ID."""
    with workspace().unit_of_work() as uow:
        waiver = waivers.approve_waiver(uow, actor, waiver_id)
        uow.commit()
        say(f"approved waiver {waiver.id} as {waiver.granted_role}: {_what(waiver)}")


@waiver_group.command("deny")
@acting
@click.argument("waiver_id", metavar="ID", type=int)
@click.option("--reason", required=True)
def waiver_deny(actor: Actor, waiver_id: int, reason: str) -> None:
    """Deny the requested waiver ID, saying why."""
    with workspace().unit_of_work() as uow:
        waiver = waivers.deny_waiver(uow, actor, waiver_id, reason)
        uow.commit()
        say(f"denied waiver {waiver.id}: {_what(waiver)}")


@waiver_group.command("revoke")
@acting
@click.argument("waiver_id", metavar="ID", type=int)
@click.option("--reason", required=True)
def waiver_revoke(actor: Actor, waiver_id: int, reason: str) -> None:
    """Revoke the approved waiver ID, saying why: the requirement counts again."""
    with workspace().unit_of_work() as uow:
        waiver = waivers.revoke_waiver(uow, actor, waiver_id, reason)
        uow.commit()
        say(f"revoked waiver {waiver.id}: {_what(waiver)}")


@waiver_group.command("list")
@acting
@click.argument("key", required=False)
@click.option("--status", type=STATUSES, help="Only waivers in this status.")
@click.option(
    "--no-expiry",
    is_flag=True,
    help="Only approved waivers without an expiry (granted before expiries were required).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def waiver_list(
    actor: Actor, key: str | None, status: str | None, no_expiry: bool, as_json: bool
) -> None:
    """List the waivers of PROJECT, or of every project (the PMO and admins)."""
    wanted = listings.NO_EXPIRY if no_expiry else status
    with workspace().unit_of_work(read_only=True) as uow:
        rows = (
            [r for r in listings.project_waivers(uow, actor, key) if _kept(r, wanted)]
            if key
            else _every(uow, actor, wanted)
        )
    if as_json:
        for row in rows:
            say(json.dumps(row.as_json(), sort_keys=True))
        return
    show_table(
        ["ID", "PROJECT", "GATE", "REQUIREMENT", "STATUS", "REQUESTED BY", "DECIDED BY", "EXPIRES"],
        [
            [
                r.id,
                r.project_key,
                r.gate_id,
                r.requirement,
                r.status,
                r.requested_by,
                r.decided_by or "",
                f"{r.expires_at:%Y-%m-%d}" if r.expires_at else "none",
            ]
            for r in rows
        ],
    )


def _every(uow: UnitOfWork, actor: Actor, wanted: str | None) -> list[listings.WaiverRow]:
    """Every page of the portfolio's waivers, read by key."""
    rows: list[listings.WaiverRow] = []
    cursor: Cursor[int] = Cursor()
    while True:
        page = listings.portfolio_waivers(uow, actor, wanted, cursor, 500)
        rows.extend(page.rows)
        if page.next is None:
            return rows
        cursor = Cursor(after=page.next)


def _kept(row: listings.WaiverRow, wanted: str | None) -> bool:
    if wanted == listings.NO_EXPIRY:
        return row.status == "approved" and row.expires_at is None
    return wanted is None or row.status == wanted


def _what(waiver: WaiverRecord) -> str:
    until = f" until {waiver.expires_at:%Y-%m-%d}" if waiver.expires_at else ""
    return f"{waiver.requirement} at {waiver.gate_id}{until}"
