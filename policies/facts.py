"""Project fact values: reading them from what people type, and handing them to CEL."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

from policies.model import Fact, FactType, FactValue, FormField
from policies.money import PLAIN_MONEY, CurrencyError, Money, MoneyRules, split_currency
from policies.problems import did_you_mean, one_of

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class FactError(ValueError):
    """A fact value is not of the fact's type; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class Bounds:
    """The values a fact type accepts beyond its shape: stated once, checked and worded here."""

    lowest: Decimal | int | date | None = None
    highest: Decimal | int | date | None = None
    places: int | None = None
    """Decimal places (money: cents)."""
    max_chars: int | None = None
    example: str = ""


BOUNDS: dict[FactType, Bounds] = {
    FactType.MONEY: Bounds(Decimal(0), Decimal(10**15), places=2, example="250000"),
    FactType.INTEGER: Bounds(0, 10**12, example="12"),
    FactType.DATE: Bounds(date(1900, 1, 1), date(2999, 12, 31), example="2026-03-31"),
    FactType.TEXT: Bounds(max_chars=4000),
}
"""Money up to 10^15 in cents; whole numbers are counts and durations, 0 to 10^12 (CEL and
JSON hold them exactly); dates a project can mean; text a paragraph long, without control
characters other than tab and line breaks."""


def parse_value(
    kind: FactType,
    raw: object,
    values: tuple[str, ...] = (),
    *,
    bounded: bool = True,
    money: MoneyRules = PLAIN_MONEY,
) -> FactValue:
    """Read `raw` (a typed value or text as typed by a person) as a value of `kind`, within
    the type's BOUNDS unless `bounded` is false (values stored under older bounds). Money is
    read by the fact's `money` rules: its sign, its currencies and their rates.

    Raises FactError with a plain-words message when it cannot be read.
    """
    try:
        value = _money(raw, money) if kind is FactType.MONEY else _PARSERS[kind](raw, values)
    except CurrencyError as error:
        raise FactError(f"{_shown(raw)} {error}") from None
    except (InvalidOperation, ValueError, TypeError) as error:
        if isinstance(error, FactError):
            raise
        raise FactError(f"'{_shown(raw)}' is not {_EXPECTED[kind]}") from None
    if bounded:
        _check_bounds(kind, value, raw, money.negative)
    return value


def _shown(raw: object) -> str:
    """`raw` as a message repeats it: cut short when long."""
    text = str(raw)
    return text if len(text) <= 40 else text[:40] + "…"


def _money(raw: object, rules: MoneyRules) -> FactValue:
    if isinstance(raw, bool):
        raise TypeError
    code = None
    if isinstance(raw, Money):
        amount, code = raw.amount, raw.currency
    elif isinstance(raw, int | float | Decimal):
        amount = Decimal(str(raw))
    else:
        number, code = split_currency(str(raw))
        amount = Decimal(_digits(number))
    if not amount.is_finite():
        example = BOUNDS[FactType.MONEY].example
        raise FactError(f"{_shown(raw)} is not a finite amount; use a number such as {example}")
    if amount < 0 and not rules.negative:
        raise FactError(f"{_shown(raw)} is negative: an amount of money here is zero or more")
    return rules.value(amount, code)


def _check_bounds(kind: FactType, value: FactValue, raw: object, negative: bool = False) -> None:
    if isinstance(value, Money):
        _check_bounds(kind, value.amount, raw, negative)
        _check_converted(value, raw, negative)
        return
    bounds = BOUNDS.get(kind)
    if bounds is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        _check_text(value, bounds)
        return
    low, high = bounds.lowest, bounds.highest
    if negative and isinstance(high, Decimal):
        low = -high
    if low is not None and high is not None and not _between(value, low, high):
        example = f"; use a number such as {bounds.example}" if kind is FactType.MONEY else ""
        raise FactError(
            f"{_shown(raw)} is out of range: {_NOUNS[kind]} here is from {format_value(low)} "
            f"to {format_value(high)}{example}"
        )
    places = bounds.places
    if places is not None and isinstance(value, Decimal) and value != round(value, places):
        raise FactError(
            f"{_shown(raw)} has more than {places} decimals: give the amount in cents at "
            "most, e.g. 12500.50"
        )


def _check_converted(value: Money, raw: object, negative: bool) -> None:
    high = BOUNDS[FactType.MONEY].highest
    if isinstance(high, Decimal) and not (-high if negative else 0) <= value.base <= high:
        raise FactError(
            f"{_shown(raw)} is {value.rates.base} {format_value(value.base)}, out of range: an "
            f"amount here is at most {format_value(high)} in {value.rates.base}"
        )


def _between(value: FactValue, low: Decimal | int | date, high: Decimal | int | date) -> bool:
    if isinstance(value, date):
        return not isinstance(low, date) or not isinstance(high, date) or low <= value <= high
    if isinstance(value, int | Decimal):
        return isinstance(low, date) or isinstance(high, date) or low <= value <= high
    return True


