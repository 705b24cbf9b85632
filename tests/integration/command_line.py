"""Running `lockgate` in tests: in this process (click's runner) or as a real process, and the
environments the failure tests need (a closed port, file permissions that apply)."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import closing
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from web.cli.main import cli

SECRET = "secret-pass"
ENVIRONMENT = (
    "LOCKGATE_DATABASE_URL",
    "LOCKGATE_USER",
    "LOCKGATE_PASSWORD",
    "LOCKGATE_INSTANCE",
    "LOCKGATE_AUDIT_KEY",
    "LOCKGATE_AUDIT_PUBLIC_KEY",
)


def point_at(instance: Path, keys: Path, patch: pytest.MonkeyPatch) -> None:
    """Make the command line use this instance folder and this checkpoint key."""
    for name in ENVIRONMENT:
        patch.delenv(name, raising=False)
    patch.setenv("LOCKGATE_INSTANCE", str(instance))
    patch.setenv("LOCKGATE_CHECKPOINT_KEY", str(keys / "checkpoint.key"))


def command_line(obj: Any = None) -> Callable[..., Result]:
    """lockgate('gate', 'status', ...) -> the click Result, once the exit code is as expected
    (`code=None` accepts any).

    `obj` is passed to the root context: a Workspace there is the one every command uses.
    Every user of these tests has the password SECRET, given as LOCKGATE_PASSWORD: `--as`
    is proved by it. `env` sets (or, with None, unsets) other variables for one command.
    """
    runner = CliRunner()

    def invoke(
        *args: str, code: int | None = 0, env: dict[str, str | None] | None = None
    ) -> Result:
        environment = {"LOCKGATE_PASSWORD": SECRET, "LOCKGATE_TOKEN": None, **(env or {})}
        result = runner.invoke(cli, list(args), catch_exceptions=False, obj=obj, env=environment)
        assert code is None or result.exit_code == code, result.output
        return result

    return invoke


def run_lockgate(
    *args: str, env: dict[str, str], prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`lockgate ARGS` as a process of its own (after `prefix`, e.g. unshare), with `env`."""
    command = [*prefix, sys.executable, "-m", "web.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def closed_port_url() -> str:
    """A PostgreSQL URL on a local port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/lockgate"


@cache
def permissions_apply() -> tuple[str, ...] | None:
    """The prefix under which file permissions stop a process from writing: none for a normal
    user; for root (whom chmod does not stop) a new user namespace, where root's files belong
    to an unmapped owner and root's capabilities do not reach them. None when neither works."""
    probe = Path(tempfile.mkdtemp()) / "read-only"
    probe.write_text("")
    probe.chmod(0o444)
    try:
        for prefix in [(), ("unshare", "--user")]:
            if prefix and shutil.which(prefix[0]) is None:
                continue
            attempt = [*prefix, sys.executable, "-c", f"open({str(probe)!r}, 'a')"]
            if subprocess.run(attempt, capture_output=True).returncode != 0:
                return prefix
        return None
    finally:
        shutil.rmtree(probe.parent)


@cache
def tmpfs_possible() -> bool:
    """True when a process may mount a tmpfs in a mount namespace of its own."""
    mount = ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"]
    return (
        shutil.which("unshare") is not None
        and subprocess.run(mount, capture_output=True).returncode == 0
    )


def row_counts(database: Path) -> dict[str, int]:
    """Rows per table of a SQLite database file (to prove that a command wrote nothing)."""
    # Opened for writing, though it only reads: the last connection to close then folds the
    # write-ahead log back and removes it, leaving the folder as it found it.
    with closing(sqlite3.connect(database)) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in tables
        }
