"""The worst-case cost of a CEL condition, estimated from its text before it ever runs.

The CEL package compiles an expression but shows no syntax tree, so the text is read here: a
tokenizer that respects string literals and comments, and a tree of bracket groups built
without recursion. Nothing is evaluated. The bounds (policies/limits.py) keep every condition
that passes `policy check` cheap: a macro (map, filter, all, exists, exists_one) runs its body
once per item of its list, macros inside macros multiply, and '+' inside a macro can make the
values it builds grow.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from policies.limits import (
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_NESTING,
    MAX_GROWTH,
    MAX_ITERATIONS,
    MAX_LITERAL_ITEMS,
    MAX_MACRO_NESTING,
    MAX_MACROS,
)

MACROS = frozenset({"map", "filter", "all", "exists", "exists_one"})

_TOKEN = re.compile(
    r"""
      (?P<space>\s+|//[^\n]*)
    | (?P<string>(?:[rR][bB]?|[bB][rR]?)?(?:\"{3}|'{3}|"|'))
    | (?P<name>[A-Za-z_]\w*|`[^`]*`)
    | (?P<number>\d[\w.]*)
    | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%!<>?:.,=&|])
    | (?P<open>[(\[{])
    | (?P<close>[)\]}])
    """,
    re.VERBOSE,
)
_PAIRS = {")": "(", "]": "[", "}": "{"}
_OPERATOR_WORDS = frozenset({"in"})


@dataclass(frozen=True, slots=True)
class Token:
    """One piece of a condition's text: its kind, its text and where it starts (0-based)."""

    kind: str
    text: str
    start: int


def tokens(source: str) -> Iterator[Token]:
    """The tokens of `source`, comments and spaces left out; an unknown character or an
    unterminated string becomes one 'other' token (the compiler reports it)."""
    at = 0
    while at < len(source):
        match = _TOKEN.match(source, at)
        if match is None:
            yield Token("other", source[at], at)
            at += 1
            continue
        kind = match.lastgroup or "other"
        end = _string_end(source, match) if kind == "string" else match.end()
        if kind != "space":
            yield Token(kind, source[at:end], at)
        at = end


def _string_end(source: str, match: re.Match[str]) -> int:
    """Where the string literal that `match` opens ends (after its closing quote)."""
    prefix, quote = match.group("string").rstrip("\"'"), match.group("string").lstrip("rRbB")
    raw, at = "r" in prefix.lower(), match.end()
    while at < len(source):
        if source.startswith(quote, at):
            return at + len(quote)
        at += 2 if source[at] == "\\" and not raw else 1
    return len(source)


@dataclass(slots=True)
class Group:
    """A bracketed part of a condition: its opening bracket and what is inside, in order."""

    opener: str
    start: int
    preceding: tuple[Token | Group, ...] = ()
    """Up to three items just before the group, nearest first: for `[1].map(`, '.', '.', ']'."""
    items: list[Token | Group] = field(default_factory=list)

    def before(self, back: int) -> Token | Group | None:
        """The item `back` places before the group (1 is the one just before), if any."""
        return self.preceding[back - 1] if back <= len(self.preceding) else None


def bracket_depth(source: str) -> int:
    """How deep brackets nest in `source` (0 without brackets); unbalanced ones are ignored."""
    depth = deepest = 0
    for token in tokens(source):
        if token.kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif token.kind == "close" and depth:
            depth -= 1
    return deepest


def tree(source: str) -> Group:
    """The bracket groups of `source`, under a root group; a stray closing bracket is skipped
    and an unclosed group is closed at the end (the compiler reports both)."""
    stack = [Group("", 0)]
    for token in tokens(source):
        if token.kind == "open":
            group = Group(token.text, token.start, tuple(reversed(stack[-1].items[-3:])))
            stack[-1].items.append(group)
            stack.append(group)
        elif token.kind == "close":
            if len(stack) > 1 and stack[-1].opener == _PAIRS[token.text]:
                stack.pop()
        else:
            stack[-1].items.append(token)
    return stack[0]


def before_compiling(source: str) -> list[str]:
    """Why `source` is too big to hand to the CEL compiler (its length, its bracket depth);
    [] when it is not. The compiler recurses on nesting, and a deep enough expression would
    overflow its stack."""
    if len(source) > MAX_EXPRESSION_CHARS:
        return [
            f"the condition is {len(source):,} characters long; a condition may have at most "
            f"{MAX_EXPRESSION_CHARS:,}: split it into several criteria"
        ]
    depth = bracket_depth(source)
    if depth > MAX_EXPRESSION_NESTING:
        return [
            f"brackets nest {depth} deep; at most {MAX_EXPRESSION_NESTING} are allowed: "
            "remove redundant parentheses or split the condition into several criteria"
        ]
    return []


def after_compiling(source: str) -> list[str]:
    """Why `source` (which compiles and passed before_compiling) could cost too much to run;
    [] when its worst case is within the bounds."""
    cost = estimate(source)
    problems = []
    if cost.largest_literal > MAX_LITERAL_ITEMS:
        problems.append(
            f"a list or map literal has {cost.largest_literal:,} items; at most "
            f"{MAX_LITERAL_ITEMS} are allowed: use a shorter list, or a fact"
        )
    if cost.macros > MAX_MACROS:
        problems.append(
            f"it uses {cost.macros} macros (map, filter, all, exists, exists_one); at most "
            f"{MAX_MACROS} are allowed: split it into several criteria"
        )
    if cost.macro_nesting > MAX_MACRO_NESTING:
        problems.append(
            f"macros (map, filter, all, exists, exists_one) nest {cost.macro_nesting} deep; at "
            f"most {MAX_MACRO_NESTING} are allowed: take the inner macro out of the outer one"
        )
    if cost.growth > MAX_GROWTH:
        problems.append(
            f"'+' inside macros can make values {cost.growth:,} times bigger; at most "
            f"{MAX_GROWTH} is allowed: join fewer values inside map, filter, all or exists"
        )
    if cost.iterations > MAX_ITERATIONS:
        problems.append(
            f"in the worst case its macros run their bodies {_count(cost.iterations)} times per "
            f"evaluation; at most {MAX_ITERATIONS:,} are allowed: use shorter lists or fewer "
            "macros inside macros"
        )
    return problems


def _count(number: int) -> str:
    return f"{number:,}" if number < 10**12 else f"about 10^{int(math.log10(number))}"


@dataclass(frozen=True, slots=True)
class Cost:
    """What running a condition can cost in the worst case, from its text."""

    largest_literal: int
    macros: int
    macro_nesting: int
    growth: int
    iterations: int


def estimate(source: str) -> Cost:
    """The worst-case cost of `source`. Call it only on text within MAX_EXPRESSION_NESTING:
    it recurses once per bracket level."""
    root = tree(source)
    groups = list(_all_groups(root))
    literals = [_size(g) for g in groups if _is_literal(g)]
    bodies = [body for g in groups if (body := _macro_body(g)) is not None]
    growth = math.prod(1 + _pluses(body) for body in bodies)
    # A macro over a list the text does not show (a variable, an index, a function's result)
    # is assumed to go over the largest list the condition could build.
    unknown = max(sum(literals), 1) * (1 + _pluses(root.items)) * growth
    return Cost(
        largest_literal=max(literals, default=0),
        macros=len(bodies),
        macro_nesting=_nesting(root.items),
        growth=growth,
        iterations=_iterations(root.items, unknown),
    )


def _all_groups(root: Group) -> Iterator[Group]:
    pending = [root]
    while pending:
        group = pending.pop()
        children = [item for item in group.items if isinstance(item, Group)]
        yield from children
        pending.extend(children)


def _is_literal(group: Group) -> bool:
    """A '[' or '{' that starts a value (a list or a map literal), not one that indexes one."""
    if group.opener not in "[{":
        return False
    previous = group.before(1)
    if previous is None or isinstance(previous, Group):
        return previous is None
    return previous.kind == "op" or previous.text in _OPERATOR_WORDS


def _size(group: Group) -> int:
    """How many items a literal lists: its non-empty comma-separated parts."""
    parts, current = 0, 0
    for item in group.items:
        if isinstance(item, Token) and item.text == ",":
            parts, current = parts + (current > 0), 0
        else:
            current += 1
    return parts + (current > 0)


def _macro_body(group: Group) -> list[Token | Group] | None:
    """The body of a macro call `.map(x, body)`, what follows its first comma; None when
    `group` is not the parentheses of a macro."""
    name, dot = group.before(1), group.before(2)
    if group.opener != "(" or not isinstance(name, Token) or not isinstance(dot, Token):
        return None
    if name.text not in MACROS or dot.text != ".":
        return None
    for index, item in enumerate(group.items):
        if isinstance(item, Token) and item.text == ",":
            return group.items[index + 1 :]
    return []


def _pluses(items: list[Token | Group]) -> int:
    """The '+' among `items`, inside brackets too but not inside the body of another macro
    (that macro's own growth counts them)."""
    count, pending = 0, list(items)
    while pending:
        item = pending.pop()
        if isinstance(item, Group):
            if _macro_body(item) is None:
                pending.extend(item.items)
        elif item.text == "+":
            count += 1
    return count


def _iterations(items: list[Token | Group], unknown: int) -> int:
    """How many times the macros among `items` run their bodies, nested ones multiplied."""
    total = 0
    for item in items:
        if isinstance(item, Group):
            body = _macro_body(item)
            if body is None:
                total += _iterations(item.items, unknown)
            else:
                total += _range(item, unknown) * (1 + _iterations(body, unknown))
    return total


def _nesting(items: list[Token | Group]) -> int:
    """How deep macros nest among `items`."""
    deepest = 0
    for item in items:
        if isinstance(item, Group):
            body = _macro_body(item)
            inner = _nesting(item.items) if body is None else 1 + _nesting(body)
            deepest = max(deepest, inner)
    return deepest


def _range(macro: Group, unknown: int) -> int:
    """How many items the macro's list may have: a literal's count, the list of the macro it
    is chained to (map and filter give at most as many), or else `unknown`."""
    target = macro.before(3)
    while isinstance(target, Group) and _macro_body(target) is not None:
        target = target.before(3)
    if isinstance(target, Group) and _is_literal(target):
        return _size(target)
    return unknown
