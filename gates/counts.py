"""How many signatures a sign-off needs, for one project now.

A sign-off's `min` is a number, a share of the people holding its role on the project
(`majority`, `all`: the active holders, globally or there, when the gate is decided), or a
CEL whole number over the facts (`min: project.participating_agencies`). Pure: the holders
and the facts are given in the project state.
"""

from __future__ import annotations

from gates.conditions import EVALUATION_ERRORS
from gates.model import ProjectState
from policies.model import Share, Signoff, SignoffKind


def needed_signatures(signoff: Signoff, state: ProjectState) -> int | None:
    """The signatures `signoff` needs for the project in `state`; None when that cannot be
    told (the facts a CEL count reads are not set, or the role's holders were not read).

    A blocking share of nobody still needs one signature: revoking every holder of a role
    must not make its sign-off pass by itself.
    """
    count = signoff.min
    if isinstance(count, int):
        return count
    if isinstance(count, Share):
        holders = state.holders.get(signoff.role)
        if holders is None:
            return None
        share = len(holders) // 2 + 1 if count is Share.MAJORITY else len(holders)
        floor = 1 if signoff.kind is SignoffKind.BLOCKING else 0
        return max(share if holders else 0, floor)
    try:
        value = count.program.execute(state.context)
    except EVALUATION_ERRORS:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def count_in_words(signoff: Signoff) -> str:
    """The sign-off's `min` as people read it: '2', 'a majority', 'all', 'project.agencies'."""
    count = signoff.min
    if isinstance(count, Share):
        return "a majority" if count is Share.MAJORITY else "all"
    return str(count)


def who_signs(signoff: Signoff) -> list[str]:
    """The sign-off's count and kind in words, for the policy pages and `policy show`."""
    count = signoff.min
    if isinstance(count, Share):
        shown = (
            "a majority of the role's active holders on the project"
            if count is Share.MAJORITY
            else "every active holder of the role on the project"
        )
    elif isinstance(count, int):
        shown = (
            f"at least {count} {'person' if count == 1 else 'people'}"
            if count
            else "whoever of the role wishes (nobody is waited for)"
        )
    else:
        shown = f"as many people as {count.source}"
    if signoff.kind is SignoffKind.ADVISORY:
        return [shown, "advisory: a position (support, disagree but support, object), never blocks"]
    if signoff.kind is SignoffKind.CONSULTED:
        return [shown, "consulted: a comment, never blocks"]
    return [shown]


def shares_holders(signoff: Signoff) -> bool:
    """True when the sign-off counts a share of its role's holders (they must be read)."""
    return isinstance(signoff.min, Share)
