"""Checking audit proofs with no database: what an external auditor runs on a proof file and
the log's public key (`lockgate audit check-proof`). docs/audit.md writes the same steps out
for anyone who would rather check with their own tools."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from gates.checkpoints import CheckpointError
from gates.merkle import ProofError, leaf_hash, verify_consistency, verify_inclusion
from gates.notes import NoteError, parse_consistency, parse_proof
from workflows.verbs.audit import open_checkpoints


def check_inclusion(text: str, keys: Sequence[str] = ()) -> str:
    """What a tlog-proof proves, in words, once its checkpoint's signature and its inclusion
    proof hold; CheckpointError saying why not."""
    try:
        proof = parse_proof(text)
    except NoteError as error:
        raise CheckpointError(str(error)) from None
    [signed] = open_checkpoints([proof.checkpoint_note], keys)
    try:
        verify_inclusion(
            proof.index, signed.size, leaf_hash(proof.extra), list(proof.proof), signed.head.root
        )
    except ProofError as error:
        raise CheckpointError(
            f"the event is not proven in the checkpoint's tree: {error}"
        ) from None
    event = _event_words(proof.extra)
    return (
        f"event #{proof.index + 1:,} ({event}) is in {signed.origin}'s trail of "
        f"{signed.size:,} events, signed by key {signed.signed_by.name}+"
        f"{signed.signed_by.key_id.hex()}"
    )


def check_consistency(text: str, old_note: str, new_note: str, keys: Sequence[str] = ()) -> str:
    """What a consistency proof proves about two checkpoints, once both open and it holds."""
    old, new = open_checkpoints([old_note, new_note], keys)
    try:
        old_size, new_size, proof = parse_consistency(text)
    except NoteError as error:
        raise CheckpointError(str(error)) from None
    if (old_size, new_size) != (old.size, new.size):
        raise CheckpointError(
            f"the proof joins trees of {old_size:,} and {new_size:,} events, not the "
            f"checkpoints given ({old.size:,} and {new.size:,})"
        )
    try:
        verify_consistency(old.head, new.head, list(proof))
    except ProofError as error:
        raise CheckpointError(str(error)) from None
    return (
        f"the trail of {new.size:,} events extends the trail of {old.size:,} events: "
        "nothing before it was changed"
    )


def _event_words(body: bytes) -> str:
    try:
        event = orjson.loads(body)
        return f"{event['action']} by {event['actor']} at {event['at']}"
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return "not an audit event"
