"""The `lockgate` command line."""

from __future__ import annotations

from flask.cli import FlaskGroup

from web.app import create_app
from web.policy_cli import policy_group

cli = FlaskGroup(
    name="lockgate",
    create_app=create_app,
    add_version_option=True,
    help="Lockgate: stage-gate governance for IT projects.",
)
cli.add_command(policy_group)


def main() -> None:
    """Entry point of the `lockgate` console script."""
    cli.main(prog_name="lockgate")
