"""Reading a CEL condition's shape, so that it can be said in words."""

from __future__ import annotations

import cel
import pytest

from policies.cel_syntax import (
    Both,
    Call,
    Compare,
    Either,
    ListOf,
    Literal,
    Name,
    Node,
    Not,
    Other,
    UnreadableCondition,
    parse,
)


def shape(node: Node) -> object:
    """A node without its positions, to compare trees in a table."""
    if isinstance(node, Name):
        return ".".join(node.path)
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, ListOf):
        return [shape(i) for i in node.items]
    if isinstance(node, Not):
        return ("!", shape(node.operand))
    if isinstance(node, Both | Either):
        return ("&&" if isinstance(node, Both) else "||", *map(shape, node.parts))
    if isinstance(node, Compare):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, Call):
        target = () if node.target is None else (shape(node.target),)
        return (f"{node.function}()", *target, *map(shape, node.args))
    return "other"


SHAPES = [
    pytest.param("project.budget > 250000.0", (">", "project.budget", 250000.0), id="compare"),
    pytest.param('tier != "small"', ("!=", "tier", "small"), id="tier"),
    pytest.param(
        'project.risk in ["high", "critical"]',
        ("in", "project.risk", ["high", "critical"]),
        id="in-list",
    ),
    pytest.param("!project.regulated", ("!", "project.regulated"), id="not"),
    pytest.param(
        "a && b || c && !d",
        ("||", ("&&", "a", "b"), ("&&", "c", ("!", "d"))),
        id="and-binds-tighter-than-or",
    ),
    pytest.param("a && (b || c)", ("&&", "a", ("||", "b", "c")), id="parentheses"),
    pytest.param(
        "has(project.x) && size(project.x) > 0",
        ("&&", ("has()", "project.x"), (">", ("size()", "project.x"), 0)),
        id="has-guard",
    ),
    pytest.param(
        'project.code.startsWith("AB")',
        ("startsWith()", "project.code", "AB"),
        id="method-call",
    ),
    pytest.param("-5 < project.budget", ("<", -5, "project.budget"), id="negative-number"),
    pytest.param("true || null == false", ("||", True, ("==", None, False)), id="constants"),
    pytest.param("project.budget / 2.0 > 1.0", (">", "other", 1.0), id="arithmetic-is-other"),
    pytest.param("a ? b : c", "other", id="conditional-is-other"),
    pytest.param("project.tags[0] == 'x'", ("==", "other", "x"), id="index-is-other"),
]


@pytest.mark.parametrize(("source", "expected"), SHAPES)
def test_a_condition_is_read_with_cels_precedence(source: str, expected: object) -> None:
    assert shape(parse(source)) == expected


def every_node(node: Node) -> list[Node]:
    found = [node]
    for name in ("operand", "left", "right", "target"):
        child = getattr(node, name, None)
        if isinstance(child, Node):
            found.extend(every_node(child))
    for name in ("parts", "args", "items"):
        for child in getattr(node, name, ()):
            found.extend(every_node(child))
    return found


@pytest.mark.parametrize(
    "source",
    [
        '(project.budget) > (250000.0) && (tier == "large")',
        '!(project.regulated || project.handles_personal_data) || project.risk != "low"',
        "has(project.business_unit) && size(project.business_unit) > 0",
    ],
)
def test_the_text_of_every_part_is_itself_a_condition_cel_compiles(source: str) -> None:
    for node in every_node(parse(source)):
        cel.compile(source[node.start : node.end])


@pytest.mark.parametrize(
    "source",
    ["project.budget >", "(a && b", "a b", "{1: 2}", "a < b < c", "a @ b"],
)
def test_text_outside_the_subset_is_unreadable_not_a_crash(source: str) -> None:
    with pytest.raises(UnreadableCondition):
        parse(source)


def test_a_macro_call_is_kept_whole_for_the_caller_to_evaluate() -> None:
    node = parse("[1, 2].exists(x, x > 1)")
    assert isinstance(node, Call) and node.function == "exists"
    assert isinstance(parse("a + b"), Other)
