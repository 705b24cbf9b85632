"""The cost bound of CEL conditions: an expression that could hang a worker is refused when the
policy is checked, with its place and what to simplify, and nothing of it is ever run."""

from __future__ import annotations

import cel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import Fact, FactType, check_policy_text
from policies.cel_cost import after_compiling, before_compiling, estimate, tokens
from policies.conditions import Names, compile_condition
from policies.limits import (
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_NESTING,
    MAX_ITERATIONS,
    MAX_LITERAL_ITEMS,
)

NAMES = Names(
    {
        "budget": Fact("budget", FactType.MONEY, "Budget"),
        "region": Fact("region", FactType.ENUM, "Region", values=("emea", "apac")),
    },
    ["major", "minor"],
)


def numbers(count: int) -> str:
    return "[" + ", ".join(str(n) for n in range(count)) + "]"


def refusal(source: str) -> list[str]:
    condition, problems = compile_condition(source, NAMES)
    assert condition is None
    return problems


# The expression users reported: three maps over list literals, nested; it ran for minutes.
PATHOLOGICAL = (
    f"{numbers(60)}.map(x, {numbers(60)}.map(y, {numbers(60)}.map(z, x + y + z))).size() > 0"
)


# -- the reported expression -------------------------------------------------------------------


def test_the_reported_pathological_expression_is_refused_at_load_without_running(
    valid_policy_text: str,
) -> None:
    old = "expr: project.budget > 0.0"
    text = valid_policy_text.replace(old, f"expr: '{PATHOLOGICAL}'")

    policy, problems = check_policy_text(text, "standard.yaml")

    assert policy is None
    assert {(p.line, p.path) for p in problems} == {(76, "gates[0].criteria[0].expr")}
    assert [p.message for p in problems] == [
        "macros (map, filter, all, exists, exists_one) nest 3 deep; at most 2 are allowed: "
        "take the inner macro out of the outer one",
        "in the worst case its macros run their bodies 219,660 times per evaluation; at most "
        "1,000 are allowed: use shorter lists or fewer macros inside macros",
    ]


# -- before compiling: what could overflow the compiler's stack --------------------------------


def test_an_expression_over_the_length_bound_is_refused_before_it_is_compiled() -> None:
    source = "1" + " + 1" * 500 + " > 0"

    assert refusal(source) == [
        f"the condition is {len(source):,} characters long; a condition may have at most "
        f"{MAX_EXPRESSION_CHARS:,}: split it into several criteria"
    ]


def test_brackets_nested_past_the_bound_are_refused_before_compiling() -> None:
    deep = MAX_EXPRESSION_NESTING + 1

    assert refusal("(" * deep + "project.budget > 1.0" + ")" * deep) == [
        f"brackets nest {deep} deep; at most {MAX_EXPRESSION_NESTING} are allowed: remove "
        "redundant parentheses or split the condition into several criteria"
    ]


def test_brackets_inside_strings_and_comments_do_not_count() -> None:
    source = '"((((((((((((((((" == "x" // ((((((((((((((((\n || project.budget > 1.0'

    assert before_compiling(source) == []
    assert compile_condition(source, NAMES)[1] == []


# -- after compiling: what could run too long --------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            f"project.budget in {numbers(MAX_LITERAL_ITEMS + 1)}",
            f"a list or map literal has {MAX_LITERAL_ITEMS + 1} items; at most "
            f"{MAX_LITERAL_ITEMS} are allowed: use a shorter list, or a fact",
            id="long list",
        ),
        pytest.param(
            " && ".join(["[1].all(x, x > 0)"] * 5),
            "it uses 5 macros (map, filter, all, exists, exists_one); at most 4 are allowed: "
            "split it into several criteria",
            id="many macros",
        ),
        pytest.param(
            "[1].all(a, [1].all(b, [1].all(c, a + b + c > 0)))",
            "macros (map, filter, all, exists, exists_one) nest 3 deep; at most 2 are allowed: "
            "take the inner macro out of the outer one",
            id="nested macros",
        ),
        pytest.param(
            f"{numbers(40)}.all(a, {numbers(40)}.exists(b, a == b))",
            "in the worst case its macros run their bodies 1,640 times per evaluation; at most "
            "1,000 are allowed: use shorter lists or fewer macros inside macros",
            id="iterations",
        ),
        pytest.param(
            "['a'].map(s, s + s).map(s, s + s).map(s, s + s).map(s, s + s + s).size() > 0",
            "'+' inside macros can make values 24 times bigger; at most 16 is allowed: join "
            "fewer values inside map, filter, all or exists",
            id="growth",
        ),
    ],
)
def test_an_expression_whose_worst_case_costs_too_much_is_refused(
    source: str, message: str
) -> None:
    assert refusal(source) == [message]


