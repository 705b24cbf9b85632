"""Comparing two policy versions: what was added, removed or changed, gate by gate."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from operator import attrgetter
from typing import Any, Literal

from policies.model import MoneyThreshold, Policy, Requirement, Trigger, TriggerEvent
from policies.money import ExchangeRates, MoneyRules

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two policy versions."""

    scope: str
    kind: ChangeKind
    key: str
    title: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        head = f"{self.scope}: {self.kind} {self.key} ({self.title})"
        return "\n".join([head, *(f"    {d}" for d in self.details)])


def diff_policies(old: Policy, new: Policy) -> list[Change]:
    """Every difference from `old` to `new`: policy facts, roles, tiers, gates, requirements."""
    changes = [
        *_compare("facts", old.facts, new.facts, _ID, _TITLE),
        *_compare("roles", old.roles, new.roles, _ID, _TITLE),
        *_compare("tiers", old.tiers, new.tiers, _ID, _TITLE),
        *_compare("gates", old.gates, new.gates, _ID, attrgetter("name")),
    ]
    old_gates = {g.id: g for g in old.gates}
    for gate in new.gates:
        before = old_gates.get(gate.id)
        previous: tuple[Requirement, ...] = before.requirements if before else ()
        changes += _compare(f"gate {gate.id}", previous, gate.requirements, _req_key, _req_title)
    for gate in old.gates:
        if new.gate(gate.id) is None:
            scope = f"gate {gate.id}"
            changes += _compare(scope, gate.requirements, (), _req_key, _req_title)
    if [t.id for t in old.tiers] != [t.id for t in new.tiers] and {t.id for t in old.tiers} == {
        t.id for t in new.tiers
    }:
        order = " > ".join(t.id for t in new.tiers)
        changes.append(Change("tiers", "changed", "order", "tier order", (f"now {order}",)))
    if old.change_control != new.change_control:
        details = _field_changes(old.change_control, new.change_control)
        changes.append(
            Change(
                "change control",
                "changed",
                "change_control",
                "who approves a change of facts, and money thresholds",
                details,
            )
        )
    changes += _compare("triggers", old.triggers, new.triggers, _trigger_key, _rebaseline)
    if old.exchange_rates != new.exchange_rates:
        details = _rate_changes(old.exchange_rates, new.exchange_rates)
        title = "the base currency and the exchange rates money converts at"
        changes.append(Change("money", "changed", "exchange_rates", title, details))
    return changes


def _rate_changes(old: ExchangeRates | None, new: ExchangeRates | None) -> tuple[str, ...]:
    before, after = _rate_lines(old), _rate_lines(new)
    return tuple(
        f"{name}: {before.get(name, '(none)')} -> {after.get(name, '(none)')}"
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    )


def _rate_lines(rates: ExchangeRates | None) -> dict[str, str]:
    if rates is None:
        return {}
    stated = {"currency": rates.base, "as_of": str(rates.as_of or "(none)"), "source": rates.source}
    return {**stated, **{code: f"{rate} {rates.base}" for code, rate in rates.rates}}


def _rebaseline(trigger: Trigger) -> str:
    if trigger.recur is not None:
        return f"recurring review {trigger.recur}"
    return "re-baseline review" if trigger.on is TriggerEvent.CHANGE_APPROVED else "review"


def _trigger_key(trigger: Trigger) -> str:
    return f"on {trigger.on.value}: review {trigger.review}"


def _compare(
    scope: str,
    old: Iterable[Any],
    new: Iterable[Any],
    key: Callable[[Any], str],
    title: Callable[[Any], str],
) -> list[Change]:
    before = {key(item): item for item in old}
    after = {key(item): item for item in new}
    changes = [Change(scope, "removed", k, title(v)) for k, v in before.items() if k not in after]
    for k, item in after.items():
        if k not in before:
            changes.append(Change(scope, "added", k, title(item)))
        elif details := _field_changes(before[k], item):
            changes.append(Change(scope, "changed", k, title(item), details))
    return changes


_ID = attrgetter("id")
_TITLE = attrgetter("title")
_SKIP = {"artifacts", "criteria", "signoffs", "requirements", "program", "alternatives"}


def _field_changes(old: Any, new: Any) -> tuple[str, ...]:
    lines = []
    for field in dataclasses.fields(old):
        if field.name in _SKIP:
            continue
        before, after = getattr(old, field.name), getattr(new, field.name)
        if before != after:
            lines.append(f"{field.name}: {_show(before)} -> {_show(after)}")
    return tuple(lines)


def _show(value: Any) -> str:
    if value is None or value == ():
        return "(none)"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, MoneyThreshold):
        return f"{value.fact} ±{value.percent}%"
    if isinstance(value, MoneyRules):
        return "; ".join(value.described()) or "a plain amount of zero or more"
    if isinstance(value, tuple | frozenset):
        items = sorted(value, key=str) if isinstance(value, frozenset) else value
        return "[" + ", ".join(_show(v) for v in items) + "]"
    if dataclasses.is_dataclass(value) and hasattr(value, "id"):
        return str(value.id)
    return f"'{value}'" if isinstance(value, str) else str(value)


def _req_key(requirement: Requirement) -> str:
    return requirement.key


def _req_title(requirement: Requirement) -> str:
    return getattr(requirement, "title", "") or f"{requirement.key.split(':')[1]} sign-off"
