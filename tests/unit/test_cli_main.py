"""The `lockgate` root: commands that load when they run, and text printed safely."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import click
import pytest
from click.testing import CliRunner

from web.cli.main import COMMANDS, cli
from web.cli.shared import visible

HEAVY = ("sqlalchemy", "flask", "alembic", "transitions", "boto3")

# Runs the command line in a fresh interpreter, then prints which heavy packages it imported.
PROBE = """
import json, sys
from web.cli.main import cli
try:
    cli.main(sys.argv[1:], prog_name="lockgate")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def imported_by(*args: str) -> tuple[str, set[str]]:
    """(standard output, modules imported) of `lockgate ARGS` in a new process."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return done.stdout, set(json.loads(done.stderr.splitlines()[-1]))


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_help_lists_every_command_with_its_short_help_and_imports_none_of_them() -> None:
    output, imported = imported_by("--help")

    for name, entry in COMMANDS.items():
        assert name in output
        assert entry.short_help.split()[0] in output
    assert packages(imported).isdisjoint(HEAVY), packages(imported) & set(HEAVY)
    assert not {f"web.cli.{name}" for name in ("gate", "policy", "init")} & imported


def test_policy_check_imports_neither_the_database_nor_the_portal() -> None:
    output, imported = imported_by("policy", "check", "policies/library/standard.yaml")

    assert output.endswith("0 problems in 1 file\n")
    assert packages(imported).isdisjoint(HEAVY), packages(imported) & set(HEAVY)


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_serve_and_demo_import_flask_only_when_they_run(command: str) -> None:
    output, imported = imported_by(command, "--help")

    assert f"Usage: lockgate {command}" in output
    assert "flask" not in packages(imported)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_registered_command_loads_and_its_short_help_is_its_first_sentence(
    name: str,
) -> None:
    command = cli.get_command(click.Context(cli), name)

    assert command is not None
    assert command.name == name
    assert command.get_short_help_str(limit=200) == COMMANDS[name].short_help


def test_version_is_the_installed_distributions() -> None:
    result = CliRunner().invoke(cli, ["--version"])

    assert result.output == f"lockgate, version {metadata.version('lockgate')}\n"


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["projct"])

    assert result.exit_code == 2
    assert "No such command 'projct'" in result.stderr


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("Zoë Ångström, 東京 & O'Brien", "Zoë Ångström, 東京 & O'Brien", id="plain"),
        pytest.param("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m", id="ansi-colour"),
        pytest.param("\x9b2J", "\\x9b2J", id="c1-csi"),
        pytest.param("a\x00b\x7fc", "a\\x00b\\x7fc", id="nul-and-del"),
        pytest.param("one\ntwo\r\tthree", "one\\ntwo\\r\\tthree", id="line-breaks-and-tab"),
        pytest.param("\u202etxt.exe", "\\u202etxt.exe", id="right-to-left-override"),
        pytest.param(
            "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
            "\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c",
            id="every-embedding-isolate-and-mark",
        ),
        pytest.param("a\u2028b\u2029c", "a\\u2028b\\u2029c", id="line-separators"),
    ],
)
def test_visible_escapes_control_and_bidi_characters_only(text: str, shown: str) -> None:
    assert visible(text) == shown
