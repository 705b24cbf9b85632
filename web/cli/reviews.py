"""`lockgate reviews`: operator commands on the reviews waiting for signatures."""

from __future__ import annotations

import json

import click

from gates.authority import PORTFOLIO
from web.cli.shared import acting, say, show_table, workspace
from workflows.identity import Actor
from workflows.pending import rebuild_pending
from workflows.verbs.users import require_permission
from workflows.views.dashboard import overdue_conditions, overdue_reviews


@click.group("reviews")
def reviews_group() -> None:
    """Operator commands on open reviews: what is overdue; rebuild who each one waits for."""


@reviews_group.command("rebuild-pending")
def rebuild() -> None:
    """Recompute who every open review waits for (My approvals) from the authority rules.

    The table is kept in the transaction of every change; rebuild it after restoring a
    backup or to repair it. It holds no governance record: nothing is audited."""
    with workspace().unit_of_work() as uow:
        rows = rebuild_pending(uow)
        uow.commit()
    say(f"rebuilt the pending sign-offs: {rows:,} rows")


@reviews_group.command("overdue")
@acting
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for scripts.")
def overdue(actor: Actor, as_json: bool) -> None:
    """Reviews past their due date and open conditions past theirs (the PMO and admins; for
    cron, with LOCKGATE_TOKEN). Exit 1 when there are any."""
    with workspace().unit_of_work(read_only=True) as uow:
        require_permission(uow, actor, PORTFOLIO, "list overdue work")
        reviews, conditions = overdue_reviews(uow, limit=None), overdue_conditions(uow)
    if as_json:
        document = {
            "reviews": [
                {"project": r.key, "gate": r.gate, "round": r.round,
                 "due_at": r.due_at.isoformat(), "days_overdue": r.days_overdue}
                for r in reviews
            ],
            "conditions": [
                {"project": c.key, "gate": c.gate, "action": c.action, "owner": c.owner,
                 "due": c.due.isoformat(), "days_overdue": c.days_overdue}
                for c in conditions
            ],
        }  # fmt: skip
        click.echo(json.dumps(document, indent=2))
    else:
        show_table(
            ["PROJECT", "GATE", "ROUND", "DUE", "DAYS OVERDUE"],
            [(r.key, r.gate, r.round, f"{r.due_at:%Y-%m-%d}", r.days_overdue) for r in reviews],
        )
        say(f"{len(reviews)} overdue review(s)")
        if conditions:
            show_table(
                ["PROJECT", "GATE", "CONDITION", "OWNER", "DUE", "DAYS OVERDUE"],
                [(c.key, c.gate, c.action, c.owner, c.due, c.days_overdue) for c in conditions],
            )
        say(f"{len(conditions)} overdue condition(s)")
    if reviews or conditions:
        raise SystemExit(1)