@pytest.mark.parametrize(
    "source",
    [
        "project.budget > 250000.0",
        '["emea", "apac"].exists(r, r == project.region)',
        f"{numbers(30)}.all(a, {numbers(30)}.exists(b, a + b >= 0))",
        "[1, 2, 3].map(x, x * 2).filter(y, y > 2).all(z, z > 0)",
        "[[1, 2], [3, 4]].all(pair, pair.exists(n, n > 0))",
        'size("[1,2,3].map(x, [1,2,3].map(y, [1,2,3].map(z, 1)))") > 0',
    ],
)
def test_an_expression_within_the_bounds_compiles(source: str) -> None:
    condition, problems = compile_condition(source, NAMES)

    assert problems == []
    assert condition is not None


def test_a_macro_over_a_list_the_text_does_not_show_assumes_the_largest_list() -> None:
    # x is each inner list; the estimate cannot know its length, so it takes every literal
    # item of the condition: 2 + 3 + 3 = 8.
    cost = estimate("[[1, 2, 3], [4, 5, 6]].all(x, x.exists(n, n > 5))")

    assert cost.iterations == 2 * (1 + 8)


def test_a_chained_macro_goes_over_the_list_of_the_one_before() -> None:
    cost = estimate(f"{numbers(10)}.filter(x, x > 2).map(y, y * 2).exists(z, z > 4)")

    assert (cost.iterations, cost.macro_nesting, cost.macros) == (30, 1, 3)


def test_indexing_is_not_a_list_literal() -> None:
    assert estimate("[5, 6][0] > 1").largest_literal == 2


def test_the_tokenizer_keeps_escaped_quotes_and_raw_strings_inside_their_string() -> None:
    source = r'"a \" ]" + r"\" + ' + "'''x'y'''" + " // ] comment"

    assert [(t.kind, t.text) for t in tokens(source)] == [
        ("string", r'"a \" ]"'),
        ("op", "+"),
        ("string", r'r"\"'),
        ("op", "+"),
        ("string", "'''x'y'''"),
    ]


# -- properties --------------------------------------------------------------------------------


def chained(items: list[int], calls: list[str]) -> tuple[str, int]:
    """A literal list with macros chained on it; returns the text and how often bodies run."""
    text = "[" + ", ".join(map(str, items)) + "]"
    for call in calls:
        text += f".{call}(v, v >= 0)"
    return text, len(items) * len(calls)


macro_chains = st.tuples(
    st.lists(st.integers(0, 9), max_size=12),
    st.lists(st.sampled_from(["filter", "map"]), max_size=2),
)


def cel_string(text: str) -> str:
    """`text` as a CEL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@settings(max_examples=200, deadline=None, database=None)
@given(
    outer=st.lists(st.integers(0, 9), max_size=12),
    inner=macro_chains,
    noise=st.text(st.characters(blacklist_categories=["Cc", "Cs"]), max_size=20),
)
def test_the_estimate_counts_exactly_the_bodies_a_nested_literal_expression_runs(
    outer: list[int], inner: tuple[list[int], list[str]], noise: str
) -> None:
    inner_text, inner_runs = chained(*inner)
    outer_text, _ = chained(outer, [])
    # A string literal holding any text, brackets and macro names included, changes nothing.
    quoted = cel_string(noise + "[1,2].map(x, [3].map(y, x))")
    source = f"{outer_text}.all(w, {inner_text}.size() >= 0) || {quoted} == {quoted}"

    cel.compile(source)
    assert estimate(source).iterations == len(outer) * (1 + inner_runs)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from(list("()[]{}.,+'\"\\/ xmap(all)exists1")), max_size=200))
def test_any_text_is_measured_without_an_exception(source: str) -> None:
    assert isinstance(before_compiling(source), list)
    if not before_compiling(source):
        assert isinstance(after_compiling(source), list)


@settings(max_examples=100, deadline=None, database=None)
@given(st.integers(0, MAX_LITERAL_ITEMS), st.integers(0, MAX_LITERAL_ITEMS))
def test_two_nested_macros_are_refused_exactly_when_their_lists_multiply_past_the_budget(
    outer: int, inner: int
) -> None:
    source = f"{numbers(outer)}.all(a, {numbers(inner)}.exists(b, a == b))"
    runs = outer * (1 + inner)

    refused = any("times per evaluation" in p for p in after_compiling(source))

    assert refused == (runs > MAX_ITERATIONS)
