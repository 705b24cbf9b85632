"""What binds a review to its evidence and a signature to its record (gates.binding)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime

import pytest

from gates.binding import SignatureContent, signature_hash, snapshot_content, snapshot_digest

BASE = {
    "policy": "standard@2",
    "gate": "initiation",
    "tier": "medium",
    "facts": {},
    "artifacts": {},
}
SIGNED = SignatureContent(
    "ERP-1", "initiation", 1, "sam", "sponsor", None, "Approved as sponsor", "go", "",
    "ab" * 32, datetime(2026, 6, 30, 12, tzinfo=UTC),
)  # fmt: skip


def test_under_formula_2_the_same_evidence_has_another_digest_in_another_project_or_round():
    first = snapshot_digest(snapshot_content(BASE, "ERP-1", 1, 2))

    assert snapshot_digest(snapshot_content(BASE, "ERP-2", 1, 2)) != first
    assert snapshot_digest(snapshot_content(BASE, "ERP-1", 2, 2)) != first


def test_reviews_submitted_before_formula_2_keep_the_digest_they_had():
    assert snapshot_content(BASE, "ERP-1", 1, None) == BASE
    assert snapshot_digest(snapshot_content(BASE, "ERP-2", 3, 1)) == snapshot_digest(BASE)


@pytest.mark.parametrize("name", [f.name for f in fields(SignatureContent)])
def test_every_part_of_a_signature_changes_its_hash(name):
    value = getattr(SIGNED, name)
    other = (
        value + 1 if isinstance(value, int)
        else value.replace(hour=13) if isinstance(value, datetime)
        else "someone" if value is None
        else value + "x"
    )  # fmt: skip

    assert signature_hash(replace(SIGNED, **{name: other})) != signature_hash(SIGNED)
