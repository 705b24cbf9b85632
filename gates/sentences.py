"""A condition said as a sentence a sponsor reads, with the project's values in it.

    project.budget > 250000.0               budget 600,000 is over 250,000
    tier != "small"                         tier is large, not small
    project.risk in ["high", "critical"]    risk high is one of high, critical
    has(project.go_live_date)               go live date is not set

Each part is evaluated by CEL on its own text, so a sentence says what the compiled condition
does. The words state what is true of the project, so a part reads the same whether the rule
wants it true or false (`!project.regulated` holds because "regulated is false"); `&&` and
`||` name the parts that decided the outcome. A condition the parser cannot read, or whose
parts do not add up to the compiled outcome, is said as before (gates.conditions.describe).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import lru_cache

import cel

from gates.conditions import EVALUATION_ERRORS, describe, describe_source
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
    UnreadableCondition,
    parse,
)
from policies.conditions import evaluation_context
from policies.facts import format_value
from policies.model import Condition, FactValue

_ERRORS = EVALUATION_ERRORS
_ORDER = {">": "is over", ">=": "is at least", "<": "is under", "<=": "is at most"}
_DATE_ORDER = {">": "is after", ">=": "is on or after", "<": "is before", "<=": "is on or before"}
_OPPOSITE = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}
_MIRROR = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
_TEXT_TESTS = {
    "startsWith": ("starts with", "does not start with"),
    "endsWith": ("ends with", "does not end with"),
    "contains": ("contains", "does not contain"),
    "matches": ("matches", "does not match"),
}
_UNITS = ("_months", "_weeks", "_days", "_years")


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a condition as evaluated: its words, and whether it held (None: unknown)."""

    text: str
    held: bool | None


@dataclass(frozen=True, slots=True)
class Sentence:
    """Why a condition holds, does not hold, or cannot be told yet, in words.

    `held` is the compiled condition's outcome (None when it cannot be evaluated, e.g. it
    reads a fact that is not set); `parts` are the parts evaluated, in the order written;
    `unset` the facts it reads that are not set.
    """

    text: str
    held: bool | None
    parts: tuple[Part, ...]
    unset: tuple[str, ...] = ()


def in_words(
    condition: Condition,
    facts: Mapping[str, FactValue],
    tier: str,
    context: cel.Context | None = None,
) -> Sentence:
    """Say why `condition` holds or not for a project with `facts` and `tier`. Never raises:
    a condition it cannot read is said as written, with the project's values filled in."""
    if context is None:
        context = evaluation_context(facts, tier)
    held = _outcome(condition.program, context)
    unset = tuple(sorted(f for f in condition.facts if facts.get(f) is None))
    try:
        said = _Speaker(condition.source, facts, tier, context).say(_tree(condition.source))
    except (UnreadableCondition, RecursionError, *_ERRORS):
        said = None  # never a crash: said as before, below
    if said is None or said.held != held:
        text = describe(condition, facts, tier, context)
        return Sentence(text, held, (Part(text, held),), unset)
    return Sentence(said.text, held, said.parts, unset)


def fact_words(fact: str) -> str:
    """A fact's id as words: 'handles_personal_data' -> 'handles personal data'."""
    return fact.replace("_", " ")


@lru_cache(maxsize=1024)
def _tree(source: str) -> Node:
    return parse(source)


@lru_cache(maxsize=4096)
def _program(text: str) -> cel.Program:
    try:
        return cel.compile(text)
    except (ValueError, RuntimeError) as error:
        raise UnreadableCondition(f"cannot compile '{text}'") from error


def _outcome(program: cel.Program, context: cel.Context) -> bool | None:
    try:
        return bool(program.execute(context))
    except _ERRORS:
        return None


@dataclass(frozen=True, slots=True)
class _Said:
    """A node in words: its text, outcome, the parts evaluated, and the word joining it."""

    text: str
    held: bool | None
    parts: tuple[Part, ...]
    joiner: str = ""


@dataclass(frozen=True, slots=True)
class _Operand:
    """One side of a comparison: what it is called, its value in words, and whether a date."""

    subject: str
    value: str
    is_date: bool = False

    @property
    def label(self) -> str:
        """'budget 600,000', 'duration 10 months': the subject with its value."""
        for unit in _UNITS:
            if self.subject.endswith(fact_words(unit)):
                stem = self.subject.removesuffix(fact_words(unit))
                return f"{stem} {self.value} {unit[1:]}"
        return f"{self.subject} {self.value}" if self.subject else self.value


