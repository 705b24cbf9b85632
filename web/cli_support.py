"""What every `lockgate` engine command shares: the workspace, the acting user, error output."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from workflows.errors import InvalidInput, LockgateError, Refused
from workflows.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])

as_option = click.option(
    "--as",
    "actor",
    envvar="LOCKGATE_USER",
    required=True,
    metavar="USER",
    help="Who is acting (or set LOCKGATE_USER). Recorded in the audit trail.",
)


def workspace() -> Workspace:
    """The workspace of this process (LOCKGATE_DATABASE_URL or the instance SQLite file)."""
    context = click.get_current_context()
    found = context.find_object(Workspace)
    if found is None:
        found = Workspace.from_environment()
        context.obj = found
        context.call_on_close(found.dispose)
    return found


def reports_errors(command: F) -> F:
    """Print a refused or invalid action as the user's words, not a traceback; exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except Refused as error:
            click.echo(f"error: cannot {error.action}:", err=True)
            for reason in error.reasons:
                click.echo(f"  - {reason}", err=True)
        except InvalidInput as error:
            click.echo(f"error: {error.args[0].split(': ')[0]}", err=True)
            for field, problem in error.problems.items():
                click.echo(f"  - {field}: {problem}", err=True)
        except LockgateError as error:
            click.echo(f"error: {error}", err=True)
        sys.exit(1)

    return wrapper  # type: ignore[return-value]


def parse_pairs(pairs: tuple[str, ...], option: str) -> dict[str, str]:
    """NAME=VALUE options as a dict; a malformed one is a usage error."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"'{pair}' is not NAME=VALUE", param_hint=option)
        values[name.strip()] = value.strip()
    return values


def is_interactive() -> bool:
    """True when a person is at the terminal (prompts are possible)."""
    return sys.stdin.isatty() and not os.environ.get("CI")
