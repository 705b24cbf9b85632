"""`lockgate reviews`: operator commands on the reviews waiting for signatures, and the tick
that opens the reviews triggers ask for."""

from __future__ import annotations

import json
from datetime import datetime

import click

from gates.authority import PORTFOLIO
from web.cli.shared import acting, say, show_table, workspace
from workflows import triggered
from workflows.identity import Actor
from workflows.pending import rebuild_pending
from workflows.verbs.users import require_permission
from workflows.views.dashboard import overdue_conditions, overdue_reviews


@click.group("reviews")
def reviews_group() -> None:
    """Operator commands on reviews: what is overdue; rebuild who each waits for; tick."""


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


@reviews_group.command("tick")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Open what is due by this day instead of today (a demo, a test); each event says so.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for scripts.")
def tick(as_of: datetime | None, as_json: bool) -> None:
    """Open the reviews the policies' triggers ask for by today: recurring dates come,
    conditions gone overdue (for cron: a second run opens nothing).

    Each is opened once, as the system, with a `review.triggered` event; a review opened
    must pass before its project's next gate."""
    opened = triggered.tick(workspace(), as_of.date() if as_of else None)
    if as_json:
        rows = [
            {"project": o.key, "gate": o.gate, "kind": o.kind, "cause": o.cause,
             "due_on": o.due_on.isoformat()}
            for o in opened
        ]  # fmt: skip
        click.echo(json.dumps(rows, indent=2))
        return
    show_table(
        ["PROJECT", "GATE", "KIND", "CAUSE", "DUE"],
        [(o.key, o.gate, o.kind, o.cause, o.due_on.isoformat()) for o in opened],
    )
    say(f"opened {len(opened)} triggered review(s)")
