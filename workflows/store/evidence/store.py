"""What every evidence store promises, and the errors it raises in the user's words."""

from __future__ import annotations

import re
import unicodedata
from typing import BinaryIO, Protocol

from workflows.errors import InvalidInput, LockgateError

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class EvidenceStore(Protocol):
    """Files kept by their SHA-256: written once, never overwritten, checked on every read.

    Two kinds: a folder (`FolderStore`, the default) and S3-compatible object storage
    (`S3Store`), chosen by LOCKGATE_EVIDENCE_URL.
    """

    max_bytes: int

    @property
    def location(self) -> str:
        """Where the files are, for messages: a folder path or s3://bucket/prefix."""
        ...

    def put(self, stream: BinaryIO) -> tuple[str, int]:
        """Store the bytes of `stream` (read to its end); returns (sha256 hex digest, size).

        Raises InvalidInput when the file is empty or over `max_bytes`; then, or on any other
        failure, nothing is kept. Storing bytes already stored keeps the one copy.
        """
        ...

    def open(self, digest: str, size: int | None = None) -> BinaryIO:
        """The stored file, as a stream checked against its record while it is read.

        Raises EvidenceMissing when there is no such file; the stream raises EvidenceMismatch
        when its bytes do not hash to `digest` (or number other than `size`) by the time it
        has been read to its end. Use `verified_copy` to check before serving a byte.
        """
        ...

    def exists(self, digest: str) -> bool:
        """True when a file is stored under this digest (its content is not read)."""
        ...

    def check(self) -> None:
        """Raises StoreUnavailable, saying what to set, when the store cannot be used now."""
        ...


class EvidenceMissing(LockgateError):
    """A recorded file is not in the store."""


class EvidenceMismatch(LockgateError):
    """A stored file's bytes do not match the SHA-256 (or the size) of its record."""


class StoreUnavailable(LockgateError):
    """The store cannot be reached or is not set up; the message says what to set."""


def safe_filename(name: str) -> str:
    """A file name safe to store and offer for download: no path, no control characters."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")[:200]
    return cleaned or "evidence"


def require_digest(digest: str) -> str:
    """The digest itself; raises InvalidInput when it is not a lowercase SHA-256 hex digest."""
    if not _SHA256.fullmatch(digest):
        raise InvalidInput(f"'{digest}' is not a SHA-256 digest.")
    return digest


def too_large(max_bytes: int) -> InvalidInput:
    """The refusal of a file over the limit."""
    limit = max_bytes / (1024 * 1024)
    return InvalidInput(
        f"The file is larger than the {limit:g} MiB limit: attach a smaller file or a link."
    )


def missing(digest: str, location: str) -> EvidenceMissing:
    """The error of a recorded file that is not in the store."""
    return EvidenceMissing(
        f"The stored file {digest} is missing from {location}: tell an admin "
        "(restore it from a backup, or run `lockgate evidence migrate` again)."
    )
