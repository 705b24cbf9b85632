"""`lockgate reviews`: operator commands on the reviews waiting for signatures."""

from __future__ import annotations

import click

from web.cli.shared import say, workspace
from workflows.pending import rebuild_pending


@click.group("reviews")
def reviews_group() -> None:
    """Operator commands on open reviews: rebuild who each one waits for."""


@reviews_group.command("rebuild-pending")
def rebuild() -> None:
    """Recompute who every open review waits for (My approvals) from the authority rules.

    The table is kept in the transaction of every change; rebuild it after restoring a
    backup or to repair it. It holds no governance record: nothing is audited."""
    with workspace().unit_of_work() as uow:
        rows = rebuild_pending(uow)
        uow.commit()
    say(f"rebuilt the pending sign-offs: {rows:,} rows")
