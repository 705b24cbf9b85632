"""The `lockgate` command line: a plain click group whose commands are imported when they run.

`lockgate --help` lists every command from the registry below without importing any of them,
so it, and `lockgate policy check`, start without Flask or SQLAlchemy (`bench/cli_startup.py`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, NamedTuple

import click

from web.cli.shared import failure_lines, say


class Entry(NamedTuple):
    """Where a command lives, and the line `lockgate --help` shows for it."""

    module: str
    attribute: str
    short_help: str


# One line per command. The short help is the first sentence of the command's docstring
# (tests/unit/test_cli_main.py keeps them equal), written here so that --help imports nothing.
COMMANDS: dict[str, Entry] = {
    "init": Entry(
        "web.cli.init",
        "init",
        "Create the database, or upgrade it to this version's schema; publish shipped policies.",
    ),
    "project": Entry(
        "web.cli.project",
        "project_group",
        "Register, list and show projects; hold, resume, kill; change facts; move versions.",
    ),
    "programme": Entry(
        "web.cli.programme",
        "programme_group",
        "Programmes: create one, move projects in and out, show its projects and totals.",
    ),
    "change": Entry(
        "web.cli.change",
        "change_group",
        "Change requests on project facts: list, show, approve, reject, withdraw.",
    ),
    "gate": Entry(
        "web.cli.gate",
        "gate_group",
        "Gate reviews: status, submit, sign, decide, withdraw, override.",
    ),
    "condition": Entry(
        "web.cli.condition",
        "condition_group",
        "Conditions of conditional gos: list yours or a project's, close them with a note.",
    ),
    "waiver": Entry(
        "web.cli.waiver",
        "waiver_group",
        "Waivers: request, approve, deny, revoke and list them.",
    ),
    "attach": Entry(
        "web.cli.attach",
        "attach",
        "Attach evidence for ARTIFACT to PROJECT: a file, a link, or form fields.",
    ),
    "policy": Entry(
        "web.cli.policy",
        "policy_group",
        "Check, show, compare, explain, propose and approve policies; their impact; migrate.",
    ),
    "audit": Entry(
        "web.cli.audit",
        "audit_group",
        "Verify, checkpoint and export the tamper-evident audit trail.",
    ),
    "dossier": Entry(
        "web.cli.dossier",
        "dossier_group",
        "Gate dossiers: export a project's evidence pack, or check one with no database.",
    ),
    "report": Entry(
        "web.cli.report",
        "report_group",
        "Compliance reports over the portfolio: waivers, overrides, refusals, late approvals.",
    ),
    "user": Entry("web.cli.user", "user_group", "Users and roles."),
    "delegation": Entry(
        "web.cli.delegation",
        "delegation_group",
        "Delegations: pass a role you hold to a colleague for a period, list, revoke.",
    ),
    "token": Entry(
        "web.cli.token",
        "token_group",
        "Personal access tokens: how scripts act as you (LOCKGATE_TOKEN).",
    ),
    "reviews": Entry(
        "web.cli.reviews",
        "reviews_group",
        "Operator commands on reviews: what is overdue; rebuild who each waits for; tick.",
    ),
    "evidence": Entry(
        "web.cli.evidence",
        "evidence_group",
        "Where evidence files are kept: a folder, or S3 for several hosts.",
    ),
    "demo": Entry(
        "web.cli.demo",
        "demo",
        "Create a demo database with a seeded portfolio, then serve the portal on it.",
    ),
    "serve": Entry(
        "web.cli.serve",
        "serve",
        "Serve the portal on the configured database (upgraded first, no demo data).",
    ),
    "run": Entry("web.cli.flask_tools", "run", "Run Flask's development server on the portal."),
    "routes": Entry("web.cli.flask_tools", "routes", "Show the routes of the portal."),
    "shell": Entry(
        "web.cli.flask_tools", "shell", "Run a Python shell in the portal's app context."
    ),
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command is looked up.

    Listing the commands (`--help`) reads the registry alone. A failure the user can act on
    (a refusal, a bad input, an unreachable or full or read-only database) ends the command
    with one line per reason and exit status 1, never a traceback.
    """

    def __init__(self, *args: Any, registry: Mapping[str, Entry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registry = registry

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.registry})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.registry.get(cmd_name)
        if entry is None:
            return super().get_command(ctx, cmd_name)
        command: click.Command = getattr(importlib.import_module(entry.module), entry.attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.registry[name].short_help) for name in sorted(self.registry)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # usage errors, --help and Ctrl+C: click's own handling
        except Exception as error:
            lines = failure_lines(error)
            if lines is None:
                raise
            for line in lines:
                say(line, err=True)
            ctx.exit(1)


@click.group("lockgate", cls=LazyGroup, registry=COMMANDS)
@click.version_option(package_name="lockgate", prog_name="lockgate")
def cli() -> None:
    """Lockgate: stage-gate governance for IT projects."""


def main() -> None:
    """Entry point of the `lockgate` console script."""
    cli.main(prog_name="lockgate")
