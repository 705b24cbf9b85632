"""When a recurring review comes, for one project: the dates come so far and the next one.

A recurring trigger (policies.model.Recurrence) starts when its gate `after` is first passed:
its first date is `first` after that day, then one every `every`, each counted from the first
date (so 31 January, every month, gives 28 or 29 February, then 31 March: no drift), until
the project reaches the stage `until` (dates from that day on never come) or is stopped.

Pure: the caller gives the days each gate was first passed and today.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from policies.model import Period, PeriodUnit, Policy, Recurrence, Trigger

_MONTHS = {PeriodUnit.MONTHS: 1, PeriodUnit.YEARS: 12}
_DAYS = {PeriodUnit.DAYS: 1, PeriodUnit.WEEKS: 7}


def add(day: date, period: Period, times: int = 1) -> date:
    """`day` moved on by `period`, `times` over; months keep the day, clamped to the month's
    last day (31 January + 1 month is 28 February, or 29 in a leap year)."""
    if period.unit in _DAYS:
        return day + timedelta(days=period.amount * _DAYS[period.unit] * times)
    months = day.month - 1 + period.amount * _MONTHS[period.unit] * times
    year, month = day.year + months // 12, months % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Schedule:
    """A recurring review's dates for one project: those that have come (`due`, oldest
    first), the next one ahead (None once it has ended or before it starts), and whether it
    has started (its gate `after` was passed)."""

    trigger: Trigger
    due: tuple[date, ...] = ()
    next: date | None = None
    started: bool = False


def schedule(
    policy: Policy,
    trigger: Trigger,
    first_passed: Mapping[str, date],
    today: date,
    stopped: date | None = None,
) -> Schedule:
    """The dates of `trigger` (a recurring one) for a project whose gates were first passed
    on `first_passed` (gate id -> day), as of `today`; `stopped` is the day it was killed."""
    recur = trigger.recur
    assert recur is not None, "only a recurring trigger has a schedule"
    start = first_passed.get(recur.after)
    if start is None:
        return Schedule(trigger)
    end = _ends(policy, recur, first_passed, stopped)
    first = add(start, recur.first)
    due: list[date] = []
    while True:
        day = add(first, recur.every, len(due))
        if end is not None and day >= end:
            return Schedule(trigger, tuple(due), None, True)
        if day > today:
            return Schedule(trigger, tuple(due), day, True)
        due.append(day)


def _ends(
    policy: Policy, recur: Recurrence, first_passed: Mapping[str, date], stopped: date | None
) -> date | None:
    """The first day on which no more dates come: the project reached `until`, or stopped."""
    ends = [stopped] if stopped is not None else []
    entering = next((g for g in policy.gates if g.stage == recur.until), None)
    if entering is not None and entering.id in first_passed:
        ends.append(first_passed[entering.id])
    return min(ends, default=None)


def schedules(
    policy: Policy, first_passed: Mapping[str, date], today: date, stopped: date | None = None
) -> tuple[Schedule, ...]:
    """The schedule of each recurring trigger of `policy` for one project."""
    return tuple(
        schedule(policy, t, first_passed, today, stopped)
        for t in policy.triggers
        if t.recur is not None
    )
