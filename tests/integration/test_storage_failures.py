"""The translator of storage failures: which errors it words, and which it leaves alone.

The command line and portal tests make each failure happen for real; these cover the
remaining kinds and the errors that are bugs, not failures of the storage.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from workflows.store.failures import Kind, diagnose, explain


def raised_by(url: str, *statements: str) -> DBAPIError:
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    return caught.value


def test_a_sqlite_file_in_a_missing_folder_cannot_be_opened(tmp_path: Path) -> None:
    error = raised_by(f"sqlite:///{tmp_path / 'missing' / 'lockgate.sqlite'}", "SELECT 1")

    assert explain(error) == (
        "the database file cannot be opened (its folder is missing or cannot be written), so "
        "nothing was changed: create the folder and let this user write it, or correct "
        "LOCKGATE_DATABASE_URL or LOCKGATE_INSTANCE"
    )


def test_a_broken_constraint_is_a_bug_not_a_storage_failure() -> None:
    error = raised_by(
        "sqlite://",
        "CREATE TABLE t (id INTEGER PRIMARY KEY)",
        "INSERT INTO t VALUES (1)",
        "INSERT INTO t VALUES (1)",
    )

    assert isinstance(error, IntegrityError)
    assert explain(error) is None


@pytest.mark.parametrize(
    ("number", "kind", "what"),
    [
        (errno.ENOSPC, Kind.FULL, "the disk is full"),
        (errno.EDQUOT, Kind.FULL, "the disk is full"),
        (errno.EROFS, Kind.READ_ONLY, "the file system is read-only"),
        (errno.EACCES, Kind.READ_ONLY, "permission denied"),
        (errno.ENOTDIR, Kind.MISSING, "a file is where a folder should be"),
        (errno.ENOENT, Kind.MISSING, "a file or folder does not exist"),
    ],
)
def test_an_operating_system_error_names_the_file_and_what_to_do(
    number: int, kind: Kind, what: str
) -> None:
    failure = diagnose(OSError(number, "as the system says it", "/srv/lockgate/evidence"))

    assert failure is not None
    assert (failure.kind, failure.what, failure.where) == (kind, what, "/srv/lockgate/evidence")
    assert failure.sentence.startswith(f"{what} (/srv/lockgate/evidence), so nothing was changed: ")


@pytest.mark.parametrize(
    "error",
    [OSError(errno.EPIPE, "Broken pipe"), ValueError("not storage"), KeyError("x")],
    ids=["broken-pipe", "value-error", "key-error"],
)
def test_other_errors_are_left_alone(error: BaseException) -> None:
    assert diagnose(error) is None
