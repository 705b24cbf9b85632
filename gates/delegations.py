"""The rules of passing one's signing authority to another person for a while.

A person delegates only what they hold themselves (a role granted to them, globally or on one
project, or the project they manage), never what they hold by someone else's delegation; to
someone else, who is active; for a period that ends, at most MAX_DELEGATION_DAYS long; and,
when a budget limit is set, the delegate acts only on projects whose budget is within it.
A delegation is revoked by its delegator or an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from gates.model import ADMIN
from gates.refusals import Refusal
from policies.money import CurrencyError, ExchangeRates, convert, split_currency

MAX_DELEGATION_DAYS = 365


@dataclass(frozen=True)
class DelegationRequest:
    """What a person asks to delegate, and what the records say about it.

    `held`: the delegator holds `role` themselves where it applies (on `project`, or anywhere
    for a delegation not bound to one). `received_from`: who delegated `role` to them, when
    they hold it that way.
    """

    delegator: str
    delegate: str
    delegate_active: bool
    role: str
    project: str | None
    starts_at: datetime
    ends_at: datetime | None
    held: bool
    received_from: str | None = None
    budget_limit: Decimal | None = None


def delegation_refusals(
    request: DelegationRequest, now: datetime, max_days: int = MAX_DELEGATION_DAYS
) -> list[Refusal]:
    """Every reason `request` may not be granted at `now`: empty when it may."""
    return [
        *_whom(request),
        *_what(request),
        *_period(request, now, max_days),
        *_limit(request),
    ]


def _whom(request: DelegationRequest) -> list[Refusal]:
    if request.delegate == request.delegator:
        return [Refusal("delegate.self", "delegate", "You cannot delegate to yourself.")]
    if not request.delegate_active:
        text = (
            f"{request.delegate}'s account is disabled: a disabled user cannot act for you. "
            "Choose an active colleague."
        )
        return [Refusal("delegate.disabled", "delegate", text)]
    return []


def _what(request: DelegationRequest) -> list[Refusal]:
    if request.held:
        return []
    where = f" on {request.project}" if request.project else ""
    if request.received_from:
        text = (
            f"You hold the {request.role} role{where} by delegation from "
            f"{request.received_from}: only they can delegate it."
        )
        return [Refusal("delegate.redelegate", "role", text)]
    text = f"You do not hold the {request.role} role{where}: you can delegate only your own."
    return [Refusal("delegate.not_held", "role", text)]


def _period(request: DelegationRequest, now: datetime, max_days: int) -> list[Refusal]:
    ends_at = request.ends_at
    if ends_at is None:
        text = f"A delegation needs an end date, at most {max_days} days after it starts."
        return [Refusal("delegate.end_required", "ends_at", text)]
    if ends_at <= request.starts_at:
        return [Refusal("delegate.period", "ends_at", "The delegation must end after it starts.")]
    if ends_at <= now:
        text = "The delegation would already be over: choose an end date in the future."
        return [Refusal("delegate.ended", "ends_at", text)]
    latest = request.starts_at + timedelta(days=max_days)
    if ends_at > latest:
        text = f"A delegation lasts at most {max_days} days: choose {latest:%Y-%m-%d} or earlier."
        return [Refusal("delegate.too_long", "ends_at", text)]
    return []


def _limit(request: DelegationRequest) -> list[Refusal]:
    if request.budget_limit is not None and request.budget_limit <= 0:
        text = "A budget limit must be a positive amount (leave it out for no limit)."
        return [Refusal("delegate.budget_limit", "budget_limit", text)]
    return []


def within_budget(
    limit: Decimal | None, budget: object, rates: ExchangeRates | None = None
) -> bool:
    """True when a delegation with budget limit `limit` counts on a project whose budget
    fact is `budget` as stored (None: no limit; a project without a known budget is outside
    any). A budget entered in a currency ('USD 120000') is compared in the base currency of
    the project's policy version (`rates`); one without a rate there is outside any limit."""
    if limit is None:
        return True
    try:
        number, code = split_currency(str(budget))
        amount = Decimal(number)
        if code is None:
            return amount <= limit
        return rates is not None and convert(amount, code.upper(), rates).base <= limit
    except (ArithmeticError, CurrencyError):
        return False


def names_a_currency(budget: object) -> bool:
    """True when a stored budget was entered with a currency: comparing it needs rates."""
    try:
        return isinstance(budget, str) and split_currency(budget)[1] is not None
    except CurrencyError:
        return False


def revoke_refusals(
    actor: str, actor_roles: frozenset[str], delegator: str, revoked: bool
) -> list[Refusal]:
    """Every reason `actor` may not revoke a delegation given by `delegator`."""
    if actor != delegator and ADMIN not in actor_roles:
        text = f"Only {delegator}, who gave this delegation, or an admin may revoke it."
        return [Refusal("delegate.revoke_not_yours", None, text)]
    if revoked:
        return [Refusal("delegate.already_revoked", None, "This delegation is already revoked.")]
    return []
