"""When the database or the disk fails under a command: one line saying what happened and what
to do, exit status 1, no traceback, and nothing written.

Each failure is made for real where this machine allows: a closed port, chmod (run in a user
namespace when the tests run as root, whom chmod does not stop), a full tmpfs. Where it does
not, a read-only SQLite URI stands in, and a database at its size limit stands in for the
full disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from tests.integration.command_line import (
    SECRET,
    closed_port_url,
    command_line,
    permissions_apply,
    point_at,
    row_counts,
    run_lockgate,
    tmpfs_possible,
)
from workflows.store.db import make_engine
from workflows.workspace import Workspace

UNREACHABLE = (
    "error: the database cannot be reached, so nothing was changed: check that the database "
    "server is running and that LOCKGATE_DATABASE_URL names it, then try again"
)
READ_ONLY = (
    "error: the database is read-only, so nothing was changed: let this user write the "
    "database file and its folder, or point LOCKGATE_DATABASE_URL or LOCKGATE_INSTANCE at a "
    "writable database"
)
FULL = (
    "error: the disk holding the database is full, so nothing was changed: free some space "
    "or grow the volume, then try again"
)
REGISTER = (
    "project",
    "register",
    "--as",
    "pm",
    "LITE-9",
    "Nine",
    "--policy",
    "lite",
    "--fact",
    "budget=1000",
    "--fact",
    "risk=low",
    "--sponsor",
    "admin",
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance folder with an admin and a project manager (built once)."""
    root = tmp_path_factory.mktemp("cli-failures")
    lockgate = command_line()
    with pytest.MonkeyPatch.context() as patch:
        point_at(root / "instance", root / "keys", patch)
        lockgate("init", "--admin", "admin", "--admin-password", SECRET)
        lockgate(
            "user",
            "add",
            "--as",
            "admin",
            "pm",
            "--name",
            "Pat",
            "--role",
            "project_manager",
            "--password",
            SECRET,
        )
    return root / "instance"


@pytest.fixture
def instance(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the template instance, used by this process's command line."""
    copy = tmp_path / "instance"
    shutil.copytree(template, copy)
    point_at(copy, tmp_path / "keys", monkeypatch)
    monkeypatch.setenv("LOCKGATE_NEW_PASSWORD", SECRET)
    yield copy
    for folder in (copy, *copy.iterdir()):
        folder.chmod(0o755 if folder.is_dir() else 0o644)


def environment(**changes: str) -> dict[str, str]:
    """This process's environment (the test's instance folder, every user's password) with
    `changes`."""
    return {**os.environ, "LOCKGATE_PASSWORD": SECRET, **changes}


def only_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


# -- the database cannot be reached ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("init",), ("project", "list"), REGISTER, ("audit", "verify")],
    ids=["init", "list", "register", "verify"],
)
def test_an_unreachable_database_is_one_line_and_exit_1(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKGATE_DATABASE_URL", closed_port_url())

    result = command_line()(*args, code=1)

    assert (result.stdout, only_line(result.stderr)) == ("", UNREACHABLE)


# -- read-only ---------------------------------------------------------------------------------


def test_a_read_only_database_file_refuses_writes_in_one_line_and_still_reads(
    instance: Path,
) -> None:
    database = instance / "lockgate.sqlite"
    before = row_counts(database)
    prefix = permissions_apply()
    if prefix is None:  # chmod cannot stop this user: open the file read-only instead
        env = environment(LOCKGATE_DATABASE_URL=f"sqlite:///file:{database}?mode=ro&uri=true")
    else:
        database.chmod(0o444)
        env = environment()

    refused = run_lockgate(*REGISTER, env=env, prefix=prefix or ())
    listed = run_lockgate("project", "list", env=env, prefix=prefix or ())

    assert (refused.returncode, refused.stdout) == (1, "")
    assert only_line(refused.stderr) == READ_ONLY
    assert (listed.returncode, listed.stdout.splitlines()[-1]) == (0, "0 project(s)")
    database.chmod(0o644)
    assert row_counts(database) == before


def test_a_read_only_instance_folder_refuses_writes_in_one_line(instance: Path) -> None:
    prefix = permissions_apply()
    if prefix is None:
        pytest.skip("file permissions do not stop this user, and no user namespace is available")
    before = row_counts(instance / "lockgate.sqlite")
    instance.chmod(0o555)

    add = ("user", "add", "--as", "admin", "sam", "--name", "Sam")
    refused = run_lockgate(*add, env=environment(), prefix=prefix)

    assert (refused.returncode, refused.stdout) == (1, "")
    assert only_line(refused.stderr) == READ_ONLY
    instance.chmod(0o755)
    assert row_counts(instance / "lockgate.sqlite") == before


# -- the instance folder -----------------------------------------------------------------------


def test_an_instance_folder_where_a_file_is_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    monkeypatch.setenv("LOCKGATE_INSTANCE", str(tmp_path / "taken" / "instance"))

    result = command_line()("init", code=1)

    assert only_line(result.stderr) == (
        f"error: a file is where a folder should be ({tmp_path / 'taken' / 'instance'}), so "
        "nothing was changed: move the file away, or set LOCKGATE_DATABASE_URL or "
        "LOCKGATE_INSTANCE to another folder"
    )
    assert (tmp_path / "taken").read_text() == "a file, not a folder"


def test_an_instance_folder_that_cannot_be_created_says_so_in_one_line(tmp_path: Path) -> None:
    prefix = permissions_apply()
    if prefix is None:
        pytest.skip("file permissions do not stop this user, and no user namespace is available")
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o555)

    result = run_lockgate(
        "init", env=environment(LOCKGATE_INSTANCE=str(parent / "instance")), prefix=prefix
    )

    parent.chmod(0o755)
    assert result.returncode == 1
    assert only_line(result.stderr) == (
        f"error: permission denied ({parent / 'instance'}), so nothing was changed: let this "
        "user read and write it, or set LOCKGATE_DATABASE_URL or LOCKGATE_INSTANCE to a "
        "folder it can write"
    )
    assert list(parent.iterdir()) == []


