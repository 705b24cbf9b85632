"""`lockgate reviews tick` from cron: it opens the review an overdue condition asks for once,
and a second run opens nothing; `project show` lists the review owed."""

from __future__ import annotations

import json

from tests.integration.command_line import SECRET, command_line, point_at
from tests.integration.factories import policy_source

OVERDUE = "\ntriggers:\n  - on: condition_overdue\n    review: initiation\n"


def test_the_tick_opens_an_overdue_conditions_review_once(tmp_path, monkeypatch):
    point_at(tmp_path / "instance", tmp_path / "keys", monkeypatch)
    lockgate = command_line()
    lockgate("init", "--admin", "admin", "--admin-name", "Ada", "--admin-password", SECRET)
    for user, name, role in [("pm", "Pat Manager", "project_manager"), ("sponsor", "Sam", None),
                             ("pmo", "Pia PMO", "pmo"), ("pmo2", "Paul PMO", "pmo")]:  # fmt: skip
        roles = ["--role", role] if role else []
        lockgate("user", "add", "--as", "admin", user, "--name", name, *roles, "--password", SECRET)
    policy = tmp_path / "lite-v3.yaml"
    policy.write_text(policy_source("lite", 3) + OVERDUE, encoding="utf-8")
    lockgate("policy", "propose", "--as", "pmo", str(policy))
    lockgate("policy", "approve", "--as", "pmo2", "1")
    lockgate(
        "project", "register", "--as", "pm", "LITE-1", "Small thing", "--policy", "lite",
        "--fact", "budget=10000", "--fact", "risk=low", "--sponsor", "sponsor",
    )  # fmt: skip
    charter = tmp_path / "charter.pdf"
    charter.write_bytes(b"%PDF charter")
    lockgate("attach", "--as", "pm", "LITE-1", "charter", "--file", str(charter))
    lockgate("attach", "--as", "pm", "LITE-1", "project_plan", "--url", "https://x.example/1")
    lockgate("gate", "submit", "--as", "pm", "LITE-1")
    lockgate("gate", "sign", "--as", "pmo", "LITE-1", "--password", SECRET)
    lockgate("gate", "sign", "--as", "sponsor", "LITE-1", "--decision", "conditional_go",
             "--password", SECRET, "--comment", "One condition")  # fmt: skip
    lockgate("gate", "decide", "--as", "sponsor", "LITE-1", "conditional_go",
             "--condition", "Book the support rota; Pat Manager; 2099-01-31")  # fmt: skip

    before = lockgate("reviews", "tick", "--as-of", "2099-01-31")
    first = json.loads(lockgate("reviews", "tick", "--as-of", "2099-02-01", "--json").output)
    again = lockgate("reviews", "tick", "--as-of", "2099-02-01")

    assert "opened 0 triggered review(s)" in before.output
    assert [(o["project"], o["gate"], o["kind"], o["due_on"]) for o in first] == [
        ("LITE-1", "initiation", "condition_overdue", "2099-02-01")
    ]
    assert "opened 0 triggered review(s)" in again.output
    shown = lockgate("project", "show", "--as", "pm", "LITE-1").output
    assert "went overdue on 2099-02-01 while open" in shown
    verified = lockgate("audit", "verify", "--deep", code=None)
    assert verified.exit_code == 0, verified.output
