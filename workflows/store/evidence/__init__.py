"""The evidence store: files kept by their SHA-256, written once, never overwritten, checked
against their record on every read. A folder by default; S3-compatible object storage when
LOCKGATE_EVIDENCE_URL=s3://bucket/prefix, so that several hosts serve the same files."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

from workflows.store.evidence.folder import FolderStore
from workflows.store.evidence.integrity import verified_copy, verify
from workflows.store.evidence.s3 import S3Store
from workflows.store.evidence.store import (
    DEFAULT_MAX_BYTES,
    EvidenceMismatch,
    EvidenceMissing,
    EvidenceStore,
    StoreUnavailable,
    safe_filename,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EvidenceMismatch",
    "EvidenceMissing",
    "EvidenceStore",
    "FolderStore",
    "S3Store",
    "StoreUnavailable",
    "s3_store",
    "safe_filename",
    "store_from_environment",
    "verified_copy",
    "verify",
]

SETTING = "LOCKGATE_EVIDENCE_URL"
# S3's bucket naming rules, as far as a typo is concerned.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def store_from_environment(folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> EvidenceStore:
    """The store LOCKGATE_EVIDENCE_URL names (s3://bucket/prefix), or the folder when unset.

    Raises StoreUnavailable when the setting is not an s3:// address.
    """
    url = os.environ.get(SETTING, "").strip()
    if not url:
        return FolderStore(folder, max_bytes)
    return s3_store(url, max_bytes, SETTING)


def s3_store(url: str, max_bytes: int = DEFAULT_MAX_BYTES, source: str = "--to") -> S3Store:
    """The S3 store of an s3://bucket/prefix address (no network yet).

    Raises StoreUnavailable, naming `source` (where the address came from), when it is not one.
    """
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not _BUCKET.fullmatch(parsed.netloc):
        raise StoreUnavailable(
            f"{source}='{url}' is not an S3 address: give s3://<bucket>/<prefix> "
            "(a bucket of 3 to 63 lowercase letters, digits, dots or hyphens)"
            + (", or unset it to keep evidence in the instance folder" if source == SETTING else "")
            + "."
        )
    return S3Store(parsed.netloc, parsed.path, max_bytes)
