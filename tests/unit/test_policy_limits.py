"""The bounds of a policy file: too deep, too big or too many aliases is one problem with its
place, never an exception, and the shipped library stays far inside every bound."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policies import PolicyError, Problem, check_policy_text, load_policy
from policies.library import LIBRARY, shipped
from policies.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_IDENTIFIER_CHARS,
    MAX_POLICY_BYTES,
    MAX_TITLE_CHARS,
    MAX_VALUES,
)
from policies.schema import json_schema

NAME = "limits.yaml"
HEAD = "id: deep\nversion: 1\ntitle: Deep\n"


def the_problem_in(text: str) -> Problem:
    policy, problems = check_policy_text(text, NAME)
    assert policy is None
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]


def nested_flow(levels: int) -> str:
    return HEAD + "facts: " + "[" * levels + "]" * levels + "\n"


def nested_blocks(levels: int) -> str:
    """`gates:` holding a list of mappings of lists ... `levels` deep in block style."""
    lines = ["gates:"]
    for level in range(1, levels):
        lines.append("  " * level + "- a:")
    lines.append("  " * levels + "- x")
    return HEAD + "\n".join(lines) + "\n"


def billion_laughs(levels: int = 9, fan_out: int = 10) -> str:
    """Each anchor names a list of `fan_out` uses of the one before: fan_out**levels values."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        uses = ", ".join([f"*a{level - 1}"] * fan_out)
        lines.append(f"a{level}: &a{level} [{uses}]")
    return "\n".join(lines) + "\n"


# -- depth -------------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 5_000, 100_000])
def test_a_policy_nested_too_deep_in_flow_style_is_one_problem_not_a_recursion_error(
    levels: int,
) -> None:
    problem = the_problem_in(nested_flow(levels))

    assert (problem.file, problem.line, problem.column) == (NAME, 4, 7 + MAX_DEPTH)
    assert problem.path == "facts" + "[0]" * (MAX_DEPTH - 1)
    assert problem.message == (
        f"this value is nested {MAX_DEPTH + 1} levels deep; a policy may nest lists and "
        f"mappings at most {MAX_DEPTH} levels (the shipped policies need 9): flatten it"
    )


def test_a_policy_nested_too_deep_in_block_style_names_the_path_of_the_deep_value() -> None:
    problem = the_problem_in(nested_blocks(40))

    assert problem.path == "gates[0]" + ".a[0]" * 15
    assert problem.line == 4 + 16
    assert "nested 33 levels deep" in problem.message


def test_nesting_up_to_the_bound_is_not_refused_for_its_depth() -> None:
    _, problems = check_policy_text(nested_flow(MAX_DEPTH - 1), NAME)

    assert not [p for p in problems if "levels deep" in p.message]


def test_an_alias_that_reaches_too_deep_where_it_is_used_is_refused_there() -> None:
    deep = "[" * 20 + "]" * 20
    text = HEAD + f"facts: &deep {deep}\nroles: [[[[[[[[[[[[[[[*deep]]]]]]]]]]]]]]]\n"

    problem = the_problem_in(text)

    assert (problem.line, problem.path) == (5, "roles" + "[0]" * 15)
    assert problem.message.startswith("what the alias *deep stands for reaches 36 levels deep")


# -- values and aliases ------------------------------------------------------------------------


def test_billion_laughs_is_refused_before_anything_expands() -> None:
    problem = the_problem_in(billion_laughs())

    assert problem.message.startswith(f"the file holds more than {MAX_VALUES:,} values")
    assert "counting each use of an alias in full" in problem.message
    assert problem.path.startswith("a4[")
    assert problem.line == 5


def test_a_file_with_too_many_values_is_refused_even_without_aliases() -> None:
    items = ", ".join(["x"] * MAX_VALUES)

    problem = the_problem_in(HEAD + f"facts: [{items}]\n")

    # Before the list: the root mapping, three keys and their values, 'facts' and the list.
    assert problem.path == f"facts[{MAX_VALUES - 9}]"
    assert "more than 20,000 values" in problem.message


def test_too_many_uses_of_aliases_are_refused() -> None:
    uses = ", ".join(["*name"] * (MAX_ALIASES + 1))

    problem = the_problem_in(HEAD + f"description: &name x\nfacts: [{uses}]\n")

    assert problem.path == f"facts[{MAX_ALIASES}]"
    assert problem.message == (
        f"the file uses aliases (*name) more than {MAX_ALIASES} times: write the values out"
    )


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("facts: &loop [1, *loop]\n", "facts[1]"),
        ("facts: &loop {budget: *loop}\n", "facts.budget"),
    ],
)
def test_an_alias_inside_the_value_it_names_is_refused_rather_than_walked_forever(
    text: str, path: str
) -> None:
    problem = the_problem_in(HEAD + text)

    assert problem.path == path
    assert "refers to a value that contains it" in problem.message


