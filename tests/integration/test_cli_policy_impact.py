"""`lockgate policy impact` and `lockgate project migrate` for several projects at once."""

from __future__ import annotations

import json

from tests.integration.factories import policy_source
from tests.integration.test_cli_decisions import lockgate, submitted_template  # noqa: F401


def test_the_pmo_sees_the_impact_then_moves_every_project_that_can_move(lockgate, tmp_path):  # noqa: F811
    lockgate(
        "project", "register", "--as", "pm", "LITE-2", "Second", "--policy", "lite",
        "--fact", "budget=10000", "--fact", "risk=low", "--sponsor", "sponsor",
    )  # fmt: skip
    newer = tmp_path / "lite-v3.yaml"
    newer.write_text(policy_source("lite", 3), encoding="utf-8")
    lockgate("policy", "propose", "--as", "pmo", str(newer))
    lockgate("policy", "approve", "--as", "pmo2", "1")

    impact = json.loads(lockgate("policy", "impact", "--as", "pmo", "lite@3", "--json").output)
    moved = lockgate(
        "project", "migrate", "--as", "pmo", "--to", "3", "--all-on", "lite@2",
        "--reason", "Adopt lite 3", code=1,
    )  # fmt: skip

    assert [(i["project"], i["cannot_move"]) for i in impact] == [
        ("LITE-1", ["A review is open: decide or withdraw it before moving the project."]),
        ("LITE-2", []),
    ]
    assert "moved LITE-2 to lite@3" in moved.output
    assert "LITE-1 not moved" in moved.output and "A review is open" in moved.output
    assert "1 moved, 1 not moved" in moved.output
