"""Audit checkpoints: a signed record of how many events a trail held and its head hash.

A chain checked only against itself cannot see its newest events deleted, or the whole chain
rewritten. A checkpoint, signed with a key kept outside the database and written outside it,
can: gates.chain.verify_chain checks a trail against one.

Pure functions: no I/O and no clock (times are passed in).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from gates.chain import ChainHead, canonical_bytes, utc_text

_CHECKPOINT_FIELDS = frozenset({"count", "created_at", "head_hash", "signature"})
_HEX_DIGITS = frozenset("0123456789abcdef")
_FILE_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
BAD_SIGNATURE = (
    "The checkpoint file's signature does not match: "
    "it was altered, or it was signed with another key."
)


class CheckpointError(ValueError):
    """A checkpoint file that is malformed or whose signature does not verify."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed record that the trail once held `count` events ending in `head_hash`."""

    count: int
    head_hash: str
    created_at: datetime
    signature: str


def sign_checkpoint(head: ChainHead, created_at: datetime, key: bytes) -> Checkpoint:
    """Return a checkpoint of the trail ending at `head`, signed with `key` (HMAC-SHA256).

    Raises ValueError if `created_at` is naive.
    """
    signature = _signature(head.seq, head.hash, created_at, key)
    return Checkpoint(head.seq, head.hash, created_at.astimezone(UTC), signature)


def checkpoint_to_json(checkpoint: Checkpoint) -> str:
    """Return the text of a checkpoint file: JSON, keys sorted, one per line."""
    fields = {
        "count": checkpoint.count,
        "created_at": utc_text(checkpoint.created_at),
        "head_hash": checkpoint.head_hash,
        "signature": checkpoint.signature,
    }
    return orjson.dumps(fields, option=_FILE_OPTIONS).decode()


def checkpoint_from_json(text: str | bytes, key: bytes) -> Checkpoint:
    """Return the checkpoint held by a checkpoint file, once its signature checks out.

    Raises CheckpointError if the text is not a well-formed checkpoint, or if its signature
    does not match `key`.
    """
    checkpoint = _parse_checkpoint(text)
    expected = _signature(checkpoint.count, checkpoint.head_hash, checkpoint.created_at, key)
    if not hmac.compare_digest(expected, checkpoint.signature):
        raise CheckpointError(BAD_SIGNATURE)
    return checkpoint


def _signature(count: int, head_hash: str, created_at: datetime, key: bytes) -> str:
    signed = canonical_bytes({"count": count, "head_hash": head_hash, "created_at": created_at})
    return hmac.new(key, signed, hashlib.sha256).hexdigest()


def _parse_checkpoint(text: str | bytes) -> Checkpoint:
    try:
        fields = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise CheckpointError(f"The checkpoint file is not valid JSON: {error}.") from None
    if not isinstance(fields, dict) or set(fields) != _CHECKPOINT_FIELDS:
        raise _malformed("it must hold exactly count, created_at, head_hash and signature")
    return Checkpoint(
        _count(fields["count"]),
        _hex(fields["head_hash"], "head_hash"),
        _moment(fields["created_at"]),
        _hex(fields["signature"], "signature"),
    )


def _malformed(why: str) -> CheckpointError:
    return CheckpointError(f"The checkpoint file is malformed: {why}.")


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _malformed("count must be a whole number of at least 1")
    return value


def _hex(value: object, name: str) -> str:
    if not isinstance(value, str) or len(value) != 64 or not _HEX_DIGITS.issuperset(value):
        raise _malformed(f"{name} must be 64 lowercase hexadecimal digits")
    return value


def _moment(value: object) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise _malformed("created_at must be a UTC time such as 2026-11-28T10:00:00Z")
    return moment.astimezone(UTC)
