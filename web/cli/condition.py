"""`lockgate condition list|close`: the conditions of conditional gos, closed by their owners."""

from __future__ import annotations

import json

import click

from gates.authority import READ
from web.cli.shared import acting, say, show_table, workspace
from workflows.identity import Actor
from workflows.state import authority_on, load_project, require
from workflows.verbs import conditions
from workflows.views.conditions import ConditionRow, conditions_of_project, owned_by


@click.group("condition")
def condition_group() -> None:
    """Conditions of conditional gos: list yours or a project's, close them with a note."""


@condition_group.command("list")
@acting
@click.argument("key", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for scripts.")
def condition_list(actor: Actor, key: str | None, as_json: bool) -> None:
    """The open conditions you own, or every condition of project KEY."""
    with workspace().unit_of_work(read_only=True) as uow:
        if key is None:
            rows = owned_by(uow, actor.username, limit=10_000)
        else:
            project = load_project(uow, key)
            require(authority_on(uow, actor.username, project), READ)
            rows = conditions_of_project(uow, project.id)
    if as_json:
        click.echo(json.dumps([_document(row) for row in rows], indent=2))
        return
    show_table(
        ["ID", "PROJECT", "GATE", "CONDITION", "OWNER", "DUE", "STATE"],
        [(r.id, r.key, r.gate, r.action, r.owner, r.due, _state(r)) for r in rows],
    )
    say(f"{len(rows)} condition(s)")


def _state(row: ConditionRow) -> str:
    if not row.open:
        return f"closed by {row.closed_by} {row.closed_at:%Y-%m-%d}"
    return f"OVERDUE {row.days_overdue} day(s)" if row.days_overdue else "open"


def _document(row: ConditionRow) -> dict[str, object]:
    return {
        "id": row.id,
        "project": row.key,
        "gate": row.gate,
        "action": row.action,
        "owner": row.owner,
        "due": row.due.isoformat(),
        "open": row.open,
        "days_overdue": row.days_overdue,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "closed_by": row.closed_by,
        "note": row.note,
        "evidence": row.evidence,
    }


@condition_group.command("close")
@acting
@click.argument("condition_id", type=int)
@click.option("--note", required=True, help="What was done to meet the condition.")
@click.option("--evidence", default=None, metavar="ARTIFACT[@VERSION]",
              help="Evidence of the project it rests on (attach it first).")  # fmt: skip
def condition_close(actor: Actor, condition_id: int, note: str, evidence: str | None) -> None:
    """Close a condition you own, saying what was done."""
    with workspace().unit_of_work() as uow:
        closed = conditions.close_condition(uow, actor, condition_id, note, evidence)
        uow.commit()
    cited = f" on {closed.evidence}" if closed.evidence else ""
    say(f"closed condition {condition_id} of {closed.project_key} {closed.gate_id}{cited}")
