"""What every `lockgate` command shares: printing text safely, the workspace, the acting user,
NAME=VALUE options, and failures in words.

Imported by the command line's root, so it imports neither Flask nor SQLAlchemy: the
workspace and the storage-failure translator are imported when a command needs them.
"""

from __future__ import annotations

import functools
import getpass
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from web.tables import table
from workflows.errors import AuthenticationFailed, InvalidInput, LockgateError, Refused

if TYPE_CHECKING:
    from workflows.identity import Actor
    from workflows.workspace import Workspace

# Text typed by users (a project name, a reason, a file name, a policy title) is printed with
# these made visible: control characters could move the cursor, recolour or clear the
# terminal, and bidirectional overrides could reorder what is printed around them.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LINE_BREAKS = "\u2028\u2029"
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_ESCAPES = {
    ord(char): _escape(char)
    for char in [
        *map(chr, range(0x20)),
        *map(chr, range(0x7F, 0xA0)),
        *_BIDI_CONTROLS,
        *_LINE_BREAKS,
    ]
}


def visible(text: str) -> str:
    """`text` with every C0 and C1 control character, DEL, line separator and bidirectional
    formatting character replaced by an escape such as `\\x1b`, `\\n` or `\\u202e`."""
    return text.translate(_ESCAPES)


def say(line: str = "", *, err: bool = False) -> None:
    """Print one line (to standard error when `err`), its control characters made visible."""
    click.echo(visible(line), err=err)


def say_lines(text: str, indent: str = "") -> None:
    """Print text of several lines (a policy description, a change), each line indented."""
    for line in text.splitlines():
        say(indent + line)


def show_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows under headers in aligned columns, each cell's control characters visible."""
    click.echo(table(headers, [[visible(str(cell)) for cell in row] for row in rows]))


NO_CREDENTIAL = (
    "lockgate needs to know it is you: --as USER alone is not enough any more. For a "
    "script, create a personal access token (`lockgate token create`, or Account > Access "
    "tokens in the portal) and set LOCKGATE_TOKEN; or set LOCKGATE_PASSWORD; or run the "
    "command in a terminal, which asks for your password."
)


def acting(command: Callable[..., Any]) -> Callable[..., Any]:
    """A command that acts as a user: it receives `actor`, an authenticated Actor.

    Who is acting comes from LOCKGATE_TOKEN (a personal access token), or from `--as USER`
    (or LOCKGATE_USER) with that user's password: LOCKGATE_PASSWORD, else asked for in a
    terminal. `--as` with no way to prove it is refused, saying how to make a token. A
    password typed here is kept for the command, so `gate sign` asks for it only once.
    """

    @click.option(
        "--as",
        "acting_as",
        envvar="LOCKGATE_USER",
        metavar="USER",
        help="Who is acting (or LOCKGATE_USER); proved by your password or LOCKGATE_TOKEN.",
    )
    @functools.wraps(command)
    def run(*args: Any, acting_as: str | None, **kwargs: Any) -> Any:
        return command(*args, actor=authenticated(acting_as), **kwargs)

    return run


def authenticated(username: str | None) -> Actor:
    """The Actor of this command, authenticated as `acting` describes; a failure is a usage
    error of one line (exit 1), and a wrong password counts toward login throttling."""
    from workflows.identity import authenticate, authenticate_token

    ws = workspace()
    token = os.environ.get("LOCKGATE_TOKEN", "").strip()
    if token:  # only read: a token's check writes nothing, so it never waits for the lock
        with ws.unit_of_work(read_only=True) as reader:
            actor = authenticate_token(reader, token)
        if username and username.strip().lower() != actor.username:
            raise AuthenticationFailed(
                f"LOCKGATE_TOKEN belongs to '{actor.username}', not '{username}': "
                "unset one of them."
            )
        return actor
    if not username:
        raise click.UsageError(
            "Say who you are: --as USER (or LOCKGATE_USER), or set LOCKGATE_TOKEN."
        )
    password = os.environ.get("LOCKGATE_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError(NO_CREDENTIAL)
        password = click.prompt(f"Password for {username}", hide_input=True)
    with ws.unit_of_work() as uow:  # a wrong password is recorded (and committed) there
        actor = authenticate(uow, username, password, _command_line_address())
    click.get_current_context().meta["lockgate.password"] = password
    return actor


def typed_password() -> str | None:
    """The password this command's user typed to authenticate, if they used one."""
    found = click.get_current_context().meta.get("lockgate.password")
    return found if isinstance(found, str) else None


def _command_line_address() -> str:
    """What login throttling counts a command line's attempts by: the OS user and host."""
    return f"cli:{getpass.getuser()}@{socket.gethostname()}"[:64]


def workspace() -> Workspace:
    """The workspace of this command: the context's object when a caller passed one (tests),
    else LOCKGATE_DATABASE_URL or the instance SQLite file, disposed when the command ends."""
    from workflows.workspace import Workspace

    context = click.get_current_context()
    found = context.find_object(Workspace)
    if found is None:
        found = Workspace.from_environment()
        context.obj = found
        context.call_on_close(found.dispose)
    return found


def parse_pairs(pairs: tuple[str, ...], option: str) -> dict[str, str]:
    """NAME=VALUE options as a dict; a malformed one is a usage error."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"'{pair}' is not NAME=VALUE", param_hint=option)
        values[name.strip()] = value.strip()
    return values


def failure_lines(error: BaseException) -> list[str] | None:
    """What to print for a failure the user can act on: a refusal with its reasons, a bad
    input with its problems, or a storage failure (database unreachable, read-only, full) in
    one sentence. None for anything else, which is a bug and keeps its traceback."""
    if isinstance(error, Refused):
        return [f"error: cannot {error.action}:", *(f"  - {r}" for r in error.reasons)]
    if isinstance(error, InvalidInput):
        summary = error.args[0].split(": ")[0]
        return [f"error: {summary}", *(f"  - {f}: {p}" for f, p in error.problems.items())]
    if isinstance(error, LockgateError):
        return [f"error: {error}"]
    from workflows.store.failures import explain

    sentence = explain(error)
    return None if sentence is None else [f"error: {sentence}"]
