"""Project facts as stored (JSON-safe text forms) and as the rules read them (typed values)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from policies.facts import parse_value, read_facts
from policies.model import FactValue, FormField, Policy
from policies.money import Money
from workflows.errors import InvalidInput


def to_stored(values: Mapping[str, FactValue]) -> dict[str, Any]:
    """Typed fact values as JSON: money as a decimal string (with its currency when one was
    entered: 'USD 120000'), dates as ISO dates."""
    return {name: _stored(value) for name, value in values.items()}


def _stored(value: FactValue) -> Any:
    if isinstance(value, Money):
        return value.entered
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_stored(policy: Policy, stored: Mapping[str, Any]) -> dict[str, FactValue]:
    """Stored facts read back as typed values, by the policy's declarations.

    Not held to today's bounds: a value stored before they were tightened still reads back
    (a project must stay loadable); changing the facts holds it to them again.
    """
    values: dict[str, FactValue] = {}
    for fact in policy.facts:
        if stored.get(fact.id) is not None:
            values[fact.id] = parse_value(
                fact.type, stored[fact.id], fact.values, bounded=False, money=fact.money
            )
    return values


def form_from_stored(
    fields: Iterable[FormField], stored: Mapping[str, Any] | None
) -> dict[str, FactValue]:
    """A form version's stored values of `fields` read back as typed values (not held to
    today's bounds, like facts); a field left empty, or not among `fields`, is absent."""
    values: dict[str, FactValue] = {}
    for field in fields:
        if stored and stored.get(field.id) is not None:
            values[field.id] = parse_value(
                field.type, stored[field.id], field.values, bounded=False
            )
    return values


def checked_facts(policy: Policy, raw: Mapping[str, object]) -> dict[str, FactValue]:
    """Read facts as typed by a person; raises InvalidInput listing every problem."""
    values, problems = read_facts(policy.facts, raw)
    if problems:
        raise InvalidInput("Some facts are not valid", problems)
    return values
