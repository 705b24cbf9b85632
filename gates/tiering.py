"""Choosing a project's tier: the first tier whose rule holds, else the default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cel

from gates.conditions import ConditionError, describe, holds
from policies.conditions import evaluation_context
from policies.model import FactValue, Policy, Tier


@dataclass(frozen=True, slots=True)
class TierChoice:
    """The tier chosen for a project and why, in words."""

    tier: Tier
    reason: str
    unchecked: tuple[str, ...] = ()


def classify(
    policy: Policy,
    facts: Mapping[str, FactValue],
    context: cel.Context | None = None,
    *,
    programme: Mapping[str, object] | None = None,
) -> TierChoice:
    """Return the first tier of `policy` whose `when` holds for `facts` (and `programme`,
    the project's programme as gates.programmes.programme_value gives it; without it, the
    project alone), or the default tier.

    A rule that reads a fact which is not set is passed over and named in `unchecked`.
    """
    context = context or evaluation_context(facts, None, programme=programme)
    unchecked: list[str] = []
    for tier in policy.tiers:
        if tier.when is None:
            reason = f"{tier.title}: no other tier's rule holds (the default)"
            return TierChoice(tier, reason, tuple(unchecked))
        try:
            chosen = holds(tier.when, context)
        except ConditionError:
            unchecked.append(tier.id)
            continue
        if chosen:
            shown = describe(tier.when, facts, "", context, programme=programme)
            reason = f"{tier.title} because {shown}"
            return TierChoice(tier, reason, tuple(unchecked))
    raise AssertionError("a loaded policy always ends with a default tier")
