"""What binds a review to its evidence and a signature to its record: the snapshot digest and
the signature's content hash.

A review's snapshot names the policy, the gate, the tier, the facts and the artifact versions
it was submitted on; since formula 2 also the project and the round, so the same evidence
under another project or round has another digest. A signature's content hash covers who
signed what, where, as whom and when (the comment by its digest): a signature row copied to
another review, or edited, no longer matches its hash or the hash its audit event recorded.

Pure: canonical JSON (gates.chain) and SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gates.chain import canonical_bytes

# The snapshot formula of reviews submitted from now on; reviews keep the formula they were
# submitted with (None or 1: before the project and round were bound).
SNAPSHOT_FORMULA = 2


def snapshot_content(
    base: Mapping[str, Any], project_key: str, round_: int, formula: int | None
) -> dict[str, Any]:
    """The snapshot of a review: `base` (policy, gate, tier, facts, artifacts), bound to the
    project and the round under formula 2 and later."""
    frozen = dict(base)
    if (formula or 1) >= 2:
        frozen.update(formula=formula, project=project_key, round=round_)
    return frozen


def snapshot_digest(frozen: Mapping[str, Any]) -> str:
    """The hex SHA-256 of a snapshot's canonical bytes."""
    return hashlib.sha256(canonical_bytes(frozen)).hexdigest()


@dataclass(frozen=True, slots=True)
class SignatureContent:
    """Everything a signature says, as its content hash covers it."""

    project: str
    gate: str
    round: int
    signer: str
    role: str
    on_behalf_of: str | None
    meaning: str
    decision: str
    comment: str
    snapshot_digest: str
    signed_at: datetime


def signature_hash(content: SignatureContent) -> str:
    """The hex SHA-256 of a signature's content (the comment by its own digest)."""
    return hashlib.sha256(
        canonical_bytes(
            {
                "project": content.project,
                "gate": content.gate,
                "round": content.round,
                "signer": content.signer,
                "role": content.role,
                "on_behalf_of": content.on_behalf_of,
                "meaning": content.meaning,
                "decision": content.decision,
                "comment_digest": hashlib.sha256(content.comment.encode()).hexdigest(),
                "snapshot_digest": content.snapshot_digest,
                "signed_at": content.signed_at,
            }
        )
    ).hexdigest()