# -- a full disk -------------------------------------------------------------------------------

# In a mount namespace of its own: a 1 MiB tmpfs holding a copy of the database, filled but
# for 40 KiB (room for SQLite's 32 KiB shared-memory file, not for the write), then the
# command, then the database copied out to be counted.
FULL_DISK = """
set -e
mount -t tmpfs -o size=1m tmpfs "$DISK"
cp "$FROM/lockgate.sqlite" "$DISK/"
dd if=/dev/zero of="$DISK/filler" bs=1k 2>/dev/null || true
truncate -s -40K "$DISK/filler"
set +e
"$PYTHON" -m web.cli "$@" >"$OUT/stdout" 2>"$OUT/stderr"
echo $? >"$OUT/status"
cp "$DISK"/lockgate.sqlite* "$OUT/"
"""


@pytest.mark.skipif(not tmpfs_possible(), reason="cannot mount a tmpfs in a user namespace")
def test_a_full_disk_is_one_line_and_nothing_is_written(instance: Path, tmp_path: Path) -> None:
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    env = environment(
        DISK=str(disk),
        FROM=str(instance),
        OUT=str(out),
        PYTHON=sys.executable,
        LOCKGATE_INSTANCE=str(disk),
    )

    run = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", FULL_DISK, "sh"]
    subprocess.run([*run, *REGISTER], env=env, check=True, timeout=120)

    assert (out / "status").read_text() == "1\n"
    assert (out / "stdout").read_text() == ""
    assert only_line((out / "stderr").read_text()) == FULL
    assert row_counts(out / "lockgate.sqlite") == row_counts(instance / "lockgate.sqlite")


def test_a_database_at_its_size_limit_is_full_and_nothing_is_written(instance: Path) -> None:
    # The limit is the database's size when a connection opens: projects are registered one
    # after another until one needs a page the file may not grow by. That one is refused in
    # one line and writes nothing; the ones before it were whole.
    database = instance / "lockgate.sqlite"
    engine = make_engine(f"sqlite:///{database}")

    @event.listens_for(engine, "connect")
    def _no_more_pages(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        (pages,) = cursor.execute("PRAGMA page_count").fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    workspace = Workspace(engine, instance / "evidence")
    register = [*REGISTER]
    try:
        for number in range(10, 500):
            register[4], register[5] = f"LITE-{number}", "N" * 200
            before = row_counts(database)
            result = command_line(obj=workspace)(*register, code=None)
            if result.exit_code != 0:
                break
        else:
            pytest.fail("490 projects fitted in the pages the database had")
    finally:
        workspace.dispose()

    assert (result.exit_code, result.stdout, only_line(result.stderr)) == (1, "", FULL)
    assert row_counts(database) == before
