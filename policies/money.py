"""Money in a currency: the policy's base currency, the exchange rates its version states, and
an amount as a person entered it ("USD 120000") with the same amount in the base currency.

A published policy never changes, so the rates are pinned with the version: a project's money
converts the same way for as long as it stays on that version. Conditions and thresholds read
the converted amount; the record and the audit trail keep what was entered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from policies.problems import did_you_mean, one_of

CENT = Decimal("0.01")
ROUNDING = ROUND_HALF_UP
"""A converted amount is rounded to the cent, halves away from zero (0.005 -> 0.01)."""

_CODES = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_CODES.split())
"""The active ISO 4217 currency codes (funds and units of account included, precious metals
and testing codes left out)."""

_LEADING = re.compile(r"^([A-Za-z]{3})\s*([^A-Za-z\s].*)$")
_TRAILING = re.compile(r"^(.*[^A-Za-z\s])\s*([A-Za-z]{3})$")
_SYMBOLS = "$€£¥₹₽₩₺₪"


class CurrencyError(ValueError):
    """An amount names a currency it may not be in; the message says which it may be in."""


def currency_problem(code: str) -> str | None:
    """Why `code` is not an ISO 4217 currency code, or None when it is one."""
    if code in ISO_4217:
        return None
    if code.upper() in ISO_4217:
        upper = code.upper()
        return f"'{code}' is not a currency code: codes are upper case (did you mean '{upper}'?)"
    return (
        f"'{code}' is not an ISO 4217 currency code{_suggestion(code.upper())}: "
        "write three upper-case letters, such as EUR, USD or GBP"
    )


_MAJOR = ("EUR", "USD", "GBP", "JPY", "CHF", "CNY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN")


def _suggestion(code: str) -> str:
    """The code meant: its letters swapped (GPB), else a close major currency, else any."""
    swapped = sorted(c for c in ISO_4217 if sorted(c) == sorted(code))
    if swapped:
        return f" (did you mean '{swapped[0]}'?)"
    return did_you_mean(code, _MAJOR) or did_you_mean(code, sorted(ISO_4217))


@dataclass(frozen=True, slots=True)
class ExchangeRates:
    """The policy's base currency, and what one unit of each other currency is worth in it,
    as of a date and from a source (both stated by the policy)."""

    base: str
    as_of: date | None = None
    source: str = ""
    rates: tuple[tuple[str, Decimal], ...] = ()

    @property
    def currencies(self) -> tuple[str, ...]:
        """The base currency, then every currency with a rate."""
        return (self.base, *(code for code, _ in self.rates))

    def rate(self, code: str) -> Decimal | None:
        """Units of the base currency per unit of `code`: 1 for the base, None without one."""
        if code == self.base:
            return Decimal(1)
        return next((rate for known, rate in self.rates if known == code), None)

    def stated(self) -> str:
        """Where the rates come from, as a person reads it: 'ECB reference rates 2026-11-30'."""
        when = self.as_of.isoformat() if self.as_of else ""
        return " ".join(part for part in (self.source, when) if part)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money as entered, in a named currency, and the same in the base currency
    (at the rate of the policy version that read it, rounded to the cent)."""

    amount: Decimal
    currency: str
    base: Decimal
    rates: ExchangeRates = field(compare=False, repr=False)

    @property
    def converted(self) -> bool:
        """True when the amount is in another currency than the base."""
        return self.currency != self.rates.base

    @property
    def entered(self) -> str:
        """The value as it is stored: 'USD 120000'."""
        return f"{self.currency} {self.amount}"

    def __str__(self) -> str:
        shown = f"{self.currency} {amount_text(self.amount)}"
        if not self.converted:
            return shown
        rate = self.rates.rate(self.currency)
        stated = self.rates.stated()
        at = f"at {rate}, {stated}" if stated else f"at {rate}"
        return f"{shown} ({self.rates.base} {amount_text(self.base)} {at})"


