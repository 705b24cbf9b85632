"""Digests on the way in and on the way out: every byte stored is hashed as it arrives, and
every byte read is hashed and compared with the file's record before anyone relies on it."""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
from typing import IO, BinaryIO, Protocol

from workflows.errors import InvalidInput
from workflows.store.evidence.store import EvidenceMismatch, too_large

CHUNK = 1024 * 1024
# A download up to this size is checked in memory; a larger one in a temporary file.
SPOOL_IN_MEMORY = 1024 * 1024


def receive(stream: BinaryIO, into: IO[bytes], max_bytes: int) -> tuple[str, int]:
    """Copy `stream` into `into` in chunks; returns (sha256 hex digest, size).

    Raises InvalidInput as soon as the file passes `max_bytes`, or when it is empty.
    """
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        digest.update(chunk)
        into.write(chunk)
    if size == 0:
        raise InvalidInput("The file is empty: attach a file with content.")
    return digest.hexdigest(), size


class Source(Protocol):
    """Where stored bytes come from: an open file, or an S3 object's body."""

    def read(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


class _CheckedSource(io.RawIOBase):
    """The bytes of `source`, hashed as they pass; at their end, compared with the record."""

    def __init__(self, source: Source, digest: str, size: int | None, location: str) -> None:
        super().__init__()
        self._source = source
        self._expected = (digest, size)
        self._location = location
        self._hash = hashlib.sha256()
        self._count = 0
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._source.read(len(buffer))
        if not chunk:
            self._check_end()
            return 0
        buffer[: len(chunk)] = chunk
        self._hash.update(chunk)
        self._count += len(chunk)
        size = self._expected[1]
        if size is not None and self._count > size:  # no need to read on to know
            raise self._mismatch()
        return len(chunk)

    def _check_end(self) -> None:
        digest, size = self._expected
        if not self._checked and (
            self._hash.hexdigest() != digest or (size is not None and self._count != size)
        ):
            raise self._mismatch()
        self._checked = True

    def _mismatch(self) -> EvidenceMismatch:
        digest, size = self._expected
        recorded = f"{size:,} bytes with SHA-256 {digest}" if size is not None else digest
        return EvidenceMismatch(
            f"The stored file {digest} in {self._location} does not match its record "
            f"(the record says {recorded}; {self._count:,} bytes read so far hash to "
            f"{self._hash.hexdigest()}): it was altered or damaged. It is not served: "
            "tell an admin."
        )

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()


def checked(source: Source, digest: str, size: int | None, location: str) -> BinaryIO:
    """`source` as a stream that raises EvidenceMismatch, at the latest when read to its end,
    if its bytes do not hash to `digest` (or number other than `size`)."""
    return io.BufferedReader(_CheckedSource(source, digest, size, location), CHUNK)


def verified_copy(stream: BinaryIO) -> IO[bytes]:
    """The whole of a checked `stream`, verified, in a rewound temporary file (or memory).

    Read to its end before a byte is returned, so a mismatch raises here, before a response
    is committed. Raises what the stream raises; `stream` is closed either way.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (returned)
    try:
        with stream:
            shutil.copyfileobj(stream, spool, CHUNK)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def verify(stream: BinaryIO) -> None:
    """Read a checked `stream` to its end and close it; raises EvidenceMismatch on a mismatch."""
    with stream:
        while stream.read(CHUNK):
            pass
