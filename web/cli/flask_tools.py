"""`lockgate run|routes|shell`: Flask's own development commands, run on the portal.

The command line used to be a Flask command group, which brought these; they stay, and load
Flask only when one of them runs.
"""

from __future__ import annotations

from typing import Any

import click
from flask.cli import ScriptInfo, routes_command, run_command, shell_command

from web.app import create_app


def _on_the_portal(command: click.Command, help_text: str) -> click.Command:
    """Flask's `command`, with the portal's app factory as the application it loads."""

    def callback(**params: Any) -> Any:
        context = click.get_current_context()
        context.obj = ScriptInfo(create_app=create_app)
        assert command.callback is not None
        return context.invoke(command.callback, **params)

    return click.Command(command.name, callback=callback, params=command.params, help=help_text)


run = _on_the_portal(run_command, "Run Flask's development server on the portal.")
routes = _on_the_portal(routes_command, "Show the routes of the portal.")
shell = _on_the_portal(shell_command, "Run a Python shell in the portal's app context.")