@dataclass(frozen=True, slots=True)
class MoneyRules:
    """What a money fact accepts: negative amounts or not, and the currencies it may be
    given in with how each converts (none: the policy states no currency)."""

    negative: bool = False
    currencies: tuple[str, ...] = ()
    rates: ExchangeRates | None = field(default=None, compare=False)
    """The policy's rates (a change of them is the policy's, not the fact's)."""

    def value(self, amount: Decimal, code: str | None) -> Decimal | Money:
        """`amount` in `code` (None: the base currency, kept a plain Decimal).

        Raises CurrencyError when the fact does not accept the currency."""
        if code is None:
            return amount
        upper = code.upper()
        if self.rates is None:
            raise CurrencyError(
                f"names a currency ({upper}), but this policy states none: give the amount "
                "alone, e.g. 250000"
            )
        if upper not in self.currencies:
            hint = did_you_mean(upper, self.currencies)
            raise CurrencyError(
                f"is in {upper}, which this fact does not accept{hint}: give it in "
                f"{one_of(self.currencies)}"
            )
        return convert(amount, upper, self.rates)

    def described(self) -> tuple[str, ...]:
        """What a money fact takes beyond a plain amount, for its details: 'in EUR or USD',
        'may be negative'; nothing for a plain amount of zero or more."""
        parts = [f"in {', '.join(self.currencies)}"] if self.currencies else []
        return (*parts, *(["may be negative"] if self.negative else []))


PLAIN_MONEY = MoneyRules()
"""A money fact of a policy that states no currency: zero or more, a plain amount."""


def rates_described(rates: ExchangeRates | None) -> tuple[str, ...]:
    """The policy's currency and rates in sentences (for `policy show` and the policy page);
    nothing for a policy that states no currency."""
    if rates is None:
        return ()
    base = rates.base
    lines = [
        f"Currency: {base}. Money given without a currency is in {base}; conditions and "
        f"thresholds compare amounts in {base}."
    ]
    if rates.rates:
        each = "; ".join(f"1 {code} = {rate} {base}" for code, rate in rates.rates)
        lines.append(
            f"Exchange rates ({rates.stated()}, fixed with this version): {each}. A converted "
            "amount is rounded to the cent, halves away from zero."
        )
    return tuple(lines)


def convert(amount: Decimal, code: str, rates: ExchangeRates) -> Money:
    """`amount` of `code` with its value in the base currency, rounded to the cent."""
    rate = rates.rate(code)
    if rate is None:
        raise CurrencyError(f"has no exchange rate for {code}")
    with localcontext() as context:
        context.prec = 40
        base = (amount * rate).quantize(CENT, rounding=ROUNDING)
    return Money(amount, code, base, rates)


def split_currency(text: str) -> tuple[str, str | None]:
    """'USD 120000' or '120000 usd' -> ('120000', 'usd'); '120000' -> ('120000', None).

    Raises CurrencyError for a currency symbol ('$120000'): the code says which dollar."""
    text = text.strip()
    if any(symbol in text for symbol in _SYMBOLS):
        raise CurrencyError(
            "uses a currency symbol: write the currency's code instead, e.g. USD 120000"
        )
    for pattern, number, code in ((_LEADING, 2, 1), (_TRAILING, 1, 2)):
        found = pattern.match(text)
        if found is not None and any(char.isdigit() for char in found.group(number)):
            return found.group(number).strip(), found.group(code)
    return text, None


def base_amount(value: object) -> Decimal | None:
    """A money value in the base currency (a plain Decimal is in it already); None otherwise."""
    if isinstance(value, Money):
        return value.base
    if isinstance(value, Decimal):
        return value
    return None


def amount_text(amount: Decimal) -> str:
    """400,000 / 12,500.50 / -5,000: grouped, cents only when there are some."""
    return f"{amount:,.2f}".removesuffix(".00")
