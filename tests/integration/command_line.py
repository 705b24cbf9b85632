"""Running `lockgate` in tests, in this process (click's runner)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from web.cli.main import cli

SECRET = "secret-pass"
ENVIRONMENT = ("LOCKGATE_DATABASE_URL", "LOCKGATE_USER", "LOCKGATE_PASSWORD", "LOCKGATE_INSTANCE")


def point_at(instance: Path, keys: Path, patch: pytest.MonkeyPatch) -> None:
    """Make the command line use this instance folder and this checkpoint key."""
    for name in ENVIRONMENT:
        patch.delenv(name, raising=False)
    patch.setenv("LOCKGATE_INSTANCE", str(instance))
    patch.setenv("LOCKGATE_CHECKPOINT_KEY", str(keys / "checkpoint.key"))


def command_line(obj: Any = None) -> Callable[..., Result]:
    """lockgate('gate', 'status', ...) -> the click Result, once the exit code is as expected.

    `obj` is passed to the root context: a Workspace there is the one every command uses.
    """
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False, obj=obj)
        assert result.exit_code == code, result.output
        return result

    return invoke
