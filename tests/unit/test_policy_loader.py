"""The policy loader: a valid file becomes the expected model; every mistake is reported at once,
with its file, line, column, path and a message a PMO analyst understands."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from policies import (
    ArtifactKind,
    Condition,
    Decision,
    FactType,
    Independence,
    Policy,
    PolicyError,
    Problem,
    check_policy_text,
    load_policy,
    parse_policy,
)

NAME = "standard.yaml"
LIBRARY_LITE = (Path(__file__).parents[2] / "policies" / "library" / "lite.yaml").read_text()

Edit = Callable[..., str]


# -- helpers -------------------------------------------------------------------------------


def edit(text: str, old: str, new: str) -> str:
    """`text` with the one occurrence of `old` replaced by `new`."""
    assert text.count(old) == 1, f"{old!r} must appear exactly once"
    return text.replace(old, new)


def locate(text: str, fragment: str) -> tuple[int, int]:
    """The 1-based line and column where the one occurrence of `fragment` starts."""
    assert text.count(fragment) == 1, f"{fragment!r} must appear exactly once"
    before = text[: text.index(fragment)]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def problems_in(text: str) -> list[Problem]:
    """The problems found in `text`, checking that no policy came back with them."""
    policy, problems = check_policy_text(text, NAME)
    assert policy is None
    assert problems
    return problems


def the_problem_in(text: str) -> Problem:
    """The one problem found in `text`."""
    problems = problems_in(text)
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]


def the_problem_at(text: str, path: str) -> Problem:
    """The one problem reported at `path`, among possibly others."""
    found = [p for p in problems_in(text) if p.path == path]
    assert len(found) == 1, "\n".join(str(p) for p in problems_in(text))
    return found[0]


def place(problem: Problem) -> tuple[int, int]:
    return problem.line, problem.column


@pytest.fixture
def policy_with(valid_policy_text: str) -> Edit:
    """The valid policy text with one or more (old, new) replacements applied."""

    def make(old: str, new: str, *more: str) -> str:
        text = edit(valid_policy_text, old, new)
        for index in range(0, len(more), 2):
            text = edit(text, more[index], more[index + 1])
        return text

    return make


# -- a valid policy loads into the expected model ------------------------------------------


def test_a_valid_policy_loads_with_no_problems(valid_policy_text: str) -> None:
    policy, problems = check_policy_text(valid_policy_text, NAME)

    assert problems == []
    assert isinstance(policy, Policy)


def test_a_loaded_policy_knows_its_identity_source_and_digest(
    valid_policy: Policy, valid_policy_text: str
) -> None:
    assert (valid_policy.id, valid_policy.version, valid_policy.ref) == (
        "standard",
        3,
        "standard@3",
    )
    assert valid_policy.title == "Standard delivery policy"
    assert valid_policy.description == "Projects run by the PMO."
    assert valid_policy.source_name == NAME
    assert valid_policy.digest == hashlib.sha256(valid_policy_text.encode()).hexdigest()


def test_the_stages_run_from_the_initial_stage_through_the_stage_each_gate_enters(
    valid_policy: Policy,
) -> None:
    assert valid_policy.stages == ("proposed", "planning", "execution")


def test_the_initial_stage_is_proposed_when_the_policy_does_not_name_one(
    policy_with: Edit,
) -> None:
    policy = parse_policy(policy_with("initial_stage: proposed\n", ""))

    assert policy.initial_stage == "proposed"


def test_a_named_initial_stage_starts_the_stages(policy_with: Edit) -> None:
    policy = parse_policy(policy_with("initial_stage: proposed", "initial_stage: idea"))

    assert policy.stages == ("idea", "planning", "execution")


@pytest.mark.parametrize(
    ("fact_id", "kind", "title", "required", "default"),
    [
        ("budget", FactType.MONEY, "Approved budget", True, None),
        ("headcount", FactType.INTEGER, "Headcount", True, 5),
        ("regulated", FactType.BOOLEAN, "Regulated", True, False),
        ("risk", FactType.ENUM, "Risk", True, "medium"),
        ("go_live", FactType.DATE, "Go live", False, date(2026, 3, 1)),
        ("summary", FactType.TEXT, "Summary", False, None),
    ],
)
def test_each_fact_keeps_its_type_title_requiredness_and_parsed_default(
    valid_policy: Policy,
    fact_id: str,
    kind: FactType,
    title: str,
    required: bool,
    default: object,
) -> None:
    fact = valid_policy.fact(fact_id)

    assert fact is not None
    assert (fact.type, fact.title, fact.required, fact.default) == (kind, title, required, default)


def test_an_enum_fact_keeps_its_values_in_order(valid_policy: Policy) -> None:
    risk = valid_policy.fact("risk")

    assert risk is not None
    assert risk.values == ("low", "medium", "high")


@pytest.mark.parametrize(
    ("kind", "default", "expected"),
    [
        ("money", "250,000.50", Decimal("250000.50")),
        ("money", "1_000", Decimal("1000")),
        ("money", "1200", Decimal("1200")),
        ("integer", "'1,200'", 1200),
        ("boolean", "'yes'", True),
        ("boolean", "off", False),
        ("date", "'2026-03-01'", date(2026, 3, 1)),
        ("text", "42", "42"),
    ],
)
def test_a_fact_default_is_parsed_as_a_value_of_the_facts_type(
    policy_with: Edit, kind: str, default: str, expected: object
) -> None:
    text = policy_with(
        "  summary:\n    type: text\n    required: false",
        f"  summary:\n    type: {kind}\n    default: {default}",
    )

    fact = parse_policy(text).fact("summary")

    assert fact is not None
    assert fact.default == expected
    assert type(fact.default) is type(expected)


def test_roles_keep_their_ids_and_titles_in_order(valid_policy: Policy) -> None:
    assert [(r.id, r.title) for r in valid_policy.roles] == [
        ("sponsor", "Sponsor"),
        ("finance", "Finance controller"),
        ("security", "Security officer"),
        ("pmo", "PMO lead"),
    ]
    assert valid_policy.role_title("pmo") == "PMO lead"
    assert valid_policy.role_title("nobody") == "nobody"


def test_tiers_keep_their_order_and_only_the_last_one_has_no_rule(valid_policy: Policy) -> None:
    assert [(t.id, t.title) for t in valid_policy.tiers] == [
        ("major", "Major project"),
        ("standard", "Standard"),
        ("minor", "Minor"),
    ]
    assert [t.when is None for t in valid_policy.tiers] == [False, False, True]


def test_each_gate_lists_its_requirement_keys_artifacts_then_criteria_then_signoffs(
    valid_policy: Policy,
) -> None:
    keys = {g.id: [r.key for r in g.requirements] for g in valid_policy.gates}

    assert keys == {
        "initiation": [
            "artifact:charter",
            "artifact:business_case",
            "artifact:risk_register",
            "criterion:budget_set",
            "signoff:sponsor",
            "signoff:finance",
        ],
        "execution": ["criterion:headcount_ok", "signoff:security", "signoff:pmo"],
    }


def test_a_gate_finds_a_requirement_by_its_key_and_nothing_for_an_unknown_key(
    valid_policy: Policy,
) -> None:
    gate = valid_policy.gate("initiation")

    assert gate is not None
    finance = gate.requirement("signoff:finance")
    assert finance is not None
    assert finance.key == "signoff:finance"
    assert gate.requirement("artifact:nope") is None
    assert valid_policy.gate("nope") is None


def test_artifacts_keep_their_kind_reason_age_limit_and_waivers(valid_policy: Policy) -> None:
    gate = valid_policy.gates[0]
    charter, business_case, risk_register = gate.artifacts

    assert [a.kind for a in gate.artifacts] == [
        ArtifactKind.FILE,
        ArtifactKind.LINK,
        ArtifactKind.FORM,
    ]
    assert (charter.title, charter.why, charter.max_age_days) == (
        "Project charter",
        "States the goal.",
        90,
    )
    assert charter.waivable_by == ("pmo",)
    assert (business_case.max_age_days, business_case.waivable_by) == (None, ())
    assert risk_register.when is None


def test_a_form_artifact_keeps_its_typed_fields(valid_policy: Policy) -> None:
    form = valid_policy.gates[0].artifacts[2]

    assert [(f.id, f.title, f.type, f.required, f.values) for f in form.fields] == [
        ("top_risk", "Top risk", FactType.TEXT, True, ()),
        ("exposure", "Exposure", FactType.MONEY, False, ()),
        ("rating", "Rating", FactType.ENUM, True, ("low", "high")),
    ]


def test_a_criterion_keeps_its_expression_reason_and_waivers(valid_policy: Policy) -> None:
    criterion = valid_policy.gates[0].criteria[0]

    assert (criterion.id, criterion.title, str(criterion.expr)) == (
        "budget_set",
        "A budget is approved",
        "project.budget > 0.0",
    )
    assert (criterion.why, criterion.when, criterion.waivable_by) == (
        "Nothing starts without money.",
        None,
        ("finance",),
    )


def test_a_signoff_is_independent_of_submitter_manager_and_attacher_unless_told_otherwise(
    valid_policy: Policy,
) -> None:
    sponsor, finance = valid_policy.gates[0].signoffs
    security, _ = valid_policy.gates[1].signoffs

    assert sponsor.independent_of == {
        Independence.SUBMITTER,
        Independence.PROJECT_MANAGER,
        Independence.EVIDENCE_ATTACHER,
    }
    assert finance.independent_of == {Independence.SUBMITTER}
    assert security.independent_of == frozenset()


def test_a_signoff_keeps_its_order_quorum_condition_and_waivers(valid_policy: Policy) -> None:
    sponsor, finance = valid_policy.gates[0].signoffs
    security, _ = valid_policy.gates[1].signoffs

    assert (sponsor.role, sponsor.order, sponsor.min, sponsor.when) == ("sponsor", 1, 1, None)
    assert (finance.role, finance.order, finance.min) == ("finance", 2, 2)
    assert str(finance.when) == "project.budget > 250000.0"
    assert finance.waivable_by == ("pmo",)
    assert (security.order, security.min, security.waivable_by) == (None, 1, ())
    assert (security.kind, valid_policy.gates[1].signoffs[1].kind) == ("blocking", "advisory")
    assert valid_policy.gates[1].signoffs[1].min == "majority"


def test_an_assurance_review_keeps_its_scale_reviewers_condition_and_rules(
    valid_policy: Policy,
) -> None:
    assurance = valid_policy.gates[1].assurance
    assert assurance is not None

    assert (assurance.reviewers, assurance.scale.ratings) == ("pmo", ("green", "amber", "red"))
    assert str(assurance.when) == "project.budget >= 500000.0"
    assert assurance.independent_of == {"project_manager", "org_unit"}
    [rule] = assurance.rules
    assert (str(rule.when), rule.decisions, rule.escalate_to) == (
        'assurance.rating == "red"',
        (Decision.RECYCLE, Decision.HOLD, Decision.KILL),
        "sponsor",
    )
    assert valid_policy.gates[0].assurance is None


def test_a_gate_allows_every_decision_unless_it_lists_them(valid_policy: Policy) -> None:
    initiation, execution = valid_policy.gates

    assert initiation.decisions == (Decision.GO, Decision.RECYCLE, Decision.KILL)
    assert execution.decisions == tuple(Decision)


def test_a_gate_keeps_its_sla_escalation_and_skip_rule(valid_policy: Policy) -> None:
    initiation, execution = valid_policy.gates

    assert (initiation.name, initiation.stage) == ("Initiation gate", "planning")
    assert (initiation.sla_days, initiation.escalate_to, initiation.skip_when) == (10, "pmo", None)
    assert (execution.sla_days, execution.escalate_to) == (None, None)
    assert str(execution.skip_when) == 'tier == "minor" && !project.regulated'


CONDITIONS: dict[str, Callable[[Policy], Condition | None]] = {
    "tiers[0].when": lambda p: p.tiers[0].when,
    "tiers[1].when": lambda p: p.tiers[1].when,
    "gates[0].artifacts[1].when": lambda p: p.gates[0].artifacts[1].when,
    "gates[0].criteria[0].expr": lambda p: p.gates[0].criteria[0].expr,
    "gates[0].signoffs[1].when": lambda p: p.gates[0].signoffs[1].when,
    "gates[1].skip_when": lambda p: p.gates[1].skip_when,
    "gates[1].criteria[0].expr": lambda p: p.gates[1].criteria[0].expr,
    "gates[1].criteria[0].when": lambda p: p.gates[1].criteria[0].when,
}


@pytest.mark.parametrize(
    ("where", "facts", "uses_tier"),
    [
        ("tiers[0].when", {"budget", "risk"}, False),
        ("tiers[1].when", {"budget"}, False),
        ("gates[0].artifacts[1].when", set(), True),
        ("gates[0].criteria[0].expr", {"budget"}, False),
        ("gates[0].signoffs[1].when", {"budget"}, False),
        ("gates[1].skip_when", {"regulated"}, True),
        ("gates[1].criteria[0].expr", {"headcount"}, False),
        ("gates[1].criteria[0].when", {"regulated"}, False),
    ],
)
def test_a_condition_records_the_facts_it_reads_and_whether_it_reads_the_tier(
    valid_policy: Policy, where: str, facts: set[str], uses_tier: bool
) -> None:
    condition = CONDITIONS[where](valid_policy)

    assert condition is not None
    assert (condition.facts, condition.uses_tier) == (facts, uses_tier)


def test_a_fact_named_inside_a_string_literal_is_not_a_fact_the_condition_reads(
    policy_with: Edit,
) -> None:
    text = policy_with(
        "expr: project.headcount >= 2",
        'expr: has(project.summary) && project.summary != "project.nope"',
    )

    condition = parse_policy(text).gates[1].criteria[0].expr

    assert condition.facts == {"summary"}


@pytest.mark.parametrize(
    "expr",
    [
        "has(project.summary) && project.summary != ''",
        "project.go_live > timestamp('2026-01-01T00:00:00Z')",
    ],
    ids=["optional fact behind has()", "optional fact with a default"],
)
def test_an_optional_fact_may_be_read_when_guarded_or_defaulted(
    policy_with: Edit, expr: str
) -> None:
    text = policy_with("expr: project.headcount >= 2", f'expr: "{expr}"')

    assert str(parse_policy(text).gates[1].criteria[0].expr) == expr


def test_a_condition_joined_by_or_keeps_each_alternative_with_its_facts(
    valid_policy: Policy,
) -> None:
    major, standard, _ = valid_policy.tiers
    assert major.when is not None
    assert standard.when is not None

    assert [(str(a), a.facts) for a in major.when.alternatives] == [
        ("project.budget >= 1000000.0", {"budget"}),
        ('project.risk == "high"', {"risk"}),
    ]
    assert standard.when.alternatives == ()


def test_a_fact_title_defaults_to_its_id_in_words(policy_with: Edit) -> None:
    text = policy_with("    type: money\n    title: Approved budget\n", "    type: money\n")

    budget = parse_policy(text).fact("budget")

    assert budget is not None
    assert budget.title == "Budget"


def test_load_policy_reads_a_file_and_names_the_policy_after_it(
    tmp_path: Path, valid_policy_text: str
) -> None:
    path = tmp_path / "standard.yaml"
    path.write_text(valid_policy_text, encoding="utf-8")

    policy = load_policy(path)

    assert policy.source_name == str(path)
    assert policy.gates[0].id == "initiation"


# -- every problem at once, in file order --------------------------------------------------


def test_several_mistakes_are_all_reported_at_once_sorted_by_line(policy_with: Edit) -> None:
    text = policy_with(
        "    sla_days: 10",
        "    sla_days: ten",
        "version: 3",
        "versoin: 3",
        "  - role: sponsor",
        "  - role: sponsr",
        "expr: project.headcount >= 2",
        "expr: project.headcont >= 2",
    )

    problems = problems_in(text)

    assert [(p.line, p.column, p.path, p.message) for p in problems] == [
        (1, 1, "", "missing required key 'version'"),
        (2, 1, "versoin", "unknown key 'versoin' (did you mean 'version'?)"),
        (
            *locate(text, "sponsr"),
            "gates[0].signoffs[0].role",
            "unknown role 'sponsr' (did you mean 'sponsor'?)",
        ),
        (*locate(text, "ten\n"), "gates[0].sla_days", "expected a whole number, found 'ten'"),
        (
            *locate(text, "project.headcont"),
            "gates[1].criteria[0].expr",
            "unknown fact 'project.headcont' (did you mean 'project.headcount'?)",
        ),
    ]


def test_parse_policy_raises_a_policy_error_that_lists_every_problem_and_counts_them(
    policy_with: Edit,
) -> None:
    text = policy_with("  - role: sponsor", "  - role: sponsr", "sla_days: 10", "sla_days: ten")

    with pytest.raises(PolicyError) as raised:
        parse_policy(text, NAME)

    line, column = locate(text, "sponsr")
    assert len(raised.value.problems) == 2
    assert str(raised.value).splitlines() == [
        f"{NAME}:{line}:{column} gates[0].signoffs[0].role: "
        "unknown role 'sponsr' (did you mean 'sponsor'?)",
        f"{NAME}:{line + 9}:15 gates[0].sla_days: expected a whole number, found 'ten'",
        "2 problems",
    ]


def test_a_problem_reads_as_file_line_column_path_and_message() -> None:
    problem = Problem("standard.yaml", 80, 15, "gates[0].signoffs[0].role", "unknown role 'x'")

    assert str(problem) == "standard.yaml:80:15 gates[0].signoffs[0].role: unknown role 'x'"
    assert str(Problem("p.yaml", 1, 1, "", "the file is empty")) == "p.yaml:1:1 the file is empty"


def test_a_policy_error_with_one_problem_says_one_problem() -> None:
    error = PolicyError([Problem("p.yaml", 1, 1, "", "the file is empty")])

    assert str(error) == "p.yaml:1:1 the file is empty\n1 problem"


# -- one mistake, one precise message --------------------------------------------------------

FACT_TYPES = "'money', 'integer', 'boolean', 'enum', 'date' or 'text'"
DECISIONS = "'go', 'conditional_go', 'recycle', 'hold' or 'kill'"
NAME_RULE = "use lower-case letters, digits and '_', starting with a letter"

# (old, new, path, message the problem starts with, fragment whose start is the place)
SINGLE_MISTAKES = [
    pytest.param(
        "  - role: sponsor",
        "  - role: sponsr",
        "gates[0].signoffs[0].role",
        "unknown role 'sponsr' (did you mean 'sponsor'?)",
        "sponsr",
        id="misspelled signoff role",
    ),
    pytest.param(
        "escalate_to: pmo",
        "escalate_to: pm0",
        "gates[0].escalate_to",
        "unknown role 'pm0' (did you mean 'pmo'?)",
        "pm0",
        id="misspelled escalation role",
    ),
    pytest.param(
        "waivable_by: [finance]",
        "waivable_by: [finanse]",
        "gates[0].criteria[0].waivable_by[0]",
        "unknown role 'finanse' (did you mean 'finance'?)",
        "finanse",
        id="misspelled waiver role",
    ),
    pytest.param(
        "    sla_days: 10",
        "    sla_dyas: 10",
        "gates[0].sla_dyas",
        "unknown key 'sla_dyas' (did you mean 'sla_days'?)",
        "sla_dyas",
        id="misspelled key",
    ),
    pytest.param(
        "expr: project.budget > 0.0",
        "expr: project.budjet > 0.0",
        "gates[0].criteria[0].expr",
        "unknown fact 'project.budjet' (did you mean 'project.budget'?)",
        "project.budjet",
        id="misspelled fact in CEL",
    ),
    pytest.param(
        "expr: project.budget > 0.0",
        "expr: budget > 0.0",
        "gates[0].criteria[0].expr",
        "unknown name 'budget' (did you mean 'project.budget'?)",
        "budget > 0.0",
        id="bare fact name in CEL",
    ),
    pytest.param(
        "expr: project.budget > 0.0",
        "expr: projekt.budget > 0.0",
        "gates[0].criteria[0].expr",
        "unknown name 'projekt' (did you mean 'project'?); facts are read as project.<fact>",
        "projekt",
        id="misspelled project in CEL",
    ),
    pytest.param(
        'project.risk == "high"',
        'project.risk == "hihg"',
        "tiers[0].when",
        "project.risk is never 'hihg' (did you mean 'high'?); it is 'low', 'medium' or 'high'",
        "project.budget >= 1000000.0 ||",
        id="misspelled enum literal",
    ),
    pytest.param(
        'project.risk == "high"',
        "project.risk in ['low', 'hihg']",
        "tiers[0].when",
        "project.risk is never 'hihg' (did you mean 'high'?); it is 'low', 'medium' or 'high'",
        "project.budget >= 1000000.0 ||",
        id="misspelled enum literal in a list",
    ),
    pytest.param(
        'project.risk == "high"',
        '"hihg" == project.risk',
        "tiers[0].when",
        "project.risk is never 'hihg' (did you mean 'high'?); it is 'low', 'medium' or 'high'",
        "project.budget >= 1000000.0 ||",
        id="misspelled enum literal written first",
    ),
    pytest.param(
        "expr: project.headcount >= 2",
        "expr: project.summary != ''",
        "gates[1].criteria[0].expr",
        "reads project.summary, which is optional and may not be set: "
        "guard it with has(project.summary) && ...",
        "project.summary !=",
        id="optional fact read without a guard",
    ),
    pytest.param(
        'tier != "minor"',
        'tier != "minr"',
        "gates[0].artifacts[1].when",
        "tier is never 'minr' (did you mean 'minor'?); it is 'major', 'standard' or 'minor'",
        'tier != "minr"',
        id="misspelled tier literal",
    ),
    pytest.param(
        'tier != "minor"',
        'tier in ["major", "standrd"]',
        "gates[0].artifacts[1].when",
        "tier is never 'standrd' (did you mean 'standard'?)",
        "tier in",
        id="misspelled tier literal in a list",
    ),
    pytest.param(
        "kind: link",
        "kind: lnk",
        "gates[0].artifacts[1].kind",
        "'lnk' is not allowed here (did you mean 'link'?); use 'file', 'link' or 'form'",
        "lnk",
        id="misspelled artifact kind",
    ),
    pytest.param(
        "    type: text\n    required: false\nroles",
        "    type: txt\n    required: false\nroles",
        "facts.summary.type",
        f"'txt' is not allowed here (did you mean 'text'?); use {FACT_TYPES}",
        "txt",
        id="misspelled fact type",
    ),
    pytest.param(
        "independent_of: [submitter]",
        "independent_of: [submiter]",
        "gates[0].signoffs[1].independent_of[0]",
        "'submiter' is not allowed here (did you mean 'submitter'?); "
        "use 'submitter', 'project_manager' or 'evidence_attacher'",
        "submiter",
        id="misspelled independence",
    ),
    pytest.param(
        "decisions: [go, recycle, kill]",
        "decisions: [go, recycel, kill]",
        "gates[0].decisions[1]",
        f"'recycel' is not allowed here (did you mean 'recycle'?); use {DECISIONS}",
        "recycel",
        id="misspelled decision",
    ),
    pytest.param(
        "sla_days: 10",
        "sla_days: ten",
        "gates[0].sla_days",
        "expected a whole number, found 'ten'",
        "ten",
        id="text where a whole number is expected",
    ),
    pytest.param(
        "max_age_days: 90",
        "max_age_days: true",
        "gates[0].artifacts[0].max_age_days",
        "expected a whole number, found 'true'",
        "true\n",
        id="boolean where a whole number is expected",
    ),
    pytest.param(
        "min: 2",
        "min: 1.5",
        "gates[0].signoffs[1].min",
        "expected a whole number of people, majority, all, or a CEL expression over the facts"
        " (project.<fact>), found '1.5'",
        "1.5",
        id="decimal where a whole number is expected",
    ),
    pytest.param(
        "sla_days: 10",
        "sla_days: 0",
        "gates[0].sla_days",
        "must be at least 1, found 0",
        "0\n    escalate_to",
        id="whole number below its minimum",
    ),
    pytest.param(
        "version: 3",
        "version: -1",
        "version",
        "must be at least 1, found -1",
        "-1",
        id="negative version",
    ),
    pytest.param(
        "    required: false\n    default: 2026-03-01",
        "    required: maybe\n    default: 2026-03-01",
        "facts.go_live.required",
        "expected true or false, found 'maybe'",
        "maybe",
        id="text where true or false is expected",
    ),
    pytest.param(
        "title: Standard delivery policy",
        "title: [Standard, delivery]",
        "title",
        "expected a single value, found a list",
        "[Standard",
        id="list where a single value is expected",
    ),
    pytest.param(
        "stage: execution",
        "stage: {name: execution}",
        "gates[1].stage",
        "expected a single value, found a mapping",
        "{name",
        id="mapping where a single value is expected",
    ),
    pytest.param(
        "  summary:\n    type: text\n    required: false",
        "  summary: [text]",
        "facts.summary",
        "expected a mapping of keys, found a list",
        "[text]",
        id="list where a mapping is expected",
    ),
    pytest.param(
        "waivable_by: [finance]",
        "waivable_by: {finance: yes}",
        "gates[0].criteria[0].waivable_by",
        "expected a list, found a mapping",
        "{finance",
        id="mapping where a list is expected",
    ),
    pytest.param(
        "decisions: [go, recycle, kill]",
        "decisions: go",
        "gates[0].decisions",
        "expected a list, found 'go'",
        "go\n",
        id="single value where a list is expected",
    ),
    pytest.param(
        "  - id: business_case",
        "  - id: Business-Case",
        "gates[0].artifacts[1].id",
        f"'Business-Case' is not a valid name: {NAME_RULE}",
        "Business-Case",
        id="id that is not a name",
    ),
    pytest.param(
        "  summary:",
        "  Summary:",
        "facts.Summary",
        f"'Summary' is not a valid name: {NAME_RULE}",
        "Summary:",
        id="fact name that is not a name",
    ),
    pytest.param(
        "expr: project.headcount >= 2",
        "expr: '  '",
        "gates[1].criteria[0].expr",
        "the condition is empty",
        "'  '",
        id="empty condition",
    ),
    pytest.param(
        "expr: project.budget > 0.0",
        "expr: project.budget > > 0.0",
        "gates[0].criteria[0].expr",
        "CEL syntax error at column 18: extraneous input '>'",
        "project.budget > >",
        id="CEL syntax error",
    ),
    pytest.param(
        "expr: project.budget > 0.0",
        "expr: project.budget >",
        "gates[0].criteria[0].expr",
        "CEL syntax error at column 17: the expression ends too early",
        "project.budget >\n",
        id="CEL expression that ends too early",
    ),
    pytest.param(
        "expr: project.budget > 0.0",
        "expr: (project.budget > 0.0",
        "gates[0].criteria[0].expr",
        "CEL syntax error at column 22: missing ')' at '<EOF>'",
        "(project",
        id="CEL expression with an unclosed parenthesis",
    ),
    pytest.param(
        "expr: project.budget > 0.0",
        "expr: project.budget + 1 > 0.0",
        "gates[0].criteria[0].expr",
        "CEL type error: Unsupported operation: float + int (CEL does not mix number types",
        "project.budget + 1",
        id="CEL type error: money plus an int",
    ),
    pytest.param(
        "expr: project.budget > 0.0",
        "expr: project.budget * 2.0",
        "gates[0].criteria[0].expr",
        "must be true or false, but gives a float value",
        "project.budget * 2.0",
        id="condition that is a number",
    ),
    pytest.param(
        'skip_when: tier == "minor" && !project.regulated',
        "skip_when: project.summary",
        "gates[1].skip_when",
        "must be true or false, but gives a str value",
        "project.summary",
        id="condition that is text",
    ),
    pytest.param(
        "  - id: minor",
        "  - id: minor\n    when: project.regulated",
        "tiers[2].when",
        "the last tier is the default: remove its 'when'",
        "project.regulated\ngates:",
        id="last tier with a rule",
    ),
    pytest.param(
        "    when: project.budget >= 100000.0\n",
        "",
        "tiers[1]",
        "only the last tier may omit 'when' (it is the default)",
        "id: standard\n  - id: minor",
        id="middle tier without a rule",
    ),
    pytest.param(
        "when: project.budget >= 100000.0",
        'when: tier == "major"',
        "tiers[1].when",
        "a tier rule cannot use 'tier': tiers are chosen from the facts alone",
        'tier == "major"',
        id="tier rule that reads the tier",
    ),
    pytest.param(
        "    values: [low, medium, high]\n    default: medium\n",
        "",
        "facts.risk",
        "an enum needs 'values': the list of allowed values",
        "type: enum\n  go_live",
        id="enum fact without values",
    ),
    pytest.param(
        "            values: [low, high]\n",
        "",
        "gates[0].artifacts[2].fields[2]",
        "an enum needs 'values': the list of allowed values",
        "id: rating",
        id="enum form field without values",
    ),
    pytest.param(
        "    type: integer\n",
        "    type: integer\n    values: [one, two]\n",
        "facts.headcount.values",
        "only an enum has 'values'",
        "[one, two]",
        id="values on an integer fact",
    ),
    pytest.param(
        "default: 5",
        "default: five",
        "facts.headcount.default",
        "the default 'five' is not a whole number",
        "five",
        id="integer default that is not a number",
    ),
    pytest.param(
        "default: medium",
        "default: meduim",
        "facts.risk.default",
        "the default 'meduim' is not allowed (did you mean 'medium'?); "
        "use 'low', 'medium' or 'high'",
        "meduim",
        id="enum default that is not a value",
    ),
    pytest.param(
        "default: false",
        "default: maybe",
        "facts.regulated.default",
        "the default 'maybe' is not true or false",
        "maybe",
        id="boolean default that is not a boolean",
    ),
    pytest.param(
        "default: 2026-03-01",
        "default: soon",
        "facts.go_live.default",
        "the default 'soon' is not a date (YYYY-MM-DD)",
        "soon",
        id="date default that is not a date",
    ),
    pytest.param(
        "    title: Approved budget",
        "    title: Approved budget\n    default: -5",
        "facts.budget.default",
        "the default -5 is negative: an amount of money here is zero or more",
        "-5",
        id="negative money default",
    ),
    pytest.param(
        "        fields:\n          - id: top_risk\n            title: Top risk\n"
        "            type: text\n          - id: exposure\n            title: Exposure\n"
        "            type: money\n            required: false\n          - id: rating\n"
        "            title: Rating\n            type: enum\n            values: [low, high]\n",
        "",
        "gates[0].artifacts[2]",
        "a form artifact needs 'fields'",
        "id: risk_register",
        id="form artifact without fields",
    ),
    pytest.param(
        "        kind: file\n",
        "        kind: file\n        fields:\n          - id: scope\n            title: Scope\n"
        "            type: text\n",
        "gates[0].artifacts[0].fields",
        "only a form has 'fields', not a file",
        "- id: scope",
        id="fields on a file artifact",
    ),
    pytest.param(
        "        kind: link\n",
        "        kind: link\n        fields: []\n",
        "gates[0].artifacts[1].fields",
        "only a form has 'fields', not a link",
        "[]\n        when: tier",
        id="fields on a link artifact",
    ),
    pytest.param(
        "decisions: [go, recycle, kill]",
        "decisions: [recycle, kill]",
        "gates[0].decisions",
        "'go' must be allowed, or the gate can never pass",
        "[recycle, kill]",
        id="decisions without go",
    ),
    pytest.param(
        "stage: execution",
        "stage: on_hold",
        "gates[1].stage",
        "'on_hold' is reserved by Lockgate",
        "on_hold",
        id="gate entering the on_hold stage",
    ),
    pytest.param(
        "stage: execution",
        "stage: killed",
        "gates[1].stage",
        "'killed' is reserved by Lockgate",
        "killed",
        id="gate entering the killed stage",
    ),
    pytest.param(
        "    why: Nothing starts without money.",
        "    why: ",
        "gates[0].criteria[0].why",
        "has no value: give one or remove the key",
        " \n        waivable_by: [finance]",
        id="key with no value",
    ),
]


@pytest.mark.parametrize(("old", "new", "path", "message", "at"), SINGLE_MISTAKES)
def test_a_single_mistake_is_reported_once_at_its_line_and_column_with_a_clear_message(
    policy_with: Edit, old: str, new: str, path: str, message: str, at: str
) -> None:
    text = policy_with(old, new)

    problem = the_problem_in(text)

    assert problem.file == NAME
    assert problem.path == path
    assert problem.message.startswith(message), problem.message
    assert place(problem) == locate(text, at) or (
        # a key with no value is placed right after its colon, at the blank
        at.startswith(" \n") and place(problem) == (locate(text, at)[0], locate(text, at)[1] + 1)
    )


# (old, new, path, message, fragment whose start is the place)
DUPLICATES = [
    pytest.param(
        "    sla_days: 10",
        "    sla_days: 10\n    sla_days: 12",
        "gates[0].sla_days",
        "duplicate key 'sla_days': each key may appear once",
        "sla_days: 12",
        id="key twice in a gate",
    ),
    pytest.param(
        "version: 3",
        "version: 3\nversion: 4",
        "version",
        "duplicate key 'version': each key may appear once",
        "version: 4",
        id="key twice at the top",
    ),
    pytest.param(
        "  summary:\n    type: text",
        "  budget:\n    type: text",
        "facts.budget",
        "duplicate key 'budget': each key may appear once",
        "budget:\n    type: text",
        id="fact declared twice",
    ),
    pytest.param(
        "  - id: execution",
        "  - id: initiation",
        "gates[1].id",
        "gate id 'initiation' appears twice: each must be unique",
        "initiation\n    name: Execution gate",
        id="gate id twice",
    ),
    pytest.param(
        "      - id: business_case",
        "      - id: charter",
        "gates[0].artifacts[1]",
        "artifact id 'charter' appears twice: each must be unique",
        "id: charter\n        title: Business case",
        id="artifact id twice",
    ),
    pytest.param(
        "        when: project.regulated\n",
        "        when: project.regulated\n      - id: headcount_ok\n        title: Again\n"
        "        expr: 'true'\n",
        "gates[1].criteria[1]",
        "criterion id 'headcount_ok' appears twice: each must be unique",
        "id: headcount_ok\n        title: Again",
        id="criterion id twice",
    ),
    pytest.param(
        "  - id: standard",
        "  - id: major",
        "tiers[1].id",
        "tier id 'major' appears twice: each must be unique",
        "major\n    when: project.budget >= 100000.0",
        id="tier id twice",
    ),
    pytest.param(
        "stage: execution",
        "stage: planning",
        "gates[1].stage",
        "stage 'planning' appears twice: each must be unique",
        "planning\n    skip_when",
        id="stage entered by two gates",
    ),
    pytest.param(
        "stage: execution",
        "stage: proposed",
        "gates[1].stage",
        "stage 'proposed' appears twice: each must be unique",
        "proposed\n    skip_when",
        id="gate entering the initial stage",
    ),
    pytest.param(
        "      - role: security\n",
        "      - role: security\n      - role: security\n",
        "gates[1].signoffs[1]",
        "sign-off role 'security' appears twice: each must be unique",
        "role: security\n        independent_of",
        id="signoff role twice",
    ),
    pytest.param(
        "          - id: exposure",
        "          - id: top_risk",
        "gates[0].artifacts[2].fields[1]",
        "field id 'top_risk' appears twice: each must be unique",
        "id: top_risk\n            title: Exposure",
        id="form field id twice",
    ),
    pytest.param(
        "decisions: [go, recycle, kill]",
        "decisions: [go, recycle, go]",
        "gates[0].decisions[2]",
        "decision 'go' appears twice: each must be unique",
        "go]",
        id="decision twice",
    ),
    pytest.param(
        "values: [low, medium, high]",
        "values: [low, medium, high, medium]",
        "facts.risk.values[3]",
        "value 'medium' appears twice: each must be unique",
        "medium]",
        id="enum value twice",
    ),
    pytest.param(
        "independent_of: [submitter]",
        "independent_of: [submitter, submitter]",
        "gates[0].signoffs[1].independent_of[1]",
        "entry 'submitter' appears twice: each must be unique",
        "submitter]",
        id="independence entry twice",
    ),
]


@pytest.mark.parametrize(("old", "new", "path", "message", "at"), DUPLICATES)
def test_a_duplicate_is_reported_at_its_second_occurrence(
    policy_with: Edit, old: str, new: str, path: str, message: str, at: str
) -> None:
    text = policy_with(old, new)

    problem = the_problem_in(text)

    assert (problem.path, problem.message) == (path, message)
    assert place(problem) == locate(text, at)


@pytest.mark.parametrize(
    ("after", "indent", "path"),
    [
        ("version: 3\n", 0, "colour"),
        ("    title: Approved budget\n", 4, "facts.budget.colour"),
        ("    title: Sponsor\n", 4, "roles.sponsor.colour"),
        ("    title: Major project\n", 4, "tiers[0].colour"),
        ("    name: Execution gate\n", 4, "gates[1].colour"),
        ("        why: States the goal.\n", 8, "gates[0].artifacts[0].colour"),
        ("            title: Top risk\n", 12, "gates[0].artifacts[2].fields[0].colour"),
        ("        why: Nothing starts without money.\n", 8, "gates[0].criteria[0].colour"),
        ("        order: 1\n", 8, "gates[0].signoffs[0].colour"),
    ],
    ids=[
        "policy",
        "fact",
        "role",
        "tier",
        "gate",
        "artifact",
        "form field",
        "criterion",
        "signoff",
    ],
)
def test_an_unknown_key_is_reported_at_every_level(
    policy_with: Edit, after: str, indent: int, path: str
) -> None:
    text = policy_with(after, f"{after}{' ' * indent}colour: blue\n")

    problem = the_problem_in(text)

    assert (problem.path, problem.message) == (path, "unknown key 'colour'")
    assert place(problem) == locate(text, "colour")


@pytest.mark.parametrize(
    ("old", "new", "path", "key", "at"),
    [
        ("title: Standard delivery policy\n", "", "", "title", "id: standard\nversion"),
        (
            "  summary:\n    type: text\n",
            "  summary:\n",
            "facts.summary",
            "type",
            "required: false\nroles",
        ),
        (
            "    title: PMO lead",
            "    description: PMO lead",
            "roles.pmo",
            "title",
            "description: PMO lead",
        ),
        ("  - id: minor", "  - title: Minor", "tiers[2]", "id", "title: Minor"),
        (
            "  - id: execution\n    name: Execution gate",
            "  - name: Execution gate",
            "gates[1]",
            "id",
            "name: Execution gate",
        ),
        ("    name: Execution gate\n", "", "gates[1]", "name", "id: execution"),
        ("    stage: execution\n", "", "gates[1]", "stage", "id: execution"),
        ("        title: Business case\n", "", "gates[0].artifacts[1]", "title", "id: business_c"),
        ("        kind: link\n", "", "gates[0].artifacts[1]", "kind", "id: business_c"),
        (
            "        expr: project.headcount >= 2\n",
            "",
            "gates[1].criteria[0]",
            "expr",
            "id: headcount_ok",
        ),
        (
            "      - role: security\n        independent_of",
            "      - independent_of",
            "gates[1].signoffs[0]",
            "role",
            "independent_of: []",
        ),
        (
            "            type: text\n",
            "",
            "gates[0].artifacts[2].fields[0]",
            "type",
            "id: top_risk",
        ),
    ],
    ids=[
        "policy title",
        "fact type",
        "role title",
        "tier id",
        "gate id",
        "gate name",
        "gate stage",
        "artifact title",
        "artifact kind",
        "criterion expr",
        "signoff role",
        "form field type",
    ],
)
def test_a_missing_required_key_is_reported_at_the_mapping_that_needs_it(
    policy_with: Edit, old: str, new: str, path: str, key: str, at: str
) -> None:
    text = policy_with(old, new)

    problem = the_problem_at(text, path)

    assert problem.message == f"missing required key '{key}'"
    assert place(problem) == locate(text, at)


def test_a_mapping_with_only_an_id_lists_every_missing_top_level_key_in_spec_order() -> None:
    problems = problems_in("id: standard\n")

    assert [(p.line, p.column, p.path, p.message) for p in problems] == [
        (1, 1, "", f"missing required key '{key}'")
        for key in ("version", "title", "facts", "roles", "tiers", "gates")
    ]


@pytest.mark.parametrize("key", ["tiers", "gates"])
def test_a_policy_needs_at_least_one_tier_and_one_gate(valid_policy_text: str, key: str) -> None:
    head, _, _ = valid_policy_text.partition(f"{key}:\n")
    text = f"{head}{key}: []\n"

    problem = the_problem_at(text, key)

    assert problem.message == "needs at least 1 item(s)"
    assert place(problem) == locate(text, "[]")


def test_a_declared_role_without_a_title_is_reported_where_it_is_declared(
    policy_with: Edit,
) -> None:
    text = policy_with("    title: PMO lead", "    description: PMO lead")

    problems = problems_in(text)

    assert problems[0].path == "roles.pmo"
    assert problems[0].message == "missing required key 'title'"


@pytest.mark.parametrize("stage", ["on_hold", "killed"])
def test_a_reserved_initial_stage_is_reported(policy_with: Edit, stage: str) -> None:
    text = policy_with("initial_stage: proposed", f"initial_stage: {stage}")

    problem = the_problem_in(text)

    assert (problem.path, problem.message) == (
        "initial_stage",
        f"'{stage}' is reserved by Lockgate",
    )
    assert place(problem) == locate(text, stage)


# -- broken YAML, empty files and other shapes -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        pytest.param(
            "id: standard\ntiers: [major, minor\ngates: []\n",
            3,
            6,
            "YAML syntax error: expected ',' or ']', but got ':'",
            id="unclosed bracket",
        ),
        pytest.param(
            "id: standard\nroles: {sponsor: {title: Sponsor}\n",
            3,
            1,
            "YAML syntax error: expected ',' or '}', but got '<stream end>'",
            id="unclosed brace",
        ),
        pytest.param(
            "id: standard\nroles:\n  sponsor:\n    title: Sponsor\n   finance:\n    title: F\n",
            5,
            4,
            "YAML syntax error: expected <block end>, but found '<block mapping start>'",
            id="bad indentation",
        ),
        pytest.param(
            "id: standard\nroles:\n\tsponsor: x\n",
            3,
            1,
            "YAML syntax error: found character '\\t' that cannot start any token",
            id="tab",
        ),
        pytest.param(
            "id: standard\n---\nid: other\n",
            2,
            1,
            "YAML syntax error: but found another document",
            id="two documents",
        ),
    ],
)
def test_broken_yaml_is_reported_with_its_line_and_no_traceback(
    text: str, line: int, column: int, message: str
) -> None:
    problem = the_problem_in(text)

    assert (problem.file, problem.line, problem.column, problem.path) == (NAME, line, column, "")
    assert problem.message == message
    assert "Traceback" not in problem.message


def test_broken_yaml_inside_the_full_policy_points_at_the_bad_line(policy_with: Edit) -> None:
    text = policy_with("    stage: planning", "\tstage: planning")

    problem = the_problem_in(text)

    assert place(problem) == locate(text, "\tstage")
    assert problem.message.startswith("YAML syntax error: found character '\\t'")


@pytest.mark.parametrize("text", ["", "\n\n", "# a comment and nothing else\n"])
def test_an_empty_file_is_reported_as_empty(text: str) -> None:
    problem = the_problem_in(text)

    assert str(problem) == f"{NAME}:1:1 the file is empty: a policy is a mapping"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("- id: standard\n- version: 3\n", "a list"),
        ("just words\n", "'just words'"),
    ],
    ids=["a list", "a single value"],
)
def test_a_file_that_is_not_a_mapping_says_what_it_found(text: str, found: str) -> None:
    problem = the_problem_in(text)

    assert place(problem) == (1, 1)
    assert problem.message == f"expected a mapping of keys, found {found}"


def test_load_policy_on_a_missing_file_says_it_cannot_read_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nope.yaml"

    with pytest.raises(PolicyError) as raised:
        load_policy(path)

    (problem,) = raised.value.problems
    assert (problem.file, problem.line, problem.column, problem.path) == (str(path), 1, 1, "")
    assert problem.message == "cannot read the file: No such file or directory"
    assert str(raised.value).endswith("\n1 problem")


def test_load_policy_on_a_file_that_is_not_utf8_says_it_cannot_read_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Politique générale\n".encode("latin-1"))

    with pytest.raises(PolicyError) as raised:
        load_policy(path)

    assert raised.value.problems[0].message.startswith("cannot read the file: 'utf-8' codec")


def test_load_policy_names_the_file_in_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: standard\n", encoding="utf-8")

    with pytest.raises(PolicyError) as raised:
        load_policy(path)

    assert {p.file for p in raised.value.problems} == {str(path)}
    assert str(raised.value).startswith(f"{path}:1:1 missing required key 'version'")


# -- loader bugs found by these tests, fixed -------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "at"),
    [
        pytest.param(
            "default: 2026-03-01",
            "default: 2026-02-30",
            "facts.go_live.default",
            "2026-02-30",
            id="impossible date default",
        ),
        pytest.param("version: 3", "version: !!int three", "version", "!!int", id="!!int tag"),
        pytest.param("version: 3", "version: !v3 3", "version", "!v3", id="unknown tag"),
        pytest.param(
            "default: false",
            "default: !!bool maybe",
            "facts.regulated.default",
            "!!bool",
            id="!!bool",
        ),
        pytest.param("version: 3", "version: 0x_", "version", "0x_", id="hex with no digits"),
        pytest.param(
            "version: 3", "version: !!timestamp soon", "version", "!!timestamp", id="!!timestamp"
        ),
    ],
)
def test_a_value_yaml_cannot_build_is_reported_at_its_place_instead_of_crashing(
    policy_with: Edit, old: str, new: str, path: str, at: str
) -> None:
    text = policy_with(old, new)

    problem = the_problem_at(text, path)

    assert place(problem) == locate(text, at)
    assert problem.message


def test_a_title_that_looks_like_an_impossible_date_is_read_as_text(policy_with: Edit) -> None:
    text = policy_with("title: Standard delivery policy", "title: 2026-13-45")

    assert parse_policy(text).title == "2026-13-45"


@pytest.mark.parametrize(
    ("old", "new", "path", "at"),
    [
        pytest.param(
            "      - role: sponsor\n",
            "      - role: sponsr\n      - role: sponsor\n      - role: sponsor\n",
            "gates[0].signoffs[2]",
            "role: sponsor\n        order: 1",
            id="signoff after an unknown role",
        ),
        pytest.param(
            "        when: project.regulated\n",
            "        when: project.regulated\n      - id: broken\n        title: Broken\n"
            "        expr: project.nope\n      - id: headcount_ok\n        title: Again\n"
            "        expr: 'true'\n",
            "gates[1].criteria[2]",
            "id: headcount_ok\n        title: Again",
            id="criterion after a broken expression",
        ),
        pytest.param(
            "  - id: standard\n",
            "  - title: No id\n    when: project.regulated\n  - id: major\n",
            "tiers[2].id",
            "major\n    when: project.budget >= 100000.0",
            id="tier after a tier without id",
        ),
        pytest.param(
            "          - id: exposure",
            "          - id: draft\n          - id: top_risk",
            "gates[0].artifacts[2].fields[2]",
            "id: top_risk\n            title: Exposure",
            id="form field after an incomplete field",
        ),
        pytest.param(
            "      - id: business_case",
            "      - id: draft\n      - id: charter",
            "gates[0].artifacts[2]",
            "id: charter\n        title: Business case",
            id="artifact after an incomplete artifact",
        ),
    ],
)
def test_a_duplicate_after_a_dropped_item_is_reported_at_its_own_place(
    policy_with: Edit, old: str, new: str, path: str, at: str
) -> None:
    text = policy_with(old, new)

    duplicates = [p for p in problems_in(text) if "appears twice" in p.message]

    assert [(p.path, place(p)) for p in duplicates] == [(path, locate(text, at))]


def test_a_form_artifact_with_an_empty_field_list_is_reported(policy_with: Edit) -> None:
    text = policy_with(
        "        kind: form\n        fields:\n          - id: top_risk\n"
        "            title: Top risk\n            type: text\n          - id: exposure\n"
        "            title: Exposure\n            type: money\n            required: false\n"
        "          - id: rating\n            title: Rating\n            type: enum\n"
        "            values: [low, high]\n",
        "        kind: form\n        fields: []\n",
    )

    problem = the_problem_at(text, "gates[0].artifacts[2]")

    assert problem.message == "a form artifact needs 'fields'"


@pytest.mark.parametrize(
    ("expr", "name"),
    [("sizee(project.risk) > 3", "sizee"), ("project.risk.startsWit('x')", "startsWit")],
    ids=["function", "method"],
)
def test_a_misspelled_cel_function_is_reported_when_the_policy_loads(
    policy_with: Edit, expr: str, name: str
) -> None:
    text = policy_with("expr: project.headcount >= 2", f'expr: "{expr}"')

    problem = the_problem_at(text, "gates[1].criteria[0].expr")

    assert place(problem) == locate(text, f'"{expr}"')
    assert f"'{name}'" in problem.message


@pytest.mark.parametrize("text", ["---\n", "--- # the standard policy\n"])
def test_a_file_with_only_a_document_marker_is_reported_as_empty(text: str) -> None:
    problem = the_problem_in(text)

    assert problem.message == "the file is empty: a policy is a mapping"


def test_a_control_character_is_reported_on_its_own_line(policy_with: Edit) -> None:
    text = policy_with("    name: Execution gate", "    name: Execution\x07gate")

    problem = the_problem_in(text)

    assert place(problem) == locate(text, "\x07")
    assert "\n" not in problem.message


def test_a_manager_may_not_sponsor_their_project_unless_the_policy_says_otherwise(
    valid_policy: Policy,
) -> None:
    assert valid_policy.incompatible_roles == (frozenset({"project_manager", "sponsor"}),)


EXPLICIT_PAIR = "incompatible_roles: [[project_manager, sponsor]]"  # as lite@2 states it


def test_incompatible_roles_are_pairs_of_known_roles() -> None:
    pairs = "incompatible_roles:\n  - [sponsor, sponsr]\n  - [sponsor, sponsor]\n"
    source = LIBRARY_LITE.replace(EXPLICIT_PAIR, pairs, 1)

    policy, problems = check_policy_text(source, "lite.yaml")

    assert policy is None
    assert [(p.path, p.message) for p in problems] == [
        ("incompatible_roles[0]", "unknown role 'sponsr' (did you mean 'sponsor'?)"),
        ("incompatible_roles[1]", "give two different roles, e.g. [project_manager, sponsor]"),
    ]


def test_an_empty_list_of_incompatible_roles_allows_every_pair_explicitly() -> None:
    source = LIBRARY_LITE.replace(EXPLICIT_PAIR, "incompatible_roles: []\n", 1)

    policy, problems = check_policy_text(source, "lite.yaml")

    assert problems == [] and policy is not None
    assert policy.incompatible_roles == ()


def test_the_first_gate_cannot_ask_for_signers_distinct_from_a_previous_gate() -> None:
    first = "    signoffs:\n      - role: sponsor\n      - role: pmo\n"
    source = edit(
        LIBRARY_LITE,
        first,
        first.replace("role: pmo", "role: pmo\n        distinct_from_previous_gate: true"),
    )

    problem = the_problem_at(source, "gates[0].signoffs[1].distinct_from_previous_gate")

    assert problem.message == "the first gate has no previous gate to be distinct from"


def test_a_later_gate_may_ask_for_signers_distinct_from_the_previous_gate() -> None:
    later = "      - role: business_owner\n"
    source = edit(LIBRARY_LITE, later, later + "        distinct_from_previous_gate: true\n")

    policy = parse_policy(source, "lite.yaml")

    [signoff] = [s for g in policy.gates for s in g.signoffs if s.distinct_from_previous_gate]
    assert signoff.role == "business_owner"


# -- who decides a gate ------------------------------------------------------------------------

DECIDED_BY = """    decisions: [go, recycle, kill]
    decided_by:
      - role: finance
        when: project.budget > 5000000.0
      - role: sponsor
