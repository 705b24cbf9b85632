"""Criteria over evidence fields: `evidence.<artifact>.<field>` names a field of a form artifact;
the loader checks the names and the types, and readiness reads the latest version's values,
saying 'missing' (not 'failed') when the form or the field has no value yet."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import yaml

from gates.model import ProjectState
from gates.readiness import Line, Status, readiness
from policies import FactValue, Policy, check_policy_text, parse_policy
from policies.model import FieldRef
from policies.schema import json_schema

NAME = "evidence.yaml"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)

POLICY = """\
id: evidence
version: 1
title: Criteria over evidence fields
initial_stage: build
facts:
  budget:
    type: money
    title: Approved budget
  regulated:
    type: boolean
    default: false
roles:
  sponsor:
    title: Sponsor
  qa:
    title: Quality lead
tiers:
  - id: large
    when: project.budget > 250000.0
  - id: small
gates:
  - id: build
    name: Build gate
    stage: test
    artifacts:
      - id: charter
        title: Project charter
        kind: file
      - id: afe
        title: Budget authorization
        kind: form
        fields:
          - id: amount
            title: Approved amount
            type: money
          - id: approved_on
            title: Approved on
            type: date
      - id: uat_signoff
        title: UAT sign-off
        kind: form
        fields:
          - id: critical_defects
            title: Open critical defects
            type: integer
          - id: recommendation
            title: Business recommendation
            type: enum
            values: [accept, reject]
          - id: workarounds
            title: Workarounds agreed
            type: text
            required: false
          - id: data_reconciled
            title: Data reconciled
            type: boolean
            required: false
    signoffs:
      - role: sponsor
  - id: cutover
    name: Cutover gate
    stage: live
    skip_when: project.regulated
    criteria:
      - id: no_critical_defects
        title: No open critical defects
        expr: evidence.uat_signoff.critical_defects == 0
      - id: within_budget
        title: The authorized amount covers the budget
        expr: evidence.afe.amount >= project.budget
      - id: workarounds_agreed
        title: Workarounds are agreed
        expr: has(evidence.uat_signoff.workarounds) || evidence.uat_signoff.critical_defects == 0
      - id: data_reconciled
        title: Data is reconciled
        expr: evidence.uat_signoff.data_reconciled
      - id: big_spend_clean
        title: A big spend goes live clean
        when: evidence.afe.amount > 100000.0
        expr: has(evidence.uat_signoff.workarounds) || evidence.uat_signoff.critical_defects == 0
      - id: within_the_list
        title: Defects within the agreed list
        expr: "[0, 1].exists(n, n == evidence.uat_signoff.critical_defects)"
    signoffs:
      - role: sponsor
      - role: qa
        when: evidence.uat_signoff.recommendation == "reject"