def test_aliases_within_the_bounds_load_as_the_values_they_name(valid_policy_text: str) -> None:
    text = valid_policy_text.replace("waivable_by: [pmo]", "waivable_by: &deciders [pmo]", 1)
    text = text.replace("        waivable_by: [pmo]", "        waivable_by: *deciders")

    policy, problems = check_policy_text(text, NAME)

    assert problems == []
    assert policy is not None
    assert policy.gates[0].signoffs[1].waivable_by == ("pmo",)


# -- size --------------------------------------------------------------------------------------


def oversized(valid_policy_text: str) -> str:
    padding = "# " + "x" * 98 + "\n"
    return valid_policy_text + padding * (MAX_POLICY_BYTES // len(padding) + 1)


def test_a_policy_over_the_size_bound_is_refused_where_the_bound_is_passed(
    valid_policy_text: str,
) -> None:
    text = oversized(valid_policy_text)
    head = text.encode()[:MAX_POLICY_BYTES].decode()

    problem = the_problem_in(text)

    assert (problem.line, problem.path) == (head.count("\n") + 1, "")
    assert problem.message == (
        "the file is over 524,288 bytes (512 KB), the most a policy may be: shorten "
        "descriptions or remove what no gate uses"
    )


def test_a_policy_file_over_the_size_bound_is_refused_without_reading_it_whole(
    valid_policy_text: str, tmp_path: Path
) -> None:
    file = tmp_path / "big.yaml"
    file.write_text(oversized(valid_policy_text) * 20, encoding="utf-8")

    with pytest.raises(PolicyError) as raised:
        load_policy(file)

    [problem] = raised.value.problems
    assert problem.file == str(file)
    assert "the file is over 524,288 bytes" in problem.message


def test_multibyte_characters_count_by_their_bytes(valid_policy_text: str) -> None:
    text = valid_policy_text + "# " + "é" * (MAX_POLICY_BYTES // 2) + "\n"

    assert len(text) < MAX_POLICY_BYTES
    assert "over 524,288 bytes" in the_problem_in(text).message


# -- single values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        pytest.param(
            "title: Standard delivery policy",
            "title: " + "T" * (MAX_TITLE_CHARS + 1),
            "title",
            "is 201 characters long; at most 200 are allowed here: shorten it",
            id="title",
        ),
        pytest.param(
            "- id: charter",
            "- id: c" + "h" * MAX_IDENTIFIER_CHARS,
            "gates[0].artifacts[0].id",
            "is 65 characters long; at most 64 are allowed here: shorten it",
            id="identifier",
        ),
        pytest.param(
            "  budget:\n    type: money",
            "  b" + "u" * MAX_IDENTIFIER_CHARS + ":\n    type: money",
            "facts.b" + "u" * MAX_IDENTIFIER_CHARS,
            "a name may have at most 64 characters, not 65",
            id="fact id",
        ),
        pytest.param(
            "version: 3",
            "version: 100000000000000000000",
            "version",
            "must be at most 1,000,000, found 100,000,000,000,000,000,000",
            id="version",
        ),
        pytest.param(
            "sla_days: 10",
            "sla_days: 99999999",
            "gates[0].sla_days",
            "must be at most 36,600, found 99,999,999",
            id="days",
        ),
        pytest.param(
            "min: 2",
            "min: 5000",
            "gates[0].signoffs[1].min",
            "must be at most 100, found 5,000",
            id="signers",
        ),
    ],
)
def test_a_single_value_over_its_bound_is_refused_at_its_place(
    valid_policy_text: str, old: str, new: str, path: str, message: str
) -> None:
    assert valid_policy_text.count(old) == 1

    policy, problems = check_policy_text(valid_policy_text.replace(old, new), NAME)

    assert policy is None
    assert (path, message) in [(p.path, p.message) for p in problems]


def test_a_name_with_a_trailing_line_break_is_not_a_valid_name(valid_policy_text: str) -> None:
    text = valid_policy_text.replace("- id: charter", '- id: "charter\\n"')

    problem = the_problem_in(text)

    assert problem.path == "gates[0].artifacts[0].id"
    assert "is not a valid name" in problem.message


def test_the_editor_schema_states_the_same_bounds() -> None:
    schema = json_schema()

    assert schema["properties"]["title"]["maxLength"] == MAX_TITLE_CHARS
    assert schema["properties"]["id"]["maxLength"] == MAX_IDENTIFIER_CHARS
    assert schema["properties"]["version"]["maximum"] == 1_000_000


# -- the shipped library -----------------------------------------------------------------------


@pytest.mark.parametrize("name", shipped())
def test_the_shipped_policies_stay_far_inside_every_bound(name: str) -> None:
    text = (LIBRARY / f"{name}.yaml").read_text(encoding="utf-8")
    depth = deepest = values = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            values += 1
            deepest = max(deepest, depth)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
            values += 1
            deepest = max(deepest, depth + 1)

    assert len(text.encode()) * 10 < MAX_POLICY_BYTES
    assert deepest * 3 < MAX_DEPTH
    assert values * 10 < MAX_VALUES
    assert check_policy_text(text, name)[1] == []
