"""`lockgate project change` and `lockgate change ...`: a change of facts that needs a request,
proposed, approved and applied from the command line."""

# The fixtures of the command-line smoke tests are imported, then named as parameters.
# ruff: noqa: F811

from __future__ import annotations

import json

from tests.integration.test_cli_smoke import (  # noqa: F401 - fixtures
    decided_template,
    instance,
    lite_project_decided,
    lockgate,
)


def test_a_change_is_proposed_listed_approved_by_sponsor_and_pmo_and_applied(
    lockgate, lite_project_decided
):
    proposed = lockgate(
        "project", "change", "--as", "pm", "LITE-1", "--set", "budget=30000", "--reason", "Scope"
    )

    assert "tier: small -> standard" in proposed.output
    assert "proposed change request 1" in proposed.output
    listed = json.loads(lockgate("change", "list", "--as", "pmo", "--json").output)
    assert [(c["id"], c["project"], c["waiting_for"]) for c in listed] == [
        (1, "LITE-1", ["sponsor", "pmo"])
    ]
    refused = lockgate("change", "approve", "--as", "pm", "1", code=1)
    assert "Nobody may approve a change they proposed." in refused.output
    lockgate("change", "approve", "--as", "sponsor", "1")
    applied = lockgate("change", "approve", "--as", "pmo", "1")
    assert "approved and applied: LITE-1 is now tier standard" in applied.output
    shown = lockgate("change", "show", "--as", "auditor", "1").output
    assert "change request 1 on LITE-1: applied" in shown
    assert "approved as pmo by pmo" in shown
    then = lockgate("project", "show", "LITE-1", "--as-of", "2100-01-01", "--as", "auditor").output
    assert (
        "change request 1 by pm (budget = 30000): applied by pmo; approved by pmo as pmo, "
        "sponsor as sponsor" in then
    ), "the project rebuilt from its trail shows the change request and who approved it"


def test_a_rejection_needs_a_reason_and_closes_the_request(lockgate, lite_project_decided):
    lockgate(
        "project", "change", "--as", "pm", "LITE-1", "--set", "budget=30000", "--reason", "Scope"
    )

    missing = lockgate("change", "reject", "--as", "sponsor", "1", code=2)
    rejected = lockgate("change", "reject", "--as", "sponsor", "1", "--reason", "Not funded")

    assert "--reason" in missing.output
    assert "change request 1 is rejected" in rejected.output
    assert "rejected" in lockgate("change", "list", "--as", "pm", "LITE-1").output