"""


def test_a_gate_is_decided_by_the_sponsor_or_the_pmo_unless_it_names_its_deciders(
    valid_policy: Policy, policy_with: Edit
) -> None:
    named = parse_policy(policy_with("    decisions: [go, recycle, kill]\n", DECIDED_BY), NAME)

    [default, _] = valid_policy.gates
    [finance, sponsor] = named.gates[0].decided_by
    assert [d.role for d in default.decided_by] == ["sponsor", "pmo"]
    assert (finance.role, finance.when and finance.when.source) == (
        "finance",
        "project.budget > 5000000.0",
    )
    assert (sponsor.role, sponsor.when) == ("sponsor", None)


def test_a_deciding_role_the_policy_does_not_declare_is_named_where_it_is_written(
    policy_with: Edit,
) -> None:
    text = policy_with(
        "    decisions: [go, recycle, kill]\n",
        "    decisions: [go, recycle, kill]\n    decided_by:\n      - role: finanse\n",
    )

    problem = the_problem_in(text)

    assert (problem.path, problem.message) == (
        "gates[0].decided_by[0].role",
        "unknown role 'finanse' (did you mean 'finance'?)",
    )
    assert place(problem) == locate(text, "finanse")


def test_deciders_that_name_nobody_twice_the_same_or_a_bad_condition_are_each_named(
    policy_with: Edit,
) -> None:
    empty = policy_with(
        "    decisions: [go, recycle, kill]\n",
        "    decisions: [go, recycle, kill]\n    decided_by: []\n",
    )
    twice = policy_with(
        "    decisions: [go, recycle, kill]\n",
        "    decisions: [go, recycle, kill]\n"
        "    decided_by:\n      - role: pmo\n      - role: pmo\n",
    )
    unknown_fact = policy_with(
        "    decisions: [go, recycle, kill]\n",
        "    decisions: [go, recycle, kill]\n    decided_by:\n"
        "      - role: pmo\n        when: project.budjet > 1.0\n",
    )

    assert the_problem_in(empty).message == "name at least one role, or leave 'decided_by' out"
    assert the_problem_in(twice).path == "gates[0].decided_by[1]"
    assert "appears twice" in the_problem_in(twice).message
    assert the_problem_at(unknown_fact, "gates[0].decided_by[0].when").message == (
        "unknown fact 'project.budjet' (did you mean 'project.budget'?)"
    )


def test_a_vote_names_a_declared_panel_and_needs_majority_unanimous_or_a_number(
    policy_with: Edit,
) -> None:
    gate = "    decisions: [go, recycle, kill]\n"
    good = parse_policy(policy_with(gate, gate + "    vote: {panel: finance, needs: 2}\n"), NAME)
    default = parse_policy(policy_with(gate, gate + "    vote: {panel: finance}\n"), NAME)
    unknown = policy_with(gate, gate + "    vote: {panel: finanse}\n")
    wrong = policy_with(gate, gate + "    vote: {panel: finance, needs: most}\n")

    assert (good.gates[0].vote.panel, good.gates[0].vote.needs) == ("finance", 2)
    assert default.gates[0].vote.needs == "majority" and default.gates[1].vote is None
    assert the_problem_in(unknown).message == "unknown role 'finanse' (did you mean 'finance'?)"
    assert the_problem_in(wrong).message == (
        "expected majority, unanimous or a number of votes from 1 to 100, found 'most'"
    )


def test_max_rounds_is_a_whole_number_of_rounds_from_one(policy_with: Edit) -> None:
    gate = "    decisions: [go, recycle, kill]\n"
    three = parse_policy(policy_with(gate, gate + "    max_rounds: 3\n"), NAME)
    zero = policy_with(gate, gate + "    max_rounds: 0\n")

    assert (three.gates[0].max_rounds, three.gates[1].max_rounds) == (3, None)
    assert the_problem_in(zero).path == "gates[0].max_rounds"
