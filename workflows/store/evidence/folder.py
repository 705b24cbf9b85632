"""The folder store: files under one folder, at `ab/cdef...` for digest 'abcdef...'.

The default, for one host. Several hosts share evidence through S3 instead (s3.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from workflows.store.evidence.integrity import checked, receive
from workflows.store.evidence.store import (
    DEFAULT_MAX_BYTES,
    StoreUnavailable,
    missing,
    require_digest,
)


class FolderStore:
    """Evidence files under `root`, written once (read-only files), checked on every read."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    @property
    def location(self) -> str:
        """The folder, for messages."""
        return str(self.root)

    def put(self, stream: BinaryIO) -> tuple[str, int]:
        """Store the bytes of `stream`; returns (sha256 hex digest, size).

        The bytes go to a temporary file in the same folder, renamed into place only once
        complete: a failure (too large, empty, a broken upload) leaves nothing behind.
        Raises InvalidInput when the file is empty or larger than the limit.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.root, delete=False) as temp:
            try:
                digest, size = receive(stream, temp, self.max_bytes)
            except BaseException:
                temp.close()
                os.unlink(temp.name)
                raise
        target = self.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.unlink(temp.name)
        else:
            os.replace(temp.name, target)
            target.chmod(0o444)
        return digest, size

    def path(self, digest: str) -> Path:
        """Where the file with this digest is (or would be) stored."""
        require_digest(digest)
        return self.root / digest[:2] / digest[2:]

    def open(self, digest: str, size: int | None = None) -> BinaryIO:
        """The stored file, checked against `digest` (and `size`) as it is read.

        Raises EvidenceMissing when it is gone; the stream raises EvidenceMismatch.
        """
        try:
            source = self.path(digest).open("rb")
        except FileNotFoundError:
            raise missing(digest, self.location) from None
        return checked(source, digest, size, self.location)

    def exists(self, digest: str) -> bool:
        """True when a file is stored under this digest."""
        return self.path(digest).is_file()

    def check(self) -> None:
        """Raises StoreUnavailable when the folder exists but is not a folder."""
        if self.root.exists() and not self.root.is_dir():
            raise StoreUnavailable(
                f"The evidence folder {self.root} is not a folder: set LOCKGATE_INSTANCE "
                "to another folder."
            )