"""


def edit(old: str, new: str) -> str:
    assert POLICY.count(old) == 1, f"{old!r} must appear exactly once"
    return POLICY.replace(old, new)


def locate(text: str, fragment: str) -> tuple[int, int]:
    assert text.count(fragment) == 1, f"{fragment!r} must appear exactly once"
    before = text[: text.index(fragment)]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def policy() -> Policy:
    return parse_policy(POLICY, NAME)


# -- the loader -------------------------------------------------------------------------------


def test_the_policy_with_criteria_over_evidence_fields_loads() -> None:
    assert check_policy_text(POLICY, NAME)[1] == []


def test_a_condition_records_the_form_fields_it_reads_with_their_titles() -> None:
    cutover = policy().gates[1]

    [ref] = cutover.criteria[0].expr.evidence

    assert ref == FieldRef(
        "uat_signoff", "critical_defects", "UAT sign-off", "Open critical defects"
    )
    assert ref.name == "evidence.uat_signoff.critical_defects"
    assert ref.label == "UAT sign-off: open critical defects"


def test_a_gate_and_its_policy_know_which_forms_their_conditions_read() -> None:
    loaded = policy()

    assert loaded.gates[0].forms_read == frozenset()
    assert loaded.gates[1].forms_read == {"uat_signoff", "afe"}
    assert {a: [f.id for f in fields] for a, fields in loaded.fields_read().items()} == {
        "afe": ["amount"],
        "uat_signoff": ["critical_defects", "recommendation", "workarounds", "data_reconciled"],
    }


def test_a_field_title_that_starts_with_an_acronym_keeps_its_capitals() -> None:
    assert FieldRef("afe", "number", "Budget authorization", "AFE number").label == (
        "Budget authorization: AFE number"
    )


# (expression written, message the problem starts with)
MISTAKES = [
    pytest.param(
        "evidence.uat_sigoff.critical_defects == 0",
        "unknown artifact 'evidence.uat_sigoff' (did you mean 'uat_signoff'?)",
        id="unknown artifact",
    ),
    pytest.param(
        "evidence.uat_signoff.critical_defect == 0",
        "UAT sign-off has no field 'critical_defect' (did you mean 'critical_defects'?); "
        "its fields: critical_defects, recommendation, workarounds, data_reconciled",
        id="unknown field",
    ),
    pytest.param(
        "evidence.charter.title == 'x'",
        "Project charter ('charter') is a file, not a form: only the fields of a form "
        "artifact can be read",
        id="not a form",
    ),
    pytest.param(
        "has(evidence.uat_signoff)",
        "name a field of UAT sign-off: evidence.uat_signoff.<field> (critical_defects, "
        "recommendation, workarounds, data_reconciled)",
        id="no field named",
    ),
    pytest.param(
        "size(evidence) > 0",
        "read a form's field as evidence.<artifact>.<field>, e.g. evidence.afe.amount",
        id="evidence alone",
    ),
    pytest.param(
        "evidence.uat_signoff.critical_defects > 'none'",
        "CEL type error",
        id="integer field compared with text",
    ),
    pytest.param(
        "evidence.afe.amount + 1 > 0.0",
        "CEL type error",
        id="money field mixed with an integer",
    ),
    pytest.param(
        "evidence.uat_signoff.recommendation == 'acept'",
        "evidence.uat_signoff.recommendation is never 'acept' (did you mean 'accept'?)",
        id="enum field compared with a value it cannot take",
    ),
    pytest.param(
        "evidence.uat_signoff.critical_defects",
        "must be true or false, but gives a int value",
        id="not a yes or no",
    ),
]


@pytest.mark.parametrize(("expression", "message"), MISTAKES)
def test_a_mistake_in_an_evidence_name_or_type_is_reported_at_the_criterion(
    expression: str, message: str
) -> None:
    text = edit("expr: evidence.uat_signoff.critical_defects == 0", f'expr: "{expression}"')

    policy_, problems = check_policy_text(text, NAME)

    assert policy_ is None
    [problem] = problems
    assert problem.file == NAME
    assert problem.path == "gates[1].criteria[0].expr"
    assert problem.message.startswith(message), problem.message
    assert (problem.line, problem.column) == locate(text, f'"{expression}"')


# (old, new, path) where reading evidence is not allowed
NOT_THERE = [
    pytest.param(
        "    when: project.budget > 250000.0",
        "    when: evidence.afe.amount > 250000.0",
        "tiers[0].when",
        id="tier rule",
    ),
    pytest.param(
        "skip_when: project.regulated",
        "skip_when: evidence.uat_signoff.data_reconciled",
        "gates[1].skip_when",
        id="skip rule",
    ),
]


@pytest.mark.parametrize(("old", "new", "path"), NOT_THERE)
def test_only_a_criterion_or_a_requirements_when_reads_evidence(
    old: str, new: str, path: str
) -> None:
    _, problems = check_policy_text(edit(old, new), NAME)

    [problem] = problems
    assert problem.path == path
    assert problem.message.startswith("only a criterion or a requirement's 'when' can read")


def test_a_policy_without_forms_says_so_when_a_condition_reads_evidence() -> None:
    text = """\