class _Speaker:
    """Says the nodes of one condition for one project."""

    def __init__(
        self, source: str, facts: Mapping[str, FactValue], tier: str, context: cel.Context
    ) -> None:
        self.source, self.facts, self.tier, self.context = source, facts, tier, context

    def text_of(self, node: Node) -> str:
        return self.source[node.start : node.end]

    def say(self, node: Node) -> _Said:
        if isinstance(node, Not):
            inner = self.say(node.operand)
            held = None if inner.held is None else not inner.held
            return _Said(inner.text, held, inner.parts, inner.joiner)
        if isinstance(node, Both | Either):
            return self.combine(node)
        held = self.held(node)
        text = self.unknown(node) if held is None else self.leaf(node, held)
        return _Said(text, held, (Part(text, held),))

    def held(self, node: Node) -> bool | None:
        try:
            value = _program(self.text_of(node)).execute(self.context)
        except _ERRORS:
            return None
        if not isinstance(value, bool):
            raise UnreadableCondition(f"'{self.text_of(node)}' is not true or false")
        return value

    def combine(self, node: Both | Either) -> _Said:
        said = [self.say(part) for part in node.parts]
        outcomes = [s.held for s in said]
        decisive = isinstance(node, Either)  # the outcome one part decides: True for ||
        if decisive in outcomes:
            held: bool | None = decisive
        elif None in outcomes:
            held = None
        else:
            held = not decisive
        # When every part agreed each one is a reason; else the parts that decided are.
        unanimous = held is (not decisive)
        shown = said if unanimous else [s for s in said if s.held is held]
        parts = tuple(p for s in said for p in s.parts)
        if len(shown) == 1:
            return _Said(shown[0].text, held, parts, shown[0].joiner)
        joiner = "or" if held is True and isinstance(node, Either) else "and"
        texts = dict.fromkeys(_wrapped(s, joiner) for s in shown)
        return _Said(f" {joiner} ".join(texts), held, parts, joiner if len(texts) > 1 else "")

    def unknown(self, node: Node) -> str:
        missing = [f for f in _facts_in(node) if self.facts.get(f) is None]
        if missing:
            return " and ".join(f"{fact_words(f)} is not set" for f in dict.fromkeys(missing))
        return f"{self.as_written(node)} cannot be evaluated"

    def as_written(self, node: Node) -> str:
        return describe_source(self.text_of(node), self.facts, self.tier)

    def leaf(self, node: Node, held: bool) -> str:
        fact = _fact(node)
        if fact is not None:
            return f"{fact_words(fact)} is {format_value(self.facts[fact])}"
        if isinstance(node, Call) and node.function == "has" and node.target is None:
            name = _fact(node.args[0]) if len(node.args) == 1 else None
            if name is not None:
                return f"{fact_words(name)} is {'set' if held else 'not set'}"
        if isinstance(node, Call) and node.function in _TEXT_TESTS and node.target is not None:
            return self.text_test(node, held)
        if isinstance(node, Compare):
            return self.comparison(node, held)
        return self.as_written(node)

    def text_test(self, node: Call, held: bool) -> str:
        assert node.target is not None
        target = self.operand(node.target)
        if target is None or len(node.args) != 1:
            return self.as_written(node)
        verb = _TEXT_TESTS[node.function][0 if held else 1]
        return f"{target.label} {verb} {self.text_of(node.args[0]).strip()}"

    def comparison(self, node: Compare, held: bool) -> str:
        op, left, right = node.op, node.left, node.right
        if isinstance(left, Literal | ListOf) and not isinstance(right, Literal | ListOf):
            if op == "in":
                return self.as_written(node)
            op, left, right = _MIRROR[op], right, left
        subject, other = self.operand(left), self.operand(right)
        if subject is None or other is None:
            return self.as_written(node)
        if op == "in":
            return f"{subject.label} is {'' if held else 'not '}one of {other.value}"
        if op in ("==", "!="):
            return _equality(subject, other, held == (op == "=="), isinstance(right, Literal))
        dated = subject.is_date or other.is_date
        words = (_DATE_ORDER if dated else _ORDER)[op if held else _OPPOSITE[op]]
        return f"{subject.label} {words} {other.label}"

    def operand(self, node: Node) -> _Operand | None:
        fact = _fact(node)
        if fact is not None:
            found = self.facts.get(fact)
            if found is None:
                return None
            return _Operand(fact_words(fact), format_value(found), isinstance(found, date))
        if isinstance(node, Name) and node.path == ("tier",):
            return _Operand("tier", self.tier)
        if isinstance(node, Literal):
            return _Operand("", _shown(node.value))
        if isinstance(node, ListOf):
            items = [i for i in node.items if isinstance(i, Literal)]
            if len(items) == len(node.items):
                return _Operand("", ", ".join(_shown(i.value) for i in items))
        if isinstance(node, Call) and node.function == "size":
            measured = node.target if node.target is not None else (node.args or (None,))[0]
            name = _fact(measured) if measured is not None else None
            if name is not None:
                value = _program(self.text_of(node)).execute(self.context)
                return _Operand(f"length of {fact_words(name)}", _shown(value))
        if isinstance(node, Call) and node.function in ("timestamp", "date") and node.args:
            value = _program(self.text_of(node)).execute(self.context)
            return _Operand("", _shown(value), True)
        return None


def _equality(subject: _Operand, other: _Operand, equal: bool, literal: bool) -> str:
    """'tier is large, not small' / 'risk is high'; between two facts: 'a 5 equals b 5'."""
    if not literal:
        return f"{subject.label} {'equals' if equal else 'does not equal'} {other.label}"
    if equal:
        return f"{subject.subject or subject.label} is {other.value}"
    return f"{subject.subject or subject.label} is {subject.value}, not {other.value}"


def _wrapped(said: _Said, joiner: str) -> str:
    """The text of a part, in parentheses when it joins its own parts with another word."""
    return f"({said.text})" if said.joiner and said.joiner != joiner else said.text


def _fact(node: Node | None) -> str | None:
    """The fact a node reads directly (`project.budget` -> 'budget'), else None."""
    if isinstance(node, Name) and len(node.path) == 2 and node.path[0] == "project":
        return node.path[1]
    return None


def _facts_in(node: Node) -> list[str]:
    """Every fact the node reads, in the order written."""
    fact = _fact(node)
    if fact is not None:
        return [fact]
    children: list[Node] = []
    for field in fields(node):
        value = getattr(node, field.name)
        if isinstance(value, Node):
            children.append(value)
        elif isinstance(value, tuple):
            children.extend(v for v in value if isinstance(v, Node))
    return [f for child in children for f in _facts_in(child)]


def _shown(value: object) -> str:
    """A value written in a condition or computed by CEL, as a person reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, datetime) and (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "null" if value is None else str(value)
