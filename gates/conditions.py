"""Evaluating a policy condition for a project, and saying in words why it held."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import cel

from policies.facts import format_value
from policies.model import Condition, FactValue

_TOKEN = re.compile(
    r"(?P<string>\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')"
    r"|has\(\s*project\s*\.\s*(?P<has>[A-Za-z_]\w*)\s*\)"
    r"|project\s*\.\s*(?P<fact>[A-Za-z_]\w*)"
    r"|\bprogramme\s*\.\s*(?P<programme>[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)?)"
    r"|\btier\b|&&|\|\||!(?!=)|\b\d{4,}\b"
)


class ConditionError(Exception):
    """A condition could not be evaluated for this project (a fact is missing or invalid)."""


def holds(condition: Condition, context: cel.Context) -> bool:
    """True when the condition holds for the project in `context`.

    Raises ConditionError when it cannot be evaluated (e.g. an optional fact is not set).
    """
    try:
        return bool(condition.program.execute(context))
    except (KeyError, RuntimeError, TypeError, ValueError, ZeroDivisionError) as error:
        raise ConditionError(f"cannot evaluate '{condition.source}': {error}") from None


def describe(
    condition: Condition,
    facts: Mapping[str, FactValue],
    tier: str,
    context: cel.Context | None = None,
    programme: Mapping[str, object] | None = None,
) -> str:
    """The condition in words with the project's values: 'budget 400,000 > 250,000',
    'programme total budget 1,200,000 > 1,000,000' (given its `programme` value).

    Given the project's `context`, an `a || b || c` names only the parts that hold.
    """
    if context is not None and condition.alternatives:
        held = [a for a in condition.alternatives if _holds_quietly(a, context)]
        if held:
            return " or ".join(describe(a, facts, tier, None, programme) for a in held)
    parts = _template(condition.source)
    return "".join(_fill(part, facts, tier, programme) for part in parts)


def _holds_quietly(condition: Condition, context: cel.Context) -> bool:
    try:
        return holds(condition, context)
    except ConditionError:
        return False


@lru_cache(maxsize=4096)
def _template(source: str) -> tuple[str | tuple[str, str], ...]:
    parts: list[str | tuple[str, str]] = []
    last = 0
    for match in _TOKEN.finditer(source):
        parts.append(source[last : match.start()])
        parts.append(_token(match))
        last = match.end()
    parts.append(source[last:])
    return tuple(p for p in parts if p)


def _token(match: re.Match[str]) -> str | tuple[str, str]:
    text = match.group(0)
    if match.group("string"):
        return text  # a quoted string is shown exactly as the policy wrote it
    if match.group("has"):
        return ("has", match.group("has"))
    if match.group("fact"):
        return ("fact", match.group("fact"))
    if match.group("programme"):
        return ("programme", re.sub(r"\s+", "", match.group("programme")))
    if text == "tier":
        return ("tier", "")
    return _WORDS.get(text) or f"{int(text):,}"


def _programme_words(name: str, programme: Mapping[str, object] | None) -> str:
    """'programme total budget 1,200,000', 'programme's projects 2', 'the programme's other
    projects have reached execution' (or, without the value, the name as written)."""
    head, _, stage = name.partition(".")
    if programme is None:
        return f"programme.{name}"
    if head == "reached":
        done = programme.get("reached", {})
        has = isinstance(done, Mapping) and done.get(stage)
        return f"the programme's other projects {'have' if has else 'have not all'} reached {stage}"
    value = programme.get(head)
    words = head.replace("_", " ")
    if isinstance(value, float):
        return f"programme {words} {value:,.2f}".removesuffix(".00")
    return f"programme {words} {value}"


_WORDS = {"&&": "and", "||": "or", "!": "not "}


def _fill(
    part: str | tuple[str, str],
    facts: Mapping[str, FactValue],
    tier: str,
    programme: Mapping[str, object] | None = None,
) -> str:
    if isinstance(part, str):
        return part
    kind, name = part
    if kind == "tier":
        return f"tier {tier}"
    if kind == "programme":
        return _programme_words(name, programme)
    value = facts.get(name)
    if kind == "has":
        return f"{name} is {'set' if value is not None else 'not set'}"
    if value is None:
        return f"{name} (not set)"
    shown = format_value(value)
    return f"{name} ({shown})" if isinstance(value, bool) else f"{name} {shown}"
