"""`lockgate report compliance`: compliance reports over the portfolio, as CSV."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from web.cli.project import parse_moment
from web.cli.shared import acting, say, workspace
from workflows.identity import Actor
from workflows.views.compliance import KINDS


@click.group("report")
def report_group() -> None:
    """Compliance reports over the portfolio: waivers, overrides, refusals, late approvals."""


@report_group.command("compliance")
@acting
@click.option("--kind", type=click.Choice(list(KINDS)), required=True)
@click.option("--from", "since", required=True, metavar="TIME", help="Start (a date or UTC time).")
@click.option("--to", "until", required=True, metavar="TIME", help="End (a date: its end).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
def compliance(actor: Actor, kind: str, since: str, until: str, output: Path | None) -> None:
    """Write one compliance report as CSV (to a file or standard output), with its period,
    row count and digest on standard error; the export is audited."""
    from workflows.errors import LockgateError
    from workflows.verbs.compliance import export_report

    start, end = parse_moment(since, "--from", day_starts=True), parse_moment(until, "--to")
    try:
        with workspace().unit_of_work() as uow:
            found = export_report(uow, actor, kind, start, end)
            text = found.csv()
            if output is None:
                click.echo(text, nl=False)
            else:
                output.write_text(text, encoding="utf-8")
            uow.commit()
    except LockgateError as error:
        say(f"error: {error}", err=True)
        sys.exit(1)
    cut = " (truncated: narrow the period)" if found.truncated else ""
    say(
        f"{found.title}: {found.count:,} rows{cut}, "
        f"{found.since.isoformat()} to {found.until.isoformat()}, sha256 {found.digest}",
        err=True,
    )
