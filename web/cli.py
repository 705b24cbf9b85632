"""The `lockgate` command line."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from web.app import create_app
from web.audit_cli import audit_group, policy_migrate
from web.engine_cli import (
    attach_command,
    demo,
    gate_group,
    init,
    policy_publish,
    project_group,
    serve,
    user_group,
)
from web.evidence_cli import evidence_group
from web.policy_cli import policy_group

cli = FlaskGroup(
    name="lockgate",
    create_app=create_app,
    add_version_option=False,
    help="Lockgate: stage-gate governance for IT projects.",
)
cli = click.version_option(package_name="lockgate", prog_name="lockgate")(cli)
policy_group.add_command(policy_publish)
policy_group.add_command(policy_migrate)
for command in (
    init,
    project_group,
    gate_group,
    attach_command,
    demo,
    serve,
    user_group,
    audit_group,
    policy_group,
    evidence_group,
):
    cli.add_command(command)


def main() -> None:
    """Entry point of the `lockgate` console script."""
    cli.main(prog_name="lockgate")
