"""The shape of a CEL condition, for saying it in words: a small parser for the part of CEL
that policies use (comparisons, `in` lists, `!`, `&&`, `||`, `has()`, function calls).

The CEL package compiles an expression but shows no syntax tree, so the text is read here,
with the tokenizer that estimates a condition's cost (policies.cel_cost). Whatever this parser
does not know (arithmetic, `?:`, indexing, maps, macros) becomes one `Other` node covering its
text, so the caller can still evaluate it and show it as written. The compiler stays the judge
of what is valid CEL: `parse` only says how a valid condition is built.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from policies.cel_cost import Token, tokens

COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in"})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
_CONSTANTS: dict[str, object] = {"true": True, "false": False, "null": None}


class UnreadableCondition(ValueError):
    """The condition's text is not in the part of CEL this parser reads."""


@dataclass(frozen=True, slots=True)
class Node:
    """A part of a condition and where its text is: source[start:end]."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A variable or a field of one: ('tier',) or ('project', 'budget')."""

    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A string, number, true, false or null written in the condition."""

    value: object


@dataclass(frozen=True, slots=True)
class ListOf(Node):
    """A list written in the condition: ["high", "critical"]."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not(Node):
    """`!operand`."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Both(Node):
    """`a && b && ...`: every part must hold."""

    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Either(Node):
    """`a || b || ...`: one part is enough."""

    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """`left <op> right`, op one of COMPARISONS."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    """`function(args)` or `target.function(args)`: has(), size(), startsWith(), ..."""

    function: str
    target: Node | None
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Other(Node):
    """A part this parser does not take apart (arithmetic, `?:`, macros, ...)."""


def parse(source: str) -> Node:
    """The tree of `source`; raises UnreadableCondition when it cannot be read."""
    reader = _Reader(source, list(tokens(source)))
    node = reader.either()
    if reader.at < len(reader.items):
        raise UnreadableCondition(f"unexpected '{reader.items[reader.at].text}'")
    return node


class _Reader:
    """A recursive descent over the tokens, loosest operator first (CEL's precedence)."""

    def __init__(self, source: str, items: list[Token]) -> None:
        self.source, self.items, self.at = source, items, 0

    def peek(self, offset: int = 0) -> str:
        at = self.at + offset
        return self.items[at].text if at < len(self.items) else ""

    def take(self, expected: str | None = None) -> Token:
        if self.at >= len(self.items):
            raise UnreadableCondition("the condition ends too early")
        token = self.items[self.at]
        if expected is not None and token.text != expected:
            raise UnreadableCondition(f"expected '{expected}', found '{token.text}'")
        self.at += 1
        return token

    def end(self) -> int:
        last = self.items[self.at - 1]
        return last.start + len(last.text)

    def either(self) -> Node:
        start, parts = self.at, [self.both()]
        while self.peek() == "||":
            self.take()
            parts.append(self.both())
        node = parts[0] if len(parts) == 1 else Either(parts[0].start, self.end(), tuple(parts))
        if self.peek() == "?":
            return self.conditional(start)
        return node

    def conditional(self, start: int) -> Node:
        self.take("?")
        self.either()
        self.take(":")
        self.either()
        return Other(self.items[start].start, self.end())

    def both(self) -> Node:
        parts = [self.relation()]
        while self.peek() == "&&":
            self.take()
            parts.append(self.relation())
        return parts[0] if len(parts) == 1 else Both(parts[0].start, self.end(), tuple(parts))

    def relation(self) -> Node:
        left = self.arithmetic()
        if self.peek() not in COMPARISONS:
            return left
        op = self.take().text
        right = self.arithmetic()
        if self.peek() in COMPARISONS:
            raise UnreadableCondition("comparisons in a chain")
        return Compare(left.start, right.end, op, left, right)

    def arithmetic(self) -> Node:
        first = self.unary()
        if self.peek() not in _ARITHMETIC:
            return first
        while self.peek() in _ARITHMETIC:
            self.take()
            self.unary()
        return Other(first.start, self.end())

    def unary(self) -> Node:
        token = self.items[self.at] if self.at < len(self.items) else None
        if token is not None and token.text == "!":
            self.take()
            operand = self.unary()
            return Not(token.start, operand.end, operand)
        if token is not None and token.text == "-":
            self.take()
            operand = self.unary()
            if isinstance(operand, Literal) and isinstance(operand.value, int | float):
                return Literal(token.start, operand.end, -operand.value)
            return Other(token.start, operand.end)
        return self.member(self.primary())

    def member(self, node: Node) -> Node:
        while self.peek() in (".", "["):
            if self.take().text == "[":
                self.either()
                self.take("]")
                node = Other(node.start, self.end())
                continue
            name = self.take().text
            if self.peek() == "(":
                args = self.arguments()
                node = Call(node.start, self.end(), name, node, args)
            elif isinstance(node, Name):
                node = Name(node.start, self.end(), (*node.path, name))
            else:
                node = Other(node.start, self.end())
        return node

    def arguments(self) -> tuple[Node, ...]:
        self.take("(")
        args: list[Node] = []
        while self.peek() != ")":
            args.append(self.either())
            if self.peek() != ")":
                self.take(",")
        self.take(")")
        return tuple(args)

    def primary(self) -> Node:
        token = self.take()
        if token.text == "(":
            inner = self.either()
            self.take(")")
            return replace(inner, start=token.start, end=self.end())
        if token.text == "[":
            return self.list_of(token)
        if token.kind == "string":
            return Literal(token.start, self.end(), _string(token.text))
        if token.kind == "number":
            return Literal(token.start, self.end(), _number(token.text))
        if token.kind == "name" and token.text in _CONSTANTS:
            return Literal(token.start, self.end(), _CONSTANTS[token.text])
        if token.kind == "name" and self.peek() == "(":
            args = self.arguments()
            return Call(token.start, self.end(), token.text, None, args)
        if token.kind == "name":
            return Name(token.start, self.end(), (token.text,))
        raise UnreadableCondition(f"unexpected '{token.text}'")

    def list_of(self, opener: Token) -> Node:
        items: list[Node] = []
        while self.peek() != "]":
            items.append(self.either())
            if self.peek() != "]":
                self.take(",")
        self.take("]")
        return ListOf(opener.start, self.end(), tuple(items))


def _string(text: str) -> object:
    """A string literal's value; bytes and raw strings are kept as their text."""
    if text[:1] in "rRbB":
        return text
    try:
        return ast.literal_eval(text)
    except (SyntaxError, ValueError) as error:
        raise UnreadableCondition(f"cannot read the string {text}") from error


def _number(text: str) -> object:
    """A number literal's value: 36, 250000.0, 10u (unsigned), 0x1F."""
    body = text.rstrip("uU")
    try:
        return int(body, 0)
    except ValueError:
        pass
    try:
        return float(body)
    except ValueError as error:
        raise UnreadableCondition(f"cannot read the number {text}") from error
