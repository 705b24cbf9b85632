"""The evidence store: files kept by their SHA-256, written once, never overwritten."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO

from workflows.errors import InvalidInput

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_filename(name: str) -> str:
    """A file name safe to store and offer for download: no path, no control characters."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")[:200]
    return cleaned or "evidence"


class EvidenceStore:
    """Files under `root`, at `ab/cdef...` for digest 'abcdef...'."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def put(self, stream: BinaryIO) -> tuple[str, int]:
        """Store the bytes of `stream`; returns (sha256 hex digest, size).

        Raises InvalidInput when the file is empty or larger than the limit; nothing is kept.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile(dir=self.root, delete=False) as temp:
            try:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise InvalidInput(self._too_large())
                    digest.update(chunk)
                    temp.write(chunk)
                if size == 0:
                    raise InvalidInput("The file is empty: attach a file with content.")
            except BaseException:
                temp.close()
                os.unlink(temp.name)
                raise
        hexdigest = digest.hexdigest()
        target = self.path(hexdigest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.unlink(temp.name)
        else:
            os.replace(temp.name, target)
            target.chmod(0o444)
        return hexdigest, size

    def _too_large(self) -> str:
        limit = self.max_bytes / (1024 * 1024)
        return f"The file is larger than the {limit:g} MiB limit: attach a smaller file or a link."

    def path(self, digest: str) -> Path:
        """Where the file with this digest is (or would be) stored."""
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise InvalidInput(f"'{digest}' is not a SHA-256 digest.")
        return self.root / digest[:2] / digest[2:]

    def open(self, digest: str) -> BinaryIO:
        """Open the stored file for reading; raises FileNotFoundError if it is gone."""
        return self.path(digest).open("rb")
