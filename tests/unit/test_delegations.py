"""Passing one's own authority for a while: each rule refuses with its own id and words."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from gates.delegations import (
    DelegationRequest,
    delegation_refusals,
    revoke_refusals,
    within_budget,
)
from policies.money import ExchangeRates
from tests.unit.gate_fixtures import NOW

FINE = DelegationRequest(
    "sam", "dana", True, "sponsor", "ERP-1", NOW, NOW + timedelta(days=14), held=True
)


def rules(request: DelegationRequest) -> list[tuple[str, str | None]]:
    return [(r.rule, r.field) for r in delegation_refusals(request, NOW)]


def test_a_person_may_delegate_a_role_they_hold_to_an_active_colleague_for_a_while():
    assert rules(FINE) == []


@pytest.mark.parametrize(
    ("change", "rule", "field"),
    [
        ({"delegate": "sam"}, "delegate.self", "delegate"),
        ({"delegate_active": False}, "delegate.disabled", "delegate"),
        ({"held": False}, "delegate.not_held", "role"),
        ({"held": False, "received_from": "kim"}, "delegate.redelegate", "role"),
        ({"ends_at": None}, "delegate.end_required", "ends_at"),
        ({"ends_at": NOW - timedelta(days=1)}, "delegate.period", "ends_at"),
        (
            {"starts_at": NOW - timedelta(days=9), "ends_at": NOW - timedelta(days=1)},
            "delegate.ended",
            "ends_at",
        ),
        ({"ends_at": NOW + timedelta(days=366)}, "delegate.too_long", "ends_at"),
        ({"budget_limit": Decimal(0)}, "delegate.budget_limit", "budget_limit"),
    ],
    ids=[
        "to oneself",
        "to a disabled user",
        "a role not held",
        "a role held by delegation",
        "no end",
        "ends before it starts",
        "already over",
        "longer than a year",
        "a limit of nothing",
    ],
)
def test_each_rule_refuses_what_it_guards(change, rule, field):
    assert rules(replace(FINE, **change)) == [(rule, field)]


def test_a_refusal_says_whom_to_ask_for_a_role_held_by_delegation():
    refused = delegation_refusals(replace(FINE, held=False, received_from="kim"), NOW)

    assert refused[0].text == (
        "You hold the sponsor role on ERP-1 by delegation from kim: only they can delegate it."
    )


@pytest.mark.parametrize(
    ("limit", "budget", "counts"),
    [
        (None, "9000000", True),
        (Decimal(500000), "500000", True),
        (Decimal(500000), "500000.01", False),
        (Decimal(500000), None, False),
        (Decimal(500000), "not a number", False),
    ],
)
def test_a_budget_limit_keeps_the_delegate_to_projects_within_it(limit, budget, counts):
    assert within_budget(limit, budget) is counts


IN_EUROS = ExchangeRates("EUR", rates=(("USD", Decimal("0.92")),))


@pytest.mark.parametrize(
    ("budget", "rates", "counts"),
    [
        pytest.param("USD 543478.25", IN_EUROS, True, id="usd-within-once-converted"),  # 499,999.99
        pytest.param("USD 543478.26", IN_EUROS, True, id="usd-rounded-to-the-limit"),  # 500,000.00
        pytest.param("USD 543478.27", IN_EUROS, False, id="usd-over-once-converted"),  # 500,000.01
        pytest.param("EUR 500000", IN_EUROS, True, id="the-base-named"),
        pytest.param("GBP 1", IN_EUROS, False, id="a-currency-without-a-rate"),
        pytest.param("USD 1", None, False, id="no-rates-to-convert-with"),
    ],
)
def test_a_budget_in_a_currency_is_held_to_the_limit_in_the_base_currency(budget, rates, counts):
    assert within_budget(Decimal(500000), budget, rates) is counts


@pytest.mark.parametrize(
    ("actor", "roles", "revoked", "rule"),
    [
        ("sam", frozenset(), False, None),
        ("ada", frozenset({"admin"}), False, None),
        ("dana", frozenset(), False, "delegate.revoke_not_yours"),
        ("ola", frozenset({"pmo"}), False, "delegate.revoke_not_yours"),
        ("sam", frozenset(), True, "delegate.already_revoked"),
    ],
)
def test_only_the_delegator_or_an_admin_revokes_and_only_once(actor, roles, revoked, rule):
    refused = revoke_refusals(actor, roles, "sam", revoked)

    assert [r.rule for r in refused] == ([rule] if rule else [])
