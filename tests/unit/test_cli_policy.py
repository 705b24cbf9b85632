"""`lockgate policy ...`: check, show, diff, explain, schema and list, as a PMO runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from policies import Policy
from policies.library import LIBRARY
from tests.unit.gate_fixtures import MATRIX_POLICY, lite, standard
from web.cli import policy as policy_cli
from web.cli.main import cli

PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+) (?P<path>\S+): (?P<msg>.+)$")


@pytest.fixture(autouse=True)
def loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shipped policies are loaded once per session (reading standard.yaml takes ~0.4 s).

    `policy check` reads files itself and is not affected.
    """
    real = policy_cli.find_policy
    shipped = {"standard": standard, "lite": lite}

    def find_policy(name_or_path: str) -> Policy:
        return shipped[name_or_path]() if name_or_path in shipped else real(name_or_path)

    monkeypatch.setattr(policy_cli, "find_policy", find_policy)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["policy", *args])


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def broken(text: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


# --- check -----------------------------------------------------------------------------------


def test_check_lists_every_problem_with_file_line_column_and_path(tmp_path: Path) -> None:
    text = broken(
        MATRIX_POLICY,
        ("        kind: link\n", "        kind: url\n"),
        ("expr: project.budget <= 1000000", "expr: project.bugdet <= 1000000"),
        (
            "      - role: sponsor\n      - role: architecture\n        min: 2",
            "      - role: sponsr\n      - role: architecture\n        min: 2",
        ),
    )
    path = write(tmp_path, "bad.yaml", text)
    result = run("check", path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:40:15 gates[0].artifacts[1].kind: 'url' is not allowed here;"
        " use 'file', 'link' or 'form'",
        f"{path}:45:15 gates[0].criteria[0].expr: unknown fact 'project.bugdet'"
        " (did you mean 'project.budget'?)",
        f"{path}:55:15 gates[0].signoffs[0].role: unknown role 'sponsr' (did you mean 'sponsor'?)",
        "3 problems in 1 file",
    ]
    for line in result.stdout.splitlines()[:-1]:
        match = PROBLEM_LINE.match(line)
        assert match is not None, line
        assert match["file"] == path


def test_check_says_one_problem_in_the_singular(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", broken(MATRIX_POLICY, ("kind: link", "kind: url")))
    result = run("check", path)
    assert (result.exit_code, result.stdout.splitlines()[-1]) == (1, "1 problem in 1 file")


def test_check_passes_the_shipped_policies() -> None:
    result = run("check", "standard", "lite")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{LIBRARY / 'standard.yaml'}: ok (standard@3, 5 gates, 4 tiers, 62 requirements)",
        f"{LIBRARY / 'lite.yaml'}: ok (lite@2, 3 gates, 2 tiers, 13 requirements)",
        "0 problems in 2 files",
    ]


def test_check_counts_problems_across_files(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", broken(MATRIX_POLICY, ("kind: link", "kind: url")))
    result = run("check", "lite", bad)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "1 problem in 2 files"


def test_check_suggests_the_closest_shipped_policy_for_an_unknown_name() -> None:
    result = run("check", "standrd")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "standrd:1:1 no policy file or shipped policy named 'standrd' (did you mean 'standard'?)",
        "1 problem in 1 file",
    ]


def test_check_reports_a_missing_file_without_a_traceback(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.yaml")
    result = run("check", path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:1:1 cannot read the file: No such file or directory",
        "1 problem in 1 file",
    ]


def test_check_reports_broken_yaml_with_its_line_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", "id: x\nversion: [1\n  title: : :\n")
    result = run("check", path)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}:3:8 YAML syntax error: ")
    assert lines[-1] == "1 problem in 1 file"
    assert "Traceback" not in result.output


def test_check_reports_a_policy_nested_thousands_deep_as_one_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.yaml", "id: x\nversion: 1\nfacts: " + "[" * 5000 + "]" * 5000)

    result = run("check", path)

    assert result.exit_code == 1
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    [problem, total] = result.stdout.splitlines()
    match = PROBLEM_LINE.match(problem)
    assert match, problem
    assert (match["line"], match["col"], match["path"]) == ("3", "39", "facts" + "[0]" * 31)
    assert match["msg"].startswith("this value is nested 33 levels deep")
    assert total == "1 problem in 1 file"


def test_check_refuses_a_condition_that_could_hang_a_worker_without_running_it(
    tmp_path: Path,
) -> None:
    numbers = "[" + ", ".join(str(n) for n in range(100)) + "]"
    costly = f"{numbers}.all(a, {numbers}.exists(b, a == b))"
    path = write(
        tmp_path,
        "costly.yaml",
        broken(MATRIX_POLICY, ("expr: project.budget <= 1000000", f"expr: '{costly}'")),
    )

    result = run("check", path)

    assert result.exit_code == 1
    assert "run their bodies 10,100 times per evaluation; at most 1,000" in result.stdout


def test_check_needs_at_least_one_file() -> None:
    result = run("check")
    assert result.exit_code == 2
    assert "Missing argument 'FILES...'" in result.stderr


# --- show and list ---------------------------------------------------------------------------


def test_show_lists_every_gate_of_the_standard_policy() -> None:
    result = run("show", "standard")
    assert result.exit_code == 0
    assert result.stdout.startswith("standard@3  Standard IT project policy\n")
    assert "Stages: initiation -> planning -> execution -> cutover -> closure -> closed" in (
        result.stdout
    )
    for heading in [
        "G1 Initiation approval [initiation]: initiation -> planning",
        "G2 Baseline approval [planning]: planning -> execution",
        "G3 Readiness for cutover [execution]: execution -> cutover",
        "G4 Go-live decision [cutover]: cutover -> closure",
        "G5 Project closure [closure]: closure -> closed",
    ]:
        assert heading in result.stdout


def test_show_shows_sign_off_rules_and_skip_conditions(tmp_path: Path) -> None:
    result = run("show", write(tmp_path, "matrix.yaml", MATRIX_POLICY))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert (
        "Ship gate [ship]: build -> live; decisions: go, recycle, hold; decided by the Project"
        ' sponsor or the PMO lead; skipped when tier == "small" && !project.regulated'
    ) in lines
    ship = lines[lines.index("KIND      REQUIREMENT         WHEN    DETAILS") :]
    assert [line.split("  ")[0] for line in ship[1:]] == ["sign-off"] * 3
    assert ship[1].endswith(
        "always  min 1; order 1; independent of evidence attacher, project manager, submitter"
    )
    assert ship[3].endswith("always  min 1; independent of nobody (allowed by policy)")


def test_show_of_an_unknown_policy_suggests_the_closest_and_exits_1() -> None:
    result = run("show", "lit")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "lit:1:1 no policy file or shipped policy named 'lit' (did you mean 'lite'?)",
        "1 problem",
    ]


def test_list_shows_the_shipped_policies() -> None:
    result = run("list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["POLICY", "TITLE", "CONTENTS"]
    assert [line.split()[0] for line in lines[1:]] == [
        "gateway@1",
        "lite@2",
        "stage_gate@1",
        "standard@3",
    ]


# --- diff ------------------------------------------------------------------------------------


def test_diff_of_two_files_lists_each_change_and_counts_them(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", MATRIX_POLICY)
    new_text = broken(
        MATRIX_POLICY, ("version: 1", "version: 2"), ("title: PMO lead", "title: PMO office")
    )
    result = run("diff", old, write(tmp_path, "new.yaml", new_text))
    assert result.exit_code == 0
    assert result.stdout == (
        "matrix@1 -> matrix@2\n"
        "roles: changed pmo (PMO office)\n"
        "    title: 'PMO lead' -> 'PMO office'\n"
        "1 change\n"
    )


def test_diff_names_a_removed_artifact_by_its_key(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", MATRIX_POLICY)
    removed = (
        "      - id: contract\n        title: Vendor contract\n        kind: link\n"
        "        when: project.vendor\n"
    )
    new = write(
        tmp_path, "new.yaml", broken(MATRIX_POLICY, ("version: 1", "version: 2"), (removed, ""))
    )
    result = run("diff", old, new)
    assert result.exit_code == 0
    assert "gate start: removed artifact:contract (Vendor contract)" in result.stdout.splitlines()
    assert re.fullmatch(r"\d+ changes?", result.stdout.splitlines()[-1])


def test_diff_of_identical_policies_has_no_changes() -> None:
    result = run("diff", "standard", "standard")
    assert (result.exit_code, result.stdout) == (0, "standard@3 -> standard@3\n0 changes\n")


def test_diff_with_a_broken_file_reports_its_problems_and_exits_1(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", broken(MATRIX_POLICY, ("kind: link", "kind: url")))
    result = run("diff", "lite", bad)
    assert result.exit_code == 1
    assert f"{bad}:40:15 gates[0].artifacts[1].kind:" in result.stderr
    assert "Traceback" not in result.output


# --- explain ---------------------------------------------------------------------------------


def test_explain_shows_the_tier_and_the_finance_sign_off_with_its_reason() -> None:
    result = run("explain", "standard", "--fact", "budget=400000", "--fact", "regulated=true")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "Tier: Major because regulated is true and budget 400,000 is at least 250,000" in lines
    assert (
        "  + Finance business partner sign-off: Required because budget 400,000 is over 250,000"
    ) in lines
    assert (
        "  - Vendor statement of work and contract: Not needed because vendor involved is false"
        in lines
    )
    # Facts not given and without a default are noted, not refused.
    assert lines[:2] == [
        "note: Overall risk rating is required (conditions reading risk cannot be checked)",
        "note: Planned duration (months) is required"
        " (conditions reading duration_months cannot be checked)",
    ]


@pytest.mark.parametrize(
    ("fact", "message"),
    [
        pytest.param(
            "budget=lots",
            "error: Approved budget: 'lots' is not an amount of money"
            " (digits, e.g. 250000 or 12500.50)",
            id="not-money",
        ),
        pytest.param(
            "risk=hgh",
            "error: Overall risk rating: 'hgh' is not allowed (did you mean 'high'?);"
            " use 'low', 'medium', 'high' or 'critical'",
            id="not-an-allowed-value",
        ),
        pytest.param(
            "budgt=1",
            "error: this policy has no fact 'budgt' (did you mean 'budget'?)",
            id="unknown-fact",
        ),
        pytest.param(
            "regulated=maybe",
            "error: Regulated system: 'maybe' is not true or false",
            id="not-a-boolean",
        ),
    ],
)
def test_explain_refuses_a_bad_fact_value_with_exit_2_and_a_clear_message(
    fact: str, message: str
) -> None:
    result = run("explain", "standard", "--fact", fact)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [message]


@pytest.mark.parametrize("fact", ["nonsense", "=400000"])
def test_explain_treats_a_fact_without_name_and_equals_as_a_usage_error(fact: str) -> None:
    result = run("explain", "standard", "--fact", fact)
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: lockgate policy explain [OPTIONS] POLICY")
    assert f"Error: Invalid value for --fact: '{fact}' is not NAME=VALUE" in result.stderr


def test_explain_json_is_valid_json_with_the_tier_and_every_gate() -> None:
    result = run(
        "explain", "standard", "--json", "--fact", "budget=400000", "--fact", "regulated=true"
    )
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["tier"] == "major"
    assert document["tier_reason"] == (
        "Major because regulated is true and budget 400,000 is at least 250,000"
    )
    assert [g["gate"] for g in document["gates"]] == [
        "initiation",
        "planning",
        "execution",
        "cutover",
        "closure",
    ]
    initiation = document["gates"][0]
    assert initiation["skipped"] is None
    assert {
        "key": "signoff:finance",
        "title": "Finance business partner sign-off",
        "reason": "Required because budget 400,000 is over 250,000",
        "when": {
            "held": True,
            "because": "budget 400,000 is over 250,000",
            "parts": [{"text": "budget 400,000 is over 250,000", "held": True}],
        },
    } in initiation["required"]
    assert document["gates"][1]["not_needed"][0] == {
        "key": "artifact:vendor_contract",
        "title": "Vendor statement of work and contract",
        "reason": "Not needed because vendor involved is false",
        "when": {
            "held": False,
            "because": "vendor involved is false",
            "parts": [{"text": "vendor involved is false", "held": False}],
        },
    }


def test_explain_says_whether_each_criterion_passes_fails_or_cannot_be_told_yet() -> None:
    result = run(
        "explain", "standard", "--fact", "budget=600000", "--fact", "risk=high",
        "--fact", "duration_months=40",
    )  # fmt: skip
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "Tier: Large because budget 600,000 is over 250,000 or risk is high",
        "  Not Major because budget 600,000 is under 1,000,000 and risk is high, not critical"
        " and regulated is false",
    ]
    assert (
        "  ✗ Projects longer than 3 years must be split into phases:"
        " fails because duration 40 months is over 36"
    ) in lines
    assert (
        "  ✓ Regulated or personal-data projects are not rated low risk: passes because"
        " (regulated is false and handles personal data is false) or risk is high, not low"
    ) in lines
    assert (
        "  ✗ The owning business unit is recorded: fails because business unit is not set"
        " (required because tier is large, not small)"
    ) in lines
    unknown = run("explain", "standard", "--fact", "budget=600000", "--fact", "risk=high")
    assert (
        "  ? Projects longer than 3 years must be split into phases:"
        " cannot tell yet: duration months is not set"
    ) in unknown.stdout.splitlines()


def test_explain_json_gives_each_criterions_verdict_and_the_parts_that_held() -> None:
    result = run(
        "explain", "standard", "--json", "--fact", "budget=600000", "--fact", "risk=high",
        "--fact", "duration_months=10", "--fact", "business_unit=Finance",
    )  # fmt: skip
    document = json.loads(result.stdout)
    assert document["tiers_passed_over"] == [
        "Not Major because budget 600,000 is under 1,000,000 and risk is high, not critical"
        " and regulated is false"
    ]
    business_unit = next(
        n for n in document["gates"][0]["required"]
        if n["key"] == "criterion:business_unit_recorded"
    )  # fmt: skip
    assert business_unit["check"] == {
        "verdict": "passes",
        "held": True,
        "because": "business unit is set and length of business unit 7 is over 0",
        "parts": [
            {"text": "business unit is set", "held": True},
            {"text": "length of business unit 7 is over 0", "held": True},
        ],
    }
    charter = document["gates"][0]["required"][0]
    assert charter == {
        "key": "artifact:project_charter",
        "title": "Project charter",
        "reason": "Required at this gate",
    }


def test_explain_prints_a_skipped_gate_with_its_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "matrix.yaml", MATRIX_POLICY)
    result = run("explain", path, "--fact", "budget=100", "--fact", "vendor=no")
    assert result.exit_code == 0
    assert result.stdout.endswith(
        "\nShip gate [ship]\n  Ship gate is skipped because tier is small and regulated is false\n"
    )


# --- schema ----------------------------------------------------------------------------------


def test_schema_prints_the_json_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "Lockgate policy"
    assert schema["additionalProperties"] is False


# --- text from the policy file ---------------------------------------------------------------


def test_a_title_and_a_file_name_with_control_characters_are_printed_visibly(
    tmp_path: Path,
) -> None:
    text = broken(MATRIX_POLICY, ("title: Readiness matrix", 'title: "\\u202Exirtam\\e[2J"'))
    path = write(tmp_path, "matrix\x1b[31m.yaml", text)

    checked = run("check", path)
    shown = run("show", path)

    assert checked.stdout.splitlines()[0] == (
        f"{tmp_path}/matrix\\x1b[31m.yaml: ok (matrix@1, 2 gates, 2 tiers, 11 requirements)"
    )
    assert shown.stdout.splitlines()[0] == "matrix@1  \\u202exirtam\\x1b[2J"
    for result in (checked, shown):
        assert "\x1b" not in result.output
        assert "\u202e" not in result.output


def test_show_says_what_a_gates_decision_waits_for_beyond_its_requirements(tmp_path: Path) -> None:
    text = MATRIX_POLICY.replace(
        "    decisions: [go, recycle, hold]\n",
        "    decisions: [go, recycle, hold]\n    vote: {panel: architecture, needs: 2}\n"
        "    max_rounds: 3\n",
    )

    lines = run("show", write(tmp_path, "matrix.yaml", text)).stdout.splitlines()

    [heading] = [line for line in lines if line.startswith("Ship gate [ship]")]
    assert "; a vote of the " in heading and " panel (2); at most 3 review rounds" in heading
