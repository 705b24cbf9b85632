"""Money as money, on a real database: a budget entered in another currency is stored and
audited as entered, tiered on its amount in the policy's base currency at the rate of the
version the project is pinned to, and rebuilt from the trail exactly (deep verify agrees)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.command_line import SECRET, command_line, point_at
from tests.integration.factories import policy_source
from tests.integration.test_delegation_verbs import WEEK, delegate_on, delegations_of
from workflows.errors import InvalidInput
from workflows.identity import system
from workflows.state import load_project
from workflows.verbs import audit, migration, projects, publishing

CURRENCY = (
    "initial_stage: initiation\n",
    "initial_stage: initiation\n"
    "currency: EUR\n"
    "exchange_rates:\n"
    "  as_of: 2026-11-30\n"
    "  source: ECB reference rates\n"
    "  rates:\n"
    "    USD: 0.92\n",
)
CONVERSION = "(EUR 239,200 at 0.92, ECB reference rates 2026-11-30)"


@pytest.fixture
def in_euros(act):
    """standard@4: the standard policy with EUR as its currency and a rate for USD."""
    old, new = CURRENCY
    source = policy_source("standard", 4)
    assert source.count(old) == 1
    act(publishing.publish, system(), source.replace(old, new), "standard-v4.yaml")


@pytest.fixture
def deep(workspace):
    def run():
        with workspace.unit_of_work(read_only=True) as uow:
            return audit.verify_deep(uow)

    return run


def facts_and_tier(read, key):
    return read(lambda uow: (lambda p: (dict(p.facts), p.tier))(load_project(uow, key)))


def test_a_foreign_budget_is_tiered_on_its_amount_in_the_base_currency(
    in_euros, new_project, read, events, deep
):
    # 260,000 is over the large tier's 250,000, but USD 260,000 is EUR 239,200: medium.
    new_project("ERP-1", budget="USD 260000")
    new_project("ERP-2", budget="260000")

    assert facts_and_tier(read, "ERP-1")[0]["budget"] == "USD 260000"
    assert (facts_and_tier(read, "ERP-1")[1], facts_and_tier(read, "ERP-2")[1]) == (
        "medium",
        "large",
    )
    registered = [e for e in events() if e.action == "project.registered"]
    assert registered[0].data["facts"]["budget"] == "USD 260000"
    assert registered[1].data["facts"]["budget"] == "260000"
    assert CONVERSION in registered[0].data["tier_reason"]
    result, mismatches = deep()
    assert result.ok and mismatches == []


def test_a_budget_changed_to_another_currency_is_audited_as_entered_and_replays(
    in_euros, new_project, act, read, events, deep
):
    new_project("ERP-1", budget="USD 260000")

    choice = act(projects.update_facts, "pm", "ERP-1", {"budget": "300000 usd"}, "rebid")

    assert choice.tier.id == "large"  # EUR 276,000
    assert facts_and_tier(read, "ERP-1")[0]["budget"] == "USD 300000"
    [updated] = [e for e in events() if e.action == "project.facts_updated"]
    assert updated.data["changed"]["budget"] == {"old": "USD 260000", "new": "USD 300000"}
    result, mismatches = deep()
    assert result.ok and mismatches == []


@pytest.mark.parametrize(("budget", "counts"), [("USD 540000", True), ("USD 550000", False)])
def test_a_delegation_budget_limit_holds_a_foreign_budget_in_the_base_currency(
    in_euros, act, read, new_project, clock, budget, counts
):
    # USD 540,000 is EUR 496,800, within a 500,000 limit; USD 550,000 is EUR 506,000.
    key = new_project("ERP-1", budget=budget)

    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK, Decimal(500_000))

    assert delegations_of(read, "deputy", key) == ({"sponsor": "sponsor"} if counts else {})


def test_a_currency_the_policy_has_no_rate_for_is_refused_naming_those_it_accepts(
    in_euros, refuses
):
    facts = {"budget": "JPY 40000000", "risk": "low", "duration_months": "3"}

    error = refuses(
        InvalidInput, projects.register_project, "pm", "ERP-9", "Yen", "standard", facts
    )

    assert error.problems["budget"] == (
        "Approved budget: JPY 40000000 is in JPY, which this fact does not accept: give it "
        "in 'EUR' or 'USD'"
    )


def test_a_policy_without_a_currency_still_takes_plain_amounts_and_refuses_named_ones(
    new_project, read, refuses
):
    new_project("ERP-1", budget="260000")
    facts = {"budget": "USD 5000", "risk": "low", "duration_months": "3"}

    error = refuses(
        InvalidInput, projects.register_project, "pm", "ERP-2", "Dollars", "standard", facts
    )

    assert facts_and_tier(read, "ERP-1") == (facts_and_tier(read, "ERP-1")[0], "large")
    assert "names a currency (USD), but this policy states none" in error.problems["budget"]


def publish_rates(act, version, rates):
    old, new = CURRENCY
    source = policy_source("standard", version).replace(old, new.replace("USD: 0.92", rates))
    act(publishing.publish, system(), source, f"standard-v{version}.yaml")


def test_new_rates_are_a_new_version_whose_preview_shows_the_tier_they_would_give(
    in_euros, act, read, new_project
):
    new_project("ERP-1", budget="USD 260000")  # EUR 239,200 at 0.92: medium
    publish_rates(act, 5, "USD: 0.98")  # EUR 254,800: large

    preview = read(lambda uow: migration.preview_migration(uow, "ERP-1", 5))

    assert (preview.old_tier, preview.new_tier, preview.refusals) == ("medium", "large", [])
    [money] = [c for c in preview.changes if c.scope == "money"]
    assert money.details == ("USD: 0.92 EUR -> 0.98 EUR",)
    assert facts_and_tier(read, "ERP-1")[1] == "medium", "pinned: nothing moves on its own"


def test_a_version_without_a_rate_for_a_projects_currency_cannot_take_it(
    in_euros, act, read, new_project
):
    new_project("ERP-1", budget="USD 260000")
    publish_rates(act, 5, "GBP: 1.17")

    preview = read(lambda uow: migration.preview_migration(uow, "ERP-1", 5))

    assert preview.refusals == [
        "Some facts are not valid: budget: Approved budget: USD 260000 is in USD, which this "
        "fact does not accept: give it in 'EUR' or 'GBP'"
    ]


# -- the command line -------------------------------------------------------------------------


def test_from_the_command_line_a_dollar_budget_is_shown_converted_and_deep_verify_agrees(
    tmp_path, monkeypatch
):
    point_at(tmp_path / "instance", tmp_path / "keys", monkeypatch)
    monkeypatch.chdir(tmp_path)
    lockgate = command_line()
    lockgate("init", "--admin", "admin", "--admin-password", SECRET)
    for user, role in (("pmo", "pmo"), ("pmo2", "pmo"), ("pm", "project_manager")):
        add = ("user", "add", "--as", "admin", user, "--name", user, "--role", role)
        lockgate(*add, "--password", SECRET)
    path = tmp_path / "standard-v4.yaml"
    path.write_text(policy_source("standard", 4).replace(*CURRENCY), encoding="utf-8")
    lockgate("policy", "propose", "--as", "pmo", str(path))
    lockgate("policy", "approve", "--as", "pmo2", "1")
    facts = ("budget=USD 260000", "risk=low", "duration_months=3")
    pairs = [part for fact in facts for part in ("--fact", fact)]

    lockgate("project", "register", "--as", "pm", "ERP-1", "ERP", "--policy", "standard", *pairs)

    shown = lockgate("project", "show", "--as", "pm", "ERP-1").output
    assert "tier medium" in shown
    rows = [line.split(maxsplit=1) for line in shown.splitlines()]
    assert ["budget", f"USD 260,000 {CONVERSION}"] in rows
    assert ["risk", "low"] in rows, "other facts are shown as stored"
    lockgate("audit", "verify", "--deep")
