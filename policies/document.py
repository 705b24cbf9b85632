"""Reading a YAML policy file against the document spec, remembering where every value is.

The result is plain Python values plus a map from each value's path ('gates[2].signoffs[0]')
to its line and column, so later checks can point at the exact place of a mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from policies.bounds import shape_problems, size_problem
from policies.limits import MAX_IDENTIFIER_CHARS
from policies.money import currency_problem
from policies.problems import Problem, did_you_mean, one_of
from policies.spec import IDENTIFIER, ListOf, MapOf, Mapping, Scalar, Spec

_IDENTIFIER = re.compile(IDENTIFIER)
_INVALID = object()


@dataclass
class Document:
    """A parsed policy file: its name, where each path sits, and the problems found so far."""

    name: str
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def at(self, path: str) -> tuple[int, int]:
        """The line and column of `path`, or of its nearest known parent."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = _parent(path)
        return self.positions.get("", (1, 1))

    def problem(self, path: str, message: str) -> None:
        """Record a problem at the place of `path`."""
        line, column = self.at(path)
        self.problems.append(Problem(self.name, line, column, path, message))


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def read(text: str, name: str, spec: Mapping) -> tuple[dict[str, Any] | None, Document]:
    """Parse YAML `text` and check it against `spec`; values that fail are left out.

    A file over the bounds of policies.limits (size, depth, values, aliases) is refused with
    one problem before it is composed, so it can exhaust neither the stack nor memory.
    """
    doc = Document(name)
    oversized = size_problem(text.encode("utf-8", errors="replace"), name)
    doc.problems.extend([oversized] if oversized else shape_problems(text, name))
    if doc.problems:
        return None, doc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        doc.problems.append(Problem(name, line, column, "", f"YAML syntax error: {error.problem}"))
        return None, doc
    except yaml.reader.ReaderError as error:
        line, column = _position(text, error.position)
        message = f"the file holds a character YAML does not allow ({error.character!r})"
        doc.problems.append(Problem(name, line, column, "", message))
        return None, doc
    except yaml.YAMLError as error:
        doc.problems.append(Problem(name, 1, 1, "", f"YAML error: {str(error).splitlines()[0]}"))
        return None, doc
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null")):
        doc.problems.append(Problem(name, 1, 1, "", "the file is empty: a policy is a mapping"))
        return None, doc
    value = _check(doc, root, spec, "")
    return (value if isinstance(value, dict) else None), doc


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _mark(doc: Document, path: str, node: yaml.Node) -> None:
    doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)


def _check(doc: Document, node: yaml.Node, spec: Spec, path: str) -> Any:
    _mark(doc, path, node)
    if isinstance(spec, Scalar):
        return _scalar(doc, node, spec, path)
    if isinstance(spec, ListOf):
        return _list(doc, node, spec, path)
    if isinstance(spec, MapOf):
        return _map_of(doc, node, spec, path)
    return _mapping(doc, node, spec, path)


