"""Failures of the storage under the engine, in words: what happened and what to do.

The database or the disk can fail under any verb: the server is down or the connection was
lost, the database file or its folder cannot be written, the disk is full. A front end turns
such an exception into one sentence here (the command line prints it, the portal shows it on
an error page) instead of a traceback. By then the unit of work has rolled back: nothing of
the action was saved.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.exc import DBAPIError

WHERE = "LOCKGATE_DATABASE_URL or LOCKGATE_INSTANCE"


class Kind(Enum):
    """What kind of storage failure: the portal answers each with its own HTTP status."""

    UNAVAILABLE = "unavailable"  # the database cannot be reached, or dropped the connection
    READ_ONLY = "read-only"  # the database, a file or a folder cannot be written
    FULL = "full"  # no space left on the disk
    DISK = "disk error"  # the disk failed to read or write
    MISSING = "missing"  # the database file or a folder does not exist, or cannot be opened


@dataclass(frozen=True)
class Failure:
    """A storage failure: `what` happened (no file names: the portal shows it to anyone),
    `where` (a file or folder, when known) and what the operator should do (`todo`)."""

    kind: Kind
    what: str
    todo: str
    where: str | None = None

    @property
    def sentence(self) -> str:
        """'what (where), so nothing was changed: todo'."""
        place = f" ({self.where})" if self.where else ""
        return f"{self.what}{place}, so nothing was changed: {self.todo}"


def explain(error: BaseException) -> str | None:
    """One sentence saying what happened and what to do, or None when `error` is not a
    failure of the database or the disk (a bug, which should keep its traceback)."""
    failure = diagnose(error)
    return None if failure is None else failure.sentence


def diagnose(error: BaseException) -> Failure | None:
    """The storage failure `error` is (SQLAlchemy's DBAPIError family or an OSError), or None."""
    if isinstance(error, DBAPIError):
        return _database_failure(error)
    if isinstance(error, OSError):
        return _disk_failure(error)
    return None


UNREACHABLE = Failure(
    Kind.UNAVAILABLE,
    "the database cannot be reached",
    "check that the database server is running and that LOCKGATE_DATABASE_URL names it, "
    "then try again",
)
CONNECTION_LOST = Failure(
    Kind.UNAVAILABLE,
    "the connection to the database was lost",
    "check that the database is running, then try again",
)
LOCKED = Failure(
    Kind.UNAVAILABLE,
    "the database stayed locked by another writer",
    "try again; if it persists, look for a stuck lockgate process",
)
LOGIN_REFUSED = Failure(
    Kind.UNAVAILABLE,
    "the database refused the user name or password",
    "check LOCKGATE_DATABASE_URL (a % in the password is written %25)",
)
NO_SUCH_DATABASE = Failure(
    Kind.MISSING,
    "the database named in LOCKGATE_DATABASE_URL does not exist",
    "create it (createdb NAME) or correct the URL, then run `lockgate init`",
)
READ_ONLY_DATABASE = Failure(
    Kind.READ_ONLY,
    "the database is read-only",
    "let this user write the database file and its folder, or point "
    f"{WHERE} at a writable database",
)
READ_ONLY_SERVER = Failure(
    Kind.READ_ONLY,
    "the database server accepts only reads (a standby, or default_transaction_read_only)",
    "point LOCKGATE_DATABASE_URL at the primary server",
)
DISK_FULL = Failure(
    Kind.FULL,
    "the disk holding the database is full",
    "free some space or grow the volume, then try again",
)
DISK_ERROR = Failure(
    Kind.DISK,
    "the disk failed to read or write the database (it may be full or failing)",
    "check the disk's free space and health, then try again",
)
CANNOT_OPEN = Failure(
    Kind.MISSING,
    "the database file cannot be opened (its folder is missing or cannot be written)",
    f"create the folder and let this user write it, or correct {WHERE}",
)

# SQLite's primary result codes (sqlite3 errors carry the code's name since Python 3.11; an
# extended name such as SQLITE_READONLY_DBMOVED is looked up by its first two parts).
_SQLITE = {
    "SQLITE_READONLY": READ_ONLY_DATABASE,
    "SQLITE_FULL": DISK_FULL,
    "SQLITE_CANTOPEN": CANNOT_OPEN,
    "SQLITE_BUSY": LOCKED,
    "SQLITE_LOCKED": LOCKED,
    "SQLITE_IOERR": DISK_ERROR,
}

# PostgreSQL's SQLSTATE codes, then their class (the first two characters).
_SQLSTATE = {
    "25006": READ_ONLY_SERVER,  # read_only_sql_transaction
    "53100": DISK_FULL,  # disk_full
    "28P01": LOGIN_REFUSED,  # invalid_password
    "28000": LOGIN_REFUSED,  # invalid_authorization_specification
    "3D000": NO_SUCH_DATABASE,  # invalid_catalog_name
    "57P01": CONNECTION_LOST,  # admin_shutdown
    "57P02": CONNECTION_LOST,  # crash_shutdown
    "57P03": UNREACHABLE,  # cannot_connect_now (starting up)
}
_SQLSTATE_CLASS = {"08": UNREACHABLE, "53": DISK_FULL}

# What drivers say when no code is given (failures to connect happen before the server
# answers with one). Lower case; the first match wins.
_MESSAGES = (
    ("no space left on device", DISK_FULL),
    ("could not extend file", DISK_FULL),
    ("read-only transaction", READ_ONLY_SERVER),
    ("password authentication failed", LOGIN_REFUSED),
    ("server closed the connection", CONNECTION_LOST),
    ("terminating connection", CONNECTION_LOST),
    ("connection is closed", CONNECTION_LOST),
    ("consuming input failed", CONNECTION_LOST),
    ("could not connect", UNREACHABLE),
    ("connection refused", UNREACHABLE),
    ("connection failed", UNREACHABLE),
    ("timeout expired", UNREACHABLE),
    ("could not translate host name", UNREACHABLE),
)


def _database_failure(error: DBAPIError) -> Failure | None:
    driver = error.orig
    sqlite_name = getattr(driver, "sqlite_errorname", None) or ""
    by_sqlite = _SQLITE.get("_".join(sqlite_name.split("_")[:2]))
    if by_sqlite is not None:
        return by_sqlite
    state = getattr(driver, "sqlstate", None) or ""
    by_state = _SQLSTATE.get(state) or _SQLSTATE_CLASS.get(state[:2])
    if by_state is not None:
        return by_state
    text = str(driver).lower()
    by_text = next((failure for words, failure in _MESSAGES if words in text), None)
    if by_text is not None:
        return by_text
    return CONNECTION_LOST if error.connection_invalidated else None


def _disk_failure(error: OSError) -> Failure | None:
    where = None if error.filename is None else str(error.filename)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return Failure(Kind.FULL, "the disk is full", "free some space, then try again", where)
    if error.errno in (errno.EACCES, errno.EPERM):
        return Failure(
            Kind.READ_ONLY,
            "permission denied",
            f"let this user read and write it, or set {WHERE} to a folder it can write",
            where,
        )
    if error.errno == errno.EROFS:
        return Failure(
            Kind.READ_ONLY,
            "the file system is read-only",
            f"set {WHERE} to a folder on a writable disk",
            where,
        )
    if error.errno in (errno.ENOTDIR, errno.EEXIST):
        return Failure(
            Kind.MISSING,
            "a file is where a folder should be",
            f"move the file away, or set {WHERE} to another folder",
            where,
        )
    if error.errno == errno.ENOENT:
        return Failure(
            Kind.MISSING,
            "a file or folder does not exist",
            f"create it, or correct {WHERE}",
            where,
        )
    return None