id: p
version: 1
title: P
facts: {}
roles: {sponsor: {title: Sponsor}}
tiers: [{id: all}]
gates:
  - id: g
    name: G
    stage: s
    criteria: [{id: c, title: C, expr: evidence.afe.amount > 0.0}]
"""
    [problem] = check_policy_text(text, NAME)[1]

    assert problem.message == "unknown artifact 'evidence.afe': the policy has no form"


def test_a_form_declared_at_a_later_gate_may_be_read_by_an_earlier_one() -> None:
    early = "    criteria:\n      - id: early\n        title: Early\n"
    early += "        expr: has(evidence.afe.amount)\n"
    text = edit(
        "      - role: sponsor\n  - id: cutover", f"      - role: sponsor\n{early}  - id: cutover"
    )

    assert check_policy_text(text, NAME)[1] == []


def test_the_json_schema_of_policy_files_accepts_evidence_names_as_any_condition() -> None:
    jsonschema = pytest.importorskip("jsonschema")

    errors = jsonschema.Draft202012Validator(json_schema()).iter_errors(yaml.safe_load(POLICY))

    assert [error.message for error in errors] == []


# -- readiness --------------------------------------------------------------------------------

UAT = {"critical_defects": 0, "recommendation": "accept"}
AFE = {"amount": Decimal("300000"), "approved_on": date(2026, 5, 1)}


def cutover_line(key: str, forms: dict[str, dict[str, FactValue]], **facts: Any) -> Line:
    loaded = policy()
    values: dict[str, FactValue] = {"budget": Decimal("300000"), "regulated": False, **facts}
    state = ProjectState(values, "large", forms=forms)
    found = readiness(loaded, loaded.gates[1], state, NOW).line(key)
    assert found is not None
    return found


# (forms, status, reason)
DEFECT_CASES = [
    pytest.param(
        {"uat_signoff": UAT},
        Status.SATISFIED,
        "No open critical defects: met (UAT sign-off: open critical defects 0 == 0)",
        id="no defect",
    ),
    pytest.param(
        {"uat_signoff": {**UAT, "critical_defects": 1}},
        Status.MISSING,
        "No open critical defects: not met (UAT sign-off: open critical defects 1 is not 0)",
        id="one defect",
    ),
    pytest.param(
        {"uat_signoff": {**UAT, "critical_defects": 2}},
        Status.MISSING,
        "No open critical defects: not met (UAT sign-off: open critical defects 2 is not 0)",
        id="two defects",
    ),
    pytest.param(
        {},
        Status.MISSING,
        "UAT sign-off is missing, so 'No open critical defects' cannot be checked",
        id="no version of the form",
    ),
    pytest.param(
        {"afe": AFE},
        Status.MISSING,
        "UAT sign-off is missing, so 'No open critical defects' cannot be checked",
        id="another form attached, not this one",
    ),
]


@pytest.mark.parametrize(("forms", "status", "reason"), DEFECT_CASES)
def test_a_criterion_reads_the_latest_form_values_and_names_the_field_value(
    forms: dict[str, dict[str, FactValue]], status: Status, reason: str
) -> None:
    line = cutover_line("criterion:no_critical_defects", forms)

    assert (line.status, line.reason) == (status, reason)


# (amount authorized, budget, met) at the boundary of a money field against a money fact
BUDGET_CASES = [
    pytest.param("300000", "300000", True, id="equal"),
    pytest.param("300000.01", "300000", True, id="a cent over"),
    pytest.param("299999.99", "300000", False, id="a cent short"),
    pytest.param("0", "0", True, id="both zero"),
]


@pytest.mark.parametrize(("amount", "budget", "met"), BUDGET_CASES)
def test_a_money_field_compares_with_a_money_fact_to_the_cent(
    amount: str, budget: str, met: bool
) -> None:
    forms: dict[str, dict[str, FactValue]] = {"afe": {**AFE, "amount": Decimal(amount)}}

    line = cutover_line("criterion:within_budget", forms, budget=Decimal(budget))

    assert line.status is (Status.SATISFIED if met else Status.MISSING)


def test_an_unmet_money_criterion_says_the_amount_and_the_budget() -> None:
    forms: dict[str, dict[str, FactValue]] = {"afe": {**AFE, "amount": Decimal("250000")}}

    line = cutover_line("criterion:within_budget", forms)

    assert line.reason == (
        "The authorized amount covers the budget: not met (Budget authorization: approved "
        "amount 250,000 is below budget 300,000)"
    )


def test_an_optional_field_left_empty_makes_the_criterion_missing_and_names_the_field() -> None:
    line = cutover_line("criterion:data_reconciled", {"uat_signoff": UAT})

    assert line.status is Status.MISSING
    assert line.reason == (
        "UAT sign-off: data reconciled is not filled, so 'Data is reconciled' cannot be checked"
    )


@pytest.mark.parametrize(
    ("values", "status"),
    [
        pytest.param({**UAT, "critical_defects": 1}, Status.MISSING, id="defects, no workaround"),
        pytest.param(
            {**UAT, "critical_defects": 1, "workarounds": "manual"},
            Status.SATISFIED,
            id="defects with workarounds",
        ),
        pytest.param(UAT, Status.SATISFIED, id="no defects, no workaround needed"),
    ],
)
def test_an_optional_field_guarded_by_has_is_read_only_when_filled(
    values: dict[str, FactValue], status: Status
) -> None:
    line = cutover_line("criterion:workarounds_agreed", {"uat_signoff": values})

    assert line.status is status


def test_a_has_guard_on_a_field_is_said_as_filled_or_not() -> None:
    line = cutover_line(
        "criterion:workarounds_agreed", {"uat_signoff": {**UAT, "critical_defects": 3}}
    )

    assert line.reason == (
        "Workarounds are agreed: not met (UAT sign-off: workarounds agreed is not filled or "
        "UAT sign-off: open critical defects 3 == 0)"
    )


@pytest.mark.parametrize(("recommendation", "applies"), [("reject", True), ("accept", False)])
def test_a_signoff_may_apply_only_when_a_form_field_says_so(
    recommendation: str, applies: bool
) -> None:
    forms: dict[str, dict[str, FactValue]] = {
        "uat_signoff": {**UAT, "recommendation": recommendation}
    }

    line = cutover_line("signoff:qa", forms)

    assert (line.status is not Status.NOT_APPLICABLE) is applies


def test_a_signoff_whose_when_reads_a_missing_form_applies_and_says_why() -> None:
    line = cutover_line("signoff:qa", {})

    assert line.status is Status.MISSING
    assert line.reason == (
        "Quality lead sign-off required because its condition cannot be checked yet "
        "(UAT sign-off is missing): 0 of 1 signed"
    )


def test_a_criterion_read_in_full_is_not_said_to_miss_an_empty_optional_field() -> None:
    line = cutover_line("criterion:big_spend_clean", {"uat_signoff": UAT})

    assert line.status is Status.SATISFIED
    assert line.reason == (
        "A big spend goes live clean: cannot be checked yet (UAT sign-off: open critical "
        "defects 0 == 0)"
    )


def test_a_comparison_inside_a_macro_is_not_said_the_other_way_round() -> None:
    line = cutover_line(
        "criterion:within_the_list", {"uat_signoff": {**UAT, "critical_defects": 4}}
    )

    assert line.status is Status.MISSING
    assert line.reason == (
        "Defects within the agreed list: not met ([0, 1].exists(n, n == UAT sign-off: open "
        "critical defects 4))"
    )