def _shape_name(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"'{node.value}'"


def _mapping(doc: Document, node: yaml.Node, spec: Mapping, path: str) -> Any:
    pairs = _pairs(doc, node, path, "a mapping of keys")
    if pairs is None:
        return _INVALID
    result: dict[str, Any] = {}
    for key, key_node, value_node in pairs:
        field_spec = spec.fields.get(key)
        if field_spec is None:
            _mark(doc, _join(path, key), key_node)
            doc.problem(_join(path, key), f"unknown key '{key}'{did_you_mean(key, spec.fields)}")
            continue
        value = _check(doc, value_node, field_spec.spec, _join(path, key))
        if value is not _INVALID:
            result[key] = value
    present = {key for key, _, _ in pairs}
    for key, field_spec in spec.fields.items():
        if field_spec.required and key not in present:
            doc.problem(path, f"missing required key '{key}'")
    return result


def _pairs(
    doc: Document, node: yaml.Node, path: str, expected: str
) -> list[tuple[str, yaml.Node, yaml.Node]] | None:
    if not isinstance(node, yaml.MappingNode):
        doc.problem(path, f"expected {expected}, found {_shape_name(node)}")
        return None
    pairs: list[tuple[str, yaml.Node, yaml.Node]] = []
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
        _mark(doc, _join(path, key), key_node)
        if not key:
            doc.problem(_join(path, key), "a key must be a plain name")
        elif key in seen:
            doc.problem(_join(path, key), f"duplicate key '{key}': each key may appear once")
        else:
            seen.add(key)
            pairs.append((key, key_node, value_node))
    return pairs


def _list(doc: Document, node: yaml.Node, spec: ListOf, path: str) -> Any:
    if not isinstance(node, yaml.SequenceNode):
        doc.problem(path, f"expected a list, found {_shape_name(node)}")
        return _INVALID
    items = [_check(doc, item, spec.item, f"{path}[{i}]") for i, item in enumerate(node.value)]
    if len(items) < spec.min_items:
        doc.problem(path, f"needs at least {spec.min_items} item(s)")
    return [item for item in items if item is not _INVALID]


def _map_of(doc: Document, node: yaml.Node, spec: MapOf, path: str) -> Any:
    pairs = _pairs(doc, node, path, "a mapping of names")
    if pairs is None:
        return _INVALID
    result: dict[str, Any] = {}
    for key, _, value_node in pairs:
        refused = _key_problem(key, spec.keys)
        if refused is not None:
            doc.problem(_join(path, key), refused)
            continue
        value = _check(doc, value_node, spec.value, _join(path, key))
        if value is not _INVALID:
            result[key] = value
    return result


def _key_problem(key: str, kind: str) -> str | None:
    if len(key) > MAX_IDENTIFIER_CHARS:
        return f"a name may have at most {MAX_IDENTIFIER_CHARS} characters, not {len(key):,}"
    if kind == "currency":
        return currency_problem(key)
    if not _IDENTIFIER.fullmatch(key):
        return f"'{key}' is not a valid name: {_NAME_RULE}"
    return None


_NAME_RULE = "use lower-case letters, digits and '_', starting with a letter"


def _scalar(doc: Document, node: yaml.Node, spec: Scalar, path: str) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        doc.problem(path, f"expected a single value, found {_shape_name(node)}")
        return _INVALID
    if node.tag == "tag:yaml.org,2002:null":
        doc.problem(path, "has no value: give one or remove the key")
        return _INVALID
    if spec.max_length is not None and len(node.value) > spec.max_length:
        doc.problem(
            path,
            f"is {len(node.value):,} characters long; at most {spec.max_length:,} are allowed "
            "here: shorten it",
        )
        return _INVALID
    try:
        value = node.value if spec.kind in _TEXT_KINDS else _construct(node)
    except (ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        doc.problem(path, f"'{node.value}' cannot be read as a value ({reason})")
        return _INVALID
    checked = _SCALAR_CHECKS[spec.kind](node, value)
    if isinstance(checked, _Refusal):
        doc.problem(path, checked.message)
        return _INVALID
    if spec.choices and checked not in spec.choices:
        doc.problem(
            path,
            f"'{checked}' is not allowed here{did_you_mean(checked, spec.choices)}; "
            f"use {one_of(spec.choices)}",
        )
        return _INVALID
    if spec.minimum is not None and checked < spec.minimum:
        doc.problem(path, f"must be at least {spec.minimum}, found {checked}")
        return _INVALID
    if spec.maximum is not None and checked > spec.maximum:
        doc.problem(path, f"must be at most {spec.maximum:,}, found {checked:,}")
        return _INVALID
    if spec.above is not None and checked <= spec.above:
        doc.problem(path, f"must be more than {spec.above}, found {node.value}")
        return _INVALID
    return checked


@dataclass(frozen=True)
class _Refusal:
    message: str


_TEXT_KINDS = frozenset({"string", "identifier", "cel", "currency", "decimal", "date"})


def _construct(node: yaml.ScalarNode) -> Any:
    return yaml.SafeLoader("").construct_object(node)


def _as_text(node: yaml.ScalarNode, value: Any) -> Any:
    return str(node.value)


def _as_identifier(node: yaml.ScalarNode, value: Any) -> Any:
    text = str(node.value)
    return (
        text
        if _IDENTIFIER.fullmatch(text)
        else _Refusal(f"'{text}' is not a valid name: {_NAME_RULE}")
    )


def _as_integer(node: yaml.ScalarNode, value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _Refusal(f"expected a whole number, found '{node.value}'")


def _as_boolean(node: yaml.ScalarNode, value: Any) -> Any:
    if isinstance(value, bool):
        return value
    return _Refusal(f"expected true or false, found '{node.value}'")


def _as_cel(node: yaml.ScalarNode, value: Any) -> Any:
    text = str(node.value).strip()
    return text if text else _Refusal("the condition is empty")


def _as_currency(node: yaml.ScalarNode, value: Any) -> Any:
    problem = currency_problem(str(node.value))
    return str(node.value) if problem is None else _Refusal(problem)


def _as_decimal(node: yaml.ScalarNode, value: Any) -> Any:
    try:
        number = Decimal(str(node.value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if number.is_finite():
        return number
    return _Refusal(f"expected a number such as 0.92, found '{node.value}'")


def _as_date(node: yaml.ScalarNode, value: Any) -> Any:
    try:
        return date.fromisoformat(str(node.value).strip())
    except ValueError:
        return _Refusal(f"expected a date (YYYY-MM-DD), found '{node.value}'")


def _as_any(node: yaml.ScalarNode, value: Any) -> Any:
    return value


COUNT_WORDS = "a whole number of people, majority, all, or a CEL expression over the facts"


def _as_count(node: yaml.ScalarNode, value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip()
    return _Refusal(f"expected {COUNT_WORDS} (project.<fact>), found '{node.value}'")


_SCALAR_CHECKS = {
    "string": _as_text,
    "identifier": _as_identifier,
    "integer": _as_integer,
    "boolean": _as_boolean,
    "cel": _as_cel,
    "currency": _as_currency,
    "decimal": _as_decimal,
    "date": _as_date,
    "any": _as_any,
    "count": _as_count,
}
