"""Waivers: who may waive a requirement, and whether a waiver is still valid."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from gates.model import Waiver
from gates.refusals import Refusal
from policies.model import Gate, Requirement


def can_waive(
    requirement: Requirement, roles: Collection[str], justification: str
) -> tuple[str | None, list[Refusal]]:
    """Whether a holder of `roles` may waive `requirement` now: the role they waive it as
    (the first the policy allows that they hold), and every refusal (none when they may)."""
    role = next((r for r in requirement.waivable_by if r in roles), None)
    refusals = []
    if not requirement.waivable_by:
        text = "The policy does not allow this requirement to be waived."
        refusals.append(Refusal("waive.not_waivable", "requirement", text))
    elif role is None:
        allowed = ", ".join(requirement.waivable_by)
        refusals.append(Refusal("role.waive", None, f"Only these roles may waive it: {allowed}."))
    if not justification.strip():
        text = "A waiver needs a justification."
        refusals.append(Refusal("waive.justification_required", "justification", text))
    return role, refusals


def any_waivable(gate: Gate) -> bool:
    """True when the policy lets someone waive a requirement of `gate`: otherwise no waiver
    of it can be valid (see is_valid), and there is nothing to read."""
    return any(requirement.waivable_by for requirement in gate.requirements)


def is_valid(waiver: Waiver, requirement: Requirement, now: datetime) -> bool:
    """True when `waiver` covers `requirement`, by an allowed role, and has not expired."""
    return (
        waiver.requirement == requirement.key
        and waiver.granted_role in requirement.waivable_by
        and (waiver.expires_at is None or waiver.expires_at > now)
    )


def valid_waiver(
    waivers: Iterable[Waiver], requirement: Requirement, now: datetime
) -> Waiver | None:
    """The first valid waiver for `requirement`, or None."""
    return next((w for w in waivers if is_valid(w, requirement, now)), None)


def describe_waiver(waiver: Waiver) -> str:
    """The waiver in words: who granted it, until when, and why."""
    until = f" until {waiver.expires_at:%Y-%m-%d}" if waiver.expires_at else ""
    return f"Waived by {waiver.granted_by} ({waiver.granted_role}){until}: {waiver.justification}"
