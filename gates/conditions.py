"""Evaluating a policy condition for a project, and saying in words why it held."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import cel

from policies.facts import format_value
from policies.model import Condition, FactValue, FieldRef

Forms = Mapping[str, Mapping[str, FactValue]]

_FIELD = r"evidence\s*\.\s*[A-Za-z_]\w*\s*\.\s*[A-Za-z_]\w*"
_TOKEN = re.compile(
    r"(?P<string>\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')"
    r"|has\(\s*project\s*\.\s*(?P<has>[A-Za-z_]\w*)\s*\)"
    rf"|has\(\s*(?P<has_field>{_FIELD})\s*\)|(?P<field>{_FIELD})"
    r"|project\s*\.\s*(?P<fact>[A-Za-z_]\w*)"
    r"|\bprogramme\s*\.\s*(?P<programme>[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)?)"
    r"|\btier\b|&&|\|\||!(?!=)|\b\d{4,}\b"
)
_STRING = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")
# One comparison and nothing else around it: what an unmet criterion can say the other way.
_COMPARISON = re.compile(
    r"^(?P<left>[^=!<>&|?]+?)\s*(?P<op>==|!=|<=|>=|<|>)\s*(?P<right>[^=!<>&|?]+)$"
)
_NEGATED = {
    "==": "is not",
    "!=": "is",
    "<": "is not below",
    "<=": "is above",
    ">": "is not above",
    ">=": "is below",
}


EVALUATION_ERRORS = (
    KeyError,
    RuntimeError,
    TypeError,
    ValueError,
    ZeroDivisionError,
    OverflowError,
)
"""What running a compiled condition can raise for one project: an unset fact, a division by
zero, an overflow, a type CEL refuses."""


class ConditionError(Exception):
    """A condition could not be evaluated for this project (a fact is missing or invalid)."""


def holds(condition: Condition, context: cel.Context) -> bool:
    """True when the condition holds for the project in `context`.

    Raises ConditionError when it cannot be evaluated (e.g. an optional fact is not set).
    """
    try:
        return bool(condition.program.execute(context))
    except EVALUATION_ERRORS as error:
        raise ConditionError(f"cannot evaluate '{condition.source}': {error}") from None


def describe(
    condition: Condition,
    facts: Mapping[str, FactValue],
    tier: str,
    context: cel.Context | None = None,
    forms: Forms | None = None,
    programme: Mapping[str, object] | None = None,
) -> str:
    """The condition in words with the project's values: 'budget 400,000 > 250,000', 'UAT
    sign-off: open critical defects 2 == 0' (a form field by its form's and its own title),
    'programme total budget 1,200,000 > 1,000,000' (given its `programme` value).

    Given the project's `context`, an `a || b || c` names only the parts that hold.
    """
    if context is not None and condition.alternatives:
        held = [a for a in condition.alternatives if _holds_quietly(a, context)]
        if held:
            return " or ".join(describe(a, facts, tier, None, forms, programme) for a in held)
    values = _Values(facts, tier, forms or {}, condition.evidence, programme)
    return _words(condition.source, values)


def describe_unmet(
    condition: Condition, facts: Mapping[str, FactValue], tier: str, forms: Forms
) -> str:
    """An unmet condition that reads a form field, said the other way round where it is one
    comparison: 'UAT sign-off: open critical defects 2 is not 0'; else as `describe` says it."""
    masked = _masked(condition.source)
    found = _COMPARISON.match(masked.strip())
    if not condition.evidence or found is None or not _balanced(found["left"]):
        return describe(condition, facts, tier, None, forms)
    values = _Values(facts, tier, forms, condition.evidence)
    offset = len(masked) - len(masked.lstrip())
    left = condition.source[offset + found.start("left") : offset + found.end("left")]
    right = condition.source[offset + found.start("right") : offset + found.end("right")]
    return f"{_words(left, values)} {_NEGATED[found['op']]} {_words(right, values)}"


def _balanced(text: str) -> bool:
    """True when `text` closes every bracket it opens: the comparison is the whole
    expression, not one inside a macro such as `list.all(x, x > 1)`."""
    return all(text.count(o) == text.count(c) for o, c in ("()", "[]", "{}"))


def unreadable(condition: Condition, forms: Forms) -> str:
    """What stops `condition` from reading its form fields: 'UAT sign-off is missing' (no
    version attached), 'UAT sign-off: workarounds is not filled' (an optional field left
    empty); '' when every field it reads has a value."""
    for ref in condition.evidence:
        if ref.artifact not in forms:
            return f"{ref.artifact_title} is missing"
    for ref in condition.evidence:
        if ref.field not in forms[ref.artifact]:
            return f"{ref.label} is not filled"
    return ""


def _masked(source: str) -> str:
    """`source` with the inside of its strings blanked, so operators in them do not count."""
    return _STRING.sub(lambda m: m[0][0] + "_" * (len(m[0]) - 2) + m[0][0], source)


class _Values:
    """What the words of a condition are filled with: the project's facts, tier, forms and
    programme."""

    __slots__ = ("facts", "forms", "labels", "programme", "tier")

    def __init__(
        self,
        facts: Mapping[str, FactValue],
        tier: str,
        forms: Forms,
        refs: tuple[FieldRef, ...],
        programme: Mapping[str, object] | None = None,
    ) -> None:
        self.facts, self.tier, self.forms, self.programme = facts, tier, forms, programme
        self.labels = {ref.name: ref for ref in refs}


def _words(source: str, values: _Values) -> str:
    return "".join(_fill(part, values) for part in _template(source))


def describe_source(
    source: str, facts: Mapping[str, FactValue], tier: str, forms: Forms | None = None
) -> str:
    """CEL text as written, with each fact, form field and the tier followed by the
    project's value."""
    return _words(source, _Values(facts, tier, forms or {}, ()))


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
    if match.group("has_field"):
        return ("has_field", re.sub(r"\s+", "", match.group("has_field")))
    if match.group("field"):
        return ("field", re.sub(r"\s+", "", match.group("field")))
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


def _fill(part: str | tuple[str, str], values: _Values) -> str:
    if isinstance(part, str):
        return part
    kind, name = part
    if kind == "tier":
        return f"tier {values.tier}"
    if kind in ("field", "has_field"):
        return _fill_field(kind, name, values)
    if kind == "programme":
        return _programme_words(name, values.programme)
    value = values.facts.get(name)
    if kind == "has":
        return f"{name} is {'set' if value is not None else 'not set'}"
    if value is None:
        return f"{name} (not set)"
    shown = format_value(value)
    return f"{name} ({shown})" if isinstance(value, bool) else f"{name} {shown}"


def _fill_field(kind: str, name: str, values: _Values) -> str:
    ref = values.labels.get(name)
    if ref is None:  # not a field the condition was checked to read: shown as written
        return f"has({name})" if kind == "has_field" else name
    form = values.forms.get(ref.artifact)
    value = form.get(ref.field) if form is not None else None
    if kind == "has_field":
        return f"{ref.label} is {'filled' if value is not None else 'not filled'}"
    if value is None:
        return f"{ref.label} ({'not filled' if form is not None else 'missing'})"
    shown = format_value(value)
    return f"{ref.label} ({shown})" if isinstance(value, bool) else f"{ref.label} {shown}"