def _check_text(text: str, bounds: Bounds) -> None:
    if bounds.max_chars is not None and len(text) > bounds.max_chars:
        raise FactError(f"has {len(text):,} characters; at most {bounds.max_chars:,} are allowed")
    for char in text:
        if unicodedata.category(char) == "Cc" and char not in "\t\n\r":
            raise FactError(f"contains a control character (U+{ord(char):04X}): remove it")


_NOUNS = {
    FactType.MONEY: "an amount",
    FactType.INTEGER: "a whole number",
    FactType.DATE: "a date",
}


_GROUPED = re.compile(r"^-?\d{1,3}([,_]\d{3})+(\.\d+)?$")


def _digits(text: str) -> str:
    """'400,000' or '400_000' -> '400000'; a comma anywhere else is not a thousands separator
    (it may be a decimal comma: '250,00' must not read as 25000), so it is refused."""
    text = text.strip()
    if "," in text or "_" in text:
        if not _GROUPED.match(text):
            raise ValueError(text)
        return text.replace(",", "").replace("_", "")
    return text


def _integer(raw: object, values: tuple[str, ...]) -> FactValue:
    if isinstance(raw, bool):
        raise TypeError
    if isinstance(raw, int):
        return raw
    return int(_digits(str(raw)))


def _boolean(raw: object, values: tuple[str, ...]) -> FactValue:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError


def _enum(raw: object, values: tuple[str, ...]) -> FactValue:
    text = str(raw).strip()
    if text in values:
        return text
    raise FactError(f"'{text}' is not allowed{did_you_mean(text, values)}; use {one_of(values)}")


def _date(raw: object, values: tuple[str, ...]) -> FactValue:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    return date.fromisoformat(str(raw).strip())


def _text(raw: object, values: tuple[str, ...]) -> FactValue:
    return str(raw)


_PARSERS = {
    FactType.INTEGER: _integer,
    FactType.BOOLEAN: _boolean,
    FactType.ENUM: _enum,
    FactType.DATE: _date,
    FactType.TEXT: _text,
}

_EXPECTED = {
    FactType.MONEY: "an amount of money (digits, e.g. 250000 or 12500.50)",
    FactType.INTEGER: "a whole number",
    FactType.BOOLEAN: "true or false",
    FactType.ENUM: "one of the allowed values",
    FactType.DATE: "a date (YYYY-MM-DD)",
    FactType.TEXT: "text",
}


class Typed(Protocol):
    """A policy fact or a form field: something with an id, a title and a value type."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def type(self) -> FactType: ...
    @property
    def values(self) -> tuple[str, ...]: ...
    @property
    def required(self) -> bool: ...
    @property
    def money(self) -> MoneyRules: ...


def read_facts(
    facts: Iterable[Fact], raw: Mapping[str, object]
) -> tuple[dict[str, FactValue], dict[str, str]]:
    """Read a project's facts against the policy's declarations.

    Returns (values, problems): values holds every fact (given, or its default), problems maps
    a fact id to what is wrong with it. Unknown fact names are problems too.
    """
    declared = list(facts)
    defaults = {f.id: f.default for f in declared if f.default is not None}
    return _read(declared, raw, defaults, "this policy has no fact")


def read_form(
    fields: Iterable[FormField], raw: Mapping[str, object]
) -> tuple[dict[str, FactValue], dict[str, str]]:
    """Read a structured-form artifact's values; returns (values, problems by field id)."""
    return _read(list(fields), raw, {}, "this form has no field")


def _read(
    specs: Sequence[Typed],
    raw: Mapping[str, object],
    defaults: Mapping[str, FactValue],
    unknown: str,
) -> tuple[dict[str, FactValue], dict[str, str]]:
    names = [s.id for s in specs]
    values: dict[str, FactValue] = {}
    problems = {
        name: f"{unknown} '{name}'{did_you_mean(name, names)}" for name in raw if name not in names
    }
    for spec in specs:
        given = raw.get(spec.id)
        if given is None or given == "":
            if spec.id in defaults:
                values[spec.id] = defaults[spec.id]
            elif spec.required:
                problems[spec.id] = f"{spec.title} is required"
            continue
        try:
            values[spec.id] = parse_value(spec.type, given, spec.values, money=spec.money)
        except FactError as error:
            problems[spec.id] = f"{spec.title}: {error}"
    return values, problems


def cel_value(value: FactValue) -> object:
    """The value as CEL sees it: money as a double in the base currency, a date as a UTC
    timestamp."""
    if isinstance(value, Money):
        return float(value.base)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


def format_value(value: FactValue) -> str:
    """The value as a person reads it: 400,000 / true / 2026-03-01; money in a currency with
    it, and converted when it is not the base: USD 120,000 (EUR 110,400 at 0.92, ECB
    reference rates 2026-11-30)."""
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:,.2f}".removesuffix(".00")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
