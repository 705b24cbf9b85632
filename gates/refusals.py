"""A refusal as a value: which rule refused, which input it is about, and the words.

The rule id is stable (issue #9 audits refusals by it, docs/engine.md lists them); the field
is the key of the form input the refusal concerns ('comment', 'reason', 'conditions-0', ...),
so a front end places it next to that input without reading its words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an action is not allowed now: `rule` (e.g. 'sod.manager_signs'), the input
    `field` it concerns (or None), and the `text` a person reads."""

    rule: str
    field: str | None
    text: str

    def __str__(self) -> str:
        return self.text


def texts(refusals: Iterable[Refusal]) -> list[str]:
    """The words of each refusal, in order."""
    return [refusal.text for refusal in refusals]


def refusals_of(rule: str, reasons: Iterable[str], field: str | None = None) -> list[Refusal]:
    """One refusal per reason, all under one rule (e.g. every blocking line of a gate)."""
    return [Refusal(rule, field, reason) for reason in reasons]
