"""Periods as a policy writes them ('12 months', '1 year', '6 months after gate go_live'),
read into policies.model.Period; each bad one is a sentence a PMO can act on."""

from __future__ import annotations

import re

from policies.model import Period, PeriodUnit

_PERIOD = re.compile(r"^(\d{1,5})\s+(day|week|month|year)s?$")
_AFTER = re.compile(r"^(.+?)\s+after\s+gate\s+(\S+)$")

LONGEST = {
    PeriodUnit.DAYS: 3660,
    PeriodUnit.WEEKS: 520,
    PeriodUnit.MONTHS: 120,
    PeriodUnit.YEARS: 10,
}
"""The longest period of each unit: ten years."""

SHORTEST = {PeriodUnit.DAYS: 7}
"""The shortest period of a unit, where it is more than 1: a week (a tick opens each one)."""

PERIOD_FORM = "write a number and a unit: '90 days', '2 weeks', '12 months' or '1 year'"


class PeriodError(ValueError):
    """A period that cannot be read, with what to write instead."""


def parse_period(text: str) -> Period:
    """The period `text` says ('12 months'); raises PeriodError saying what is wrong."""
    found = _PERIOD.fullmatch(text.strip().lower())
    if found is None:
        raise PeriodError(f"'{text}' is not a period: {PERIOD_FORM}")
    amount, unit = int(found.group(1)), PeriodUnit(found.group(2) + "s")
    least, most = SHORTEST.get(unit, 1), LONGEST[unit]
    if not least <= amount <= most:
        raise PeriodError(f"'{text}' is out of range: from {least} to {most} {unit.value}")
    return Period(amount, unit)


def parse_after(text: str) -> tuple[Period, str]:
    """The period and the gate of '6 months after gate go_live'; raises PeriodError."""
    found = _AFTER.fullmatch(text.strip())
    if found is None:
        raise PeriodError(
            f"'{text}' does not say when: write a period after a gate, "
            "e.g. '6 months after gate go_live'"
        )
    return parse_period(found.group(1)), found.group(2)
