"""Decisions that bind, from the command line: conditions listed and closed by their owner,
a recycle's target, and a PMO override asked for by one member and confirmed by another."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.integration.command_line import SECRET, command_line, point_at


@pytest.fixture(scope="module")
def submitted_template(tmp_path_factory):
    """An instance where LITE-1's first gate is submitted and signed by the PMO only."""
    root = tmp_path_factory.mktemp("cli-decisions")
    lockgate = command_line()
    with pytest.MonkeyPatch.context() as patch:
        point_at(root / "instance", root / "keys", patch)
        lockgate("init", "--admin", "admin", "--admin-name", "Ada", "--admin-password", SECRET)
        for user, name, role in [
            ("pm", "Pat Manager", "project_manager"),
            ("sponsor", "Sam Sponsor", None),
            ("pmo", "Pia PMO", "pmo"),
            ("pmo2", "Paul PMO", "pmo"),
        ]:
            roles = ["--role", role] if role else []
            lockgate(
                "user", "add", "--as", "admin", user, "--name", name, *roles, "--password", SECRET
            )
        lockgate(
            "project", "register", "--as", "pm", "LITE-1", "Small thing", "--policy", "lite",
            "--fact", "budget=10000", "--fact", "risk=low", "--sponsor", "sponsor",
        )  # fmt: skip
        charter = root / "charter.pdf"
        charter.write_bytes(b"%PDF charter")
        lockgate("attach", "--as", "pm", "LITE-1", "charter", "--file", str(charter))
        lockgate("attach", "--as", "pm", "LITE-1", "project_plan", "--url", "https://x.example/1")
        lockgate("gate", "submit", "--as", "pm", "LITE-1")
        lockgate("gate", "sign", "--as", "pmo", "LITE-1", "--password", SECRET)
    return root / "instance"


@pytest.fixture
def lockgate(submitted_template, tmp_path, monkeypatch):
    point_at(tmp_path / "instance", tmp_path / "keys", monkeypatch)
    shutil.copytree(submitted_template, tmp_path / "instance")
    return command_line()


def test_the_owner_lists_and_closes_a_condition_from_the_command_line(lockgate):
    lockgate("gate", "sign", "--as", "sponsor", "LITE-1", "--decision", "conditional_go",
             "--password", SECRET,
             "--comment", "One condition")  # fmt: skip
    lockgate(
        "gate", "decide", "--as", "sponsor", "LITE-1", "conditional_go",
        "--condition", "Book the support rota; Pat Manager; 2099-01-31",
    )  # fmt: skip

    mine = json.loads(lockgate("condition", "list", "--as", "pm", "--json").output)
    assert [(c["project"], c["owner"], c["open"]) for c in mine] == [("LITE-1", "pm", True)]
    refused = lockgate("condition", "close", "--as", "sponsor", str(mine[0]["id"]),
                       "--note", "Done", code=1)  # fmt: skip
    assert "Only the condition's owner (pm) may close it." in refused.output
    closed = lockgate("condition", "close", "--as", "pm", str(mine[0]["id"]),
                      "--note", "Rota booked", "--evidence", "charter")  # fmt: skip

    assert f"closed condition {mine[0]['id']} of LITE-1 initiation on charter@1" in closed.output
    listed = lockgate("condition", "list", "--as", "sponsor", "LITE-1").output
    assert "closed by pm" in listed
    assert "0 condition(s)" in lockgate("condition", "list", "--as", "pm").output


def test_a_pmo_override_is_asked_for_by_one_member_and_confirmed_by_another(lockgate):
    asked = lockgate("gate", "override", "--as", "pmo", "LITE-1", "--reason", "Sponsor away")
    assert "override 1 asked for; missing: Project sponsor sign-off required" in asked.output

    same = lockgate("gate", "override-answer", "--as", "pmo", "1", "--confirm", code=1)
    assert "a second member of the PMO must confirm it" in same.output
    confirmed = lockgate("gate", "override-answer", "--as", "pmo2", "1", "--confirm")

    assert "override 1 confirmed" in confirmed.output
    assert "execution" in lockgate("project", "show", "--as", "pmo", "LITE-1").output


def test_a_recycle_to_a_gate_the_policy_does_not_allow_is_refused_in_words(lockgate):
    lockgate("gate", "sign", "--as", "sponsor", "LITE-1", "--decision", "recycle",
             "--password", SECRET,
             "--comment", "Rework")  # fmt: skip

    refused = lockgate(
        "gate", "decide", "--as", "sponsor", "LITE-1", "recycle", "--reason", "Rework",
        "--recycle-to", "closure", code=1,
    )  # fmt: skip

    assert "may go back to initiation only" in refused.output
