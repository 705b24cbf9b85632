"""Waivers: who may waive a requirement, and whether a waiver is still valid.

A waiver is requested (by whoever may submit the gate), then approved or denied by a holder
of a role the requirement is `waivable_by`, and may later be revoked. Only an approved,
unexpired waiver counts; an expired one reinstates the requirement by itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from gates.model import Waiver
from gates.refusals import Refusal
from policies.model import Gate, Requirement


def can_waive(
    requirement: Requirement, roles: Collection[str], justification: str
) -> tuple[str | None, list[Refusal]]:
    """Whether a holder of `roles` may waive `requirement` now: the role they waive it as
    (the first the policy allows that they hold), and every refusal (none when they may)."""
    role, refusals = waiving_role(requirement, roles)
    if not justification.strip():
        text = "A waiver needs a justification."
        refusals.append(Refusal("waive.justification_required", "justification", text))
    return role, refusals


def waiving_role(
    requirement: Requirement, roles: Collection[str]
) -> tuple[str | None, list[Refusal]]:
    """The role a holder of `roles` approves or denies a waiver of `requirement` as (the
    first of its `waivable_by` they hold), or why they may not."""
    role = next((r for r in requirement.waivable_by if r in roles), None)
    if not requirement.waivable_by:
        text = "The policy does not allow this requirement to be waived."
        return None, [Refusal("waive.not_waivable", "requirement", text)]
    if role is None:
        allowed = ", ".join(requirement.waivable_by)
        return None, [Refusal("role.waive", None, f"Only these roles may waive it: {allowed}.")]
    return role, []


REQUESTED, APPROVED, DENIED, REVOKED = "requested", "approved", "denied", "revoked"
EXPIRED = "expired"  # never stored: an approved waiver past its expiry
STATUSES = (REQUESTED, APPROVED, DENIED, REVOKED, EXPIRED)


def shown_status(status: str, expires_at: datetime | None, now: datetime) -> str:
    """The status a person reads: `expired` for an approved waiver past its expiry."""
    if status == APPROVED and expires_at is not None and expires_at <= now:
        return EXPIRED
    return status


def expiry_refusals(expires_at: datetime | None, now: datetime, max_days: int) -> list[Refusal]:
    """Why `expires_at` is no expiry for a waiver (required, in the future, at most `max_days`
    ahead): empty when it is."""
    latest = now + timedelta(days=max_days)
    if expires_at is None:
        text = f"A waiver needs an expiry date, at most {max_days} days ahead."
        return [Refusal("waive.expiry_required", "expires_at", text)]
    if expires_at <= now:
        return [Refusal("waive.expiry_past", "expires_at", "The expiry must be in the future.")]
    if expires_at > latest:
        text = (
            f"A waiver lasts at most {max_days} days under this policy: choose "
            f"{latest:%Y-%m-%d} or earlier."
        )
        return [Refusal("waive.expiry_too_long", "expires_at", text)]
    return []


def request_refusals(requirement: Requirement, justification: str) -> list[Refusal]:
    """Why a waiver of `requirement` may not be requested with this justification."""
    refusals = []
    if not requirement.waivable_by:
        text = "The policy does not allow this requirement to be waived."
        refusals.append(Refusal("waive.not_waivable", "requirement", text))
    if not justification.strip():
        text = "A waiver needs a justification."
        refusals.append(Refusal("waive.justification_required", "justification", text))
    return refusals


def decision_refusals(
    status: str, expires_at: datetime | None, approve: bool, reason: str, now: datetime
) -> list[Refusal]:
    """Why a waiver in `status` may not be approved (`approve`) or denied (with `reason`)
    now: only a request is decided, an approval only before its expiry, a denial with a
    reason."""
    refusals = []
    if status != REQUESTED:
        text = f"This waiver is {status}: only a requested waiver is approved or denied."
        refusals.append(Refusal("waiver.not_requested", None, text))
    elif approve and expires_at is not None and expires_at <= now:
        text = "This request expired before it was approved: request a new waiver."
        refusals.append(Refusal("waiver.expired", None, text))
    if not approve and not reason.strip():
        text = "Say why the waiver is denied."
        refusals.append(Refusal("waiver.reason_required", "reason", text))
    return refusals


def revoke_refusals(status: str, reason: str) -> list[Refusal]:
    """Why a waiver in `status` may not be revoked with `reason`: only an approved waiver is
    revoked (an expired one counts for nothing already), with a reason."""
    refusals = []
    if status != APPROVED:
        text = f"This waiver is {status}: only an approved waiver is revoked."
        refusals.append(Refusal("waiver.not_approved", None, text))
    if not reason.strip():
        text = "Say why the waiver is revoked."
        refusals.append(Refusal("waiver.reason_required", "reason", text))
    return refusals


def any_waivable(gate: Gate) -> bool:
    """True when the policy lets someone waive a requirement of `gate`: otherwise no waiver
    of it can be valid (see is_valid), and there is nothing to read."""
    return any(requirement.waivable_by for requirement in gate.requirements)


def is_valid(waiver: Waiver, requirement: Requirement, now: datetime) -> bool:
    """True when `waiver` covers `requirement`, was approved by an allowed role, is not
    revoked, and has not expired."""
    return (
        waiver.status == APPROVED
        and waiver.requirement == requirement.key
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
