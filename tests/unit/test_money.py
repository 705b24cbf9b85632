"""Money as money: amounts in a currency, converted to the policy's base currency at the rates
its version states, compared in it, shown with it; and every mistake in a policy's currencies
named with its line and a did-you-mean."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from gates.change_control import impact
from gates.tiering import classify
from policies import FactError, Policy, check_policy_text, format_value, parse_value, read_facts
from policies.diff import diff_policies
from policies.facts import cel_value
from policies.model import FactType
from policies.money import ExchangeRates, Money, MoneyRules, convert
from tests.unit.conftest import MONEY_POLICY, VALID_POLICY
from web.cli.main import cli

RATES = ExchangeRates(
    "EUR", source="ECB reference rates", rates=(("USD", Decimal("0.92")), ("GBP", Decimal("1.17")))
)
BUDGET = MoneyRules(False, ("EUR", "USD", "GBP"), RATES)
NPV = MoneyRules(True, ("EUR", "USD"), RATES)


def money(raw: object, rules: MoneyRules = BUDGET) -> object:
    return parse_value(FactType.MONEY, raw, money=rules)


# -- reading what people type --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rules", "amount", "currency", "base"),
    [
        pytest.param("USD 120000", BUDGET, "120000", "USD", "110400.00", id="code-before"),
        pytest.param("120000 USD", BUDGET, "120000", "USD", "110400.00", id="code-after"),
        pytest.param("USD120,000.50", BUDGET, "120000.50", "USD", "110400.46", id="no-space"),
        pytest.param("usd 100", BUDGET, "100", "USD", "92.00", id="lower-case-code"),
        pytest.param("GBP 1,000", BUDGET, "1000", "GBP", "1170.00", id="grouped"),
        pytest.param("EUR 5000", BUDGET, "5000", "EUR", "5000", id="the-base-named"),
        pytest.param("-5000 EUR", NPV, "-5000", "EUR", "-5000", id="negative-where-declared"),
        pytest.param("USD -0.01", NPV, "-0.01", "USD", "-0.01", id="negative-rounds-away"),
    ],
)
def test_an_amount_in_a_currency_is_kept_as_entered_and_converted_to_the_base(
    raw: str, rules: MoneyRules, amount: str, currency: str, base: str
) -> None:
    value = money(raw, rules)

    assert isinstance(value, Money)
    assert (value.amount, value.currency, value.base) == (Decimal(amount), currency, Decimal(base))


@pytest.mark.parametrize(
    ("raw", "rules", "expected"),
    [
        pytest.param("120000", BUDGET, Decimal(120000), id="text-in-the-base"),
        pytest.param(Decimal("12.5"), BUDGET, Decimal("12.5"), id="a-decimal-stays-one"),
        pytest.param("-250000", NPV, Decimal(-250000), id="negative-where-declared"),
        pytest.param("120000", MoneyRules(), Decimal(120000), id="a-policy-without-currency"),
    ],
)
def test_an_amount_without_a_currency_is_a_plain_decimal_in_the_base(
    raw: object, rules: MoneyRules, expected: Decimal
) -> None:
    assert money(raw, rules) == expected


@pytest.mark.parametrize(
    ("raw", "rules", "message"),
    [
        pytest.param(
            "-5000", BUDGET, "-5000 is negative: an amount of money here is zero or more",
            id="negative-not-declared",
        ),
        pytest.param(
            "-5 USD", BUDGET, "-5 USD is negative: an amount of money here is zero or more",
            id="negative-in-a-currency",
        ),
        pytest.param(
            "JPY 500", BUDGET,
            "JPY 500 is in JPY, which this fact does not accept: give it in 'EUR', 'USD' or 'GBP'",
            id="a-currency-without-a-rate",
        ),
        pytest.param(
            "GBP 5", NPV,
            "GBP 5 is in GBP, which this fact does not accept: give it in 'EUR' or 'USD'",
            id="a-rated-currency-the-fact-does-not-list",
        ),
        pytest.param(
            "USB 5", BUDGET,
            "USB 5 is in USB, which this fact does not accept (did you mean 'USD'?): give it in "
            "'EUR', 'USD' or 'GBP'",
            id="a-misspelt-code",
        ),
        pytest.param(
            "USD 5", MoneyRules(),
            "USD 5 names a currency (USD), but this policy states none: give the amount alone, "
            "e.g. 250000",
            id="a-policy-without-currency",
        ),
        pytest.param(
            "$120000", BUDGET,
            "$120000 uses a currency symbol: write the currency's code instead, e.g. USD 120000",
            id="a-symbol",
        ),
        pytest.param(
            "USD 12.505", BUDGET,
            "USD 12.505 has more than 2 decimals: give the amount in cents at most, e.g. 12500.50",
            id="sub-cent",
        ),
        pytest.param(
            "GBP 900000000000000", BUDGET,
            "GBP 900000000000000 is EUR 1,053,000,000,000,000, out of range: an amount here is "
            "at most 1,000,000,000,000,000 in EUR",
            id="converted-beyond-the-bound",
        ),
        pytest.param(
            "-2000000000000000", NPV,
            "-2000000000000000 is out of range: an amount here is from -1,000,000,000,000,000 "
            "to 1,000,000,000,000,000; use a number such as 250000",
            id="negative-beyond-the-bound",
        ),
    ],
)  # fmt: skip
def test_money_the_fact_cannot_take_is_refused_in_words(
    raw: str, rules: MoneyRules, message: str
) -> None:
    with pytest.raises(FactError) as refused:
        money(raw, rules)

    assert str(refused.value) == message


# -- converting and comparing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "code", "base"),
    [
        pytest.param("0.005", "USD", "0.00", id="below-half-a-cent"),  # 0.0046
        pytest.param("0.0163", "USD", "0.01", id="half-a-cent-down"),  # 0.014996
        pytest.param("0.5", "GBP", "0.59", id="half-a-cent-rounds-up"),  # 0.585
        pytest.param("-0.5", "GBP", "-0.59", id="half-a-cent-away-from-zero"),
        pytest.param("271739.13", "USD", "250000.00", id="just-at-a-threshold"),  # 249999.9996
        pytest.param("271739.12", "USD", "249999.99", id="just-below-a-threshold"),
        pytest.param("100", "EUR", "100", id="the-base-at-one"),
    ],
)
def test_conversion_multiplies_by_the_rate_and_rounds_half_away_from_zero_to_the_cent(
    amount: str, code: str, base: str
) -> None:
    assert convert(Decimal(amount), code, RATES).base == Decimal(base)


@pytest.mark.parametrize(
    ("budget", "tier"),
    [
        pytest.param("USD 1086956.51", "standard", id="usd-just-below-a-million-eur"),
        pytest.param("USD 1086956.52", "major", id="usd-rounded-up-to-a-million-eur"),
        pytest.param("GBP 854700.86", "major", id="gbp-at-a-million-eur"),
        pytest.param("1000000", "major", id="plain-is-the-base"),
        pytest.param("999999.99 EUR", "standard", id="the-base-named"),
        pytest.param("USD 100000", "minor", id="usd-below-the-standard-threshold"),
    ],
)
def test_the_tier_is_chosen_on_the_amount_in_the_base_currency(
    money_policy: Policy, budget: str, tier: str
) -> None:
    values, problems = read_facts(money_policy.facts, {"budget": budget})

    assert problems == {}
    assert classify(money_policy, values).tier.id == tier


def test_conditions_read_money_in_the_base_currency_as_a_double() -> None:
    assert cel_value(convert(Decimal(100), "USD", RATES)) == 92.0


def test_a_change_threshold_measures_the_move_in_the_base_currency(
    money_policy: Policy,
) -> None:
    controlled = check_policy_text(
        MONEY_POLICY + "change_control:\n  money:\n    budget: 10%\n", "money.yaml"
    )[0]
    assert controlled is not None
    old = {"budget": Decimal(500000)}
    within = {"budget": money("USD 560000")}  # 12% more as digits, but EUR 515,200: 3.0%
    beyond = {"budget": money("USD 480000")}  # 4% less as digits, but EUR 441,600: 11.7%

    assert impact(controlled, "planning", old, within).money == ()
    (move,) = impact(controlled, "planning", old, beyond).money
    assert str(move) == (
        "budget 500,000 -> USD 480,000 (EUR 441,600 at 0.92, ECB reference rates) moves 11.7% "
        "from its baseline (more than ±10% needs a request)"
    )


# -- showing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(Decimal(120000), "120,000", id="plain-unchanged"),
        pytest.param(Decimal("-5000.5"), "-5,000.50", id="plain-negative"),
        pytest.param(
            convert(Decimal(120000), "USD", RATES),
            "USD 120,000 (EUR 110,400 at 0.92, ECB reference rates)",
            id="converted",
        ),
        pytest.param(convert(Decimal(-5000), "EUR", RATES), "EUR -5,000", id="in-the-base"),
    ],
)
def test_money_is_shown_with_its_currency_and_the_conversion_when_there_was_one(
    value: Decimal | Money, shown: str
) -> None:
    assert format_value(value) == shown


def test_a_reason_names_the_rate_its_date_and_source(money_policy: Policy) -> None:
    values, _ = read_facts(money_policy.facts, {"budget": "USD 2000000"})

    assert classify(money_policy, values).reason == (
        "Major project because budget USD 2,000,000 (EUR 1,840,000 at 0.92, ECB reference "
        "rates 2026-11-30) >= 1,000,000.0"
    )


# -- the policy file ----------------------------------------------------------------------


def test_a_policy_states_its_base_currency_and_the_rates_of_its_version(
    money_policy: Policy,
) -> None:
    rates = money_policy.exchange_rates
    npv = money_policy.fact("npv")
    budget = money_policy.fact("budget")

    assert money_policy.currency == "EUR"
    assert rates is not None and rates.stated() == "ECB reference rates 2026-11-30"
    assert (rates.rate("USD"), rates.rate("GBP"), rates.rate("EUR")) == (
        Decimal("0.92"), Decimal("1.17"), Decimal(1)
    )  # fmt: skip
    assert budget is not None and budget.money.currencies == ("EUR", "USD", "GBP")
    assert npv is not None and (npv.money.negative, npv.money.currencies) == (True, ("EUR", "USD"))


def test_a_policy_without_a_currency_keeps_money_a_plain_amount() -> None:
    policy = check_policy_text(VALID_POLICY, "standard.yaml")[0]

    assert policy is not None and policy.currency == "" and policy.exchange_rates is None
    assert all(not f.money.currencies and f.money.rates is None for f in policy.facts)


RATES_BLOCK = "  rates:\n    USD: 0.92\n    GBP: 1.17\n"


@pytest.mark.parametrize(
    ("old", "new", "at", "path", "message"),
    [
        pytest.param(
            "currency: EUR\n", "currency: eur\n", "currency: eur", "currency",
            "'eur' is not a currency code: codes are upper case (did you mean 'EUR'?)",
            id="lower-case-base",
        ),
        pytest.param(
            "currency: EUR\n", "currency: EUX\n", "currency: EUX", "currency",
            "'EUX' is not an ISO 4217 currency code (did you mean 'EUR'?): write three "
            "upper-case letters, such as EUR, USD or GBP",
            id="unknown-base",
        ),
        pytest.param(
            "currency: EUR\n", "currency: EURO\n", "currency: EURO", "currency",
            "'EURO' is not an ISO 4217 currency code (did you mean 'EUR'?): write three "
            "upper-case letters, such as EUR, USD or GBP",
            id="badly-formed-base",
        ),
        pytest.param(
            "currency: EUR\n", "currency: 978\n", "currency: 978", "currency",
            "'978' is not an ISO 4217 currency code: write three upper-case letters, such as "
            "EUR, USD or GBP",
            id="numeric-base",
        ),
        pytest.param(
            "    GBP: 1.17\n", "    GBX: 1.17\n", "GBX: 1.17", "exchange_rates.rates.GBX",
            "'GBX' is not an ISO 4217 currency code (did you mean 'GBP'?): write three "
            "upper-case letters, such as EUR, USD or GBP",
            id="unknown-rate-code",
        ),
        pytest.param(
            "    GBP: 1.17\n", "    gbp: 1.17\n", "gbp: 1.17", "exchange_rates.rates.gbp",
            "'gbp' is not a currency code: codes are upper case (did you mean 'GBP'?)",
            id="lower-case-rate-code",
        ),
        pytest.param(
            "    GBP: 1.17\n", "    EUR: 1\n", "EUR: 1", "exchange_rates.rates.EUR",
            "EUR is the policy's currency: one EUR is always 1 EUR, so it has no rate; remove it",
            id="a-rate-for-the-base",
        ),
        pytest.param(
            "    USD: 0.92\n", "    USD: 0\n", "USD: 0\n", "exchange_rates.rates.USD",
            "must be more than 0, found 0", id="zero-rate",
        ),
        pytest.param(
            "    USD: 0.92\n", "    USD: -0.92\n", "-0.92", "exchange_rates.rates.USD",
            "must be more than 0, found -0.92", id="negative-rate",
        ),
        pytest.param(
            "    USD: 0.92\n", "    USD: lots\n", "lots", "exchange_rates.rates.USD",
            "expected a number such as 0.92, found 'lots'", id="rate-not-a-number",
        ),
        pytest.param(
            "  as_of: 2026-11-30\n", "", "  source:", "exchange_rates",
            "missing required key 'as_of'", id="rates-without-a-date",
        ),
        pytest.param(
            "  source: ECB reference rates\n", "", "  as_of:", "exchange_rates",
            "missing required key 'source'", id="rates-without-a-source",
        ),
        pytest.param(
            "  as_of: 2026-11-30\n", "  asof: 2026-11-30\n", "asof", "exchange_rates.asof",
            "unknown key 'asof' (did you mean 'as_of'?)", id="misspelt-as-of",
        ),
        pytest.param(
            "  as_of: 2026-11-30\n", "  as_of: 2026-11-31\n", "2026-11-31",
            "exchange_rates.as_of", "expected a date (YYYY-MM-DD), found '2026-11-31'",
            id="impossible-date",
        ),
        pytest.param(
            "currency: EUR\n", "", "  as_of:", "exchange_rates",
            "exchange rates convert to the policy's own currency: add 'currency:' with its "
            "code (e.g. currency: EUR)",
            id="rates-without-a-base",
        ),
        pytest.param(
            "    currencies: [EUR, USD]\n", "    currencies: [EUR, JPY]\n", "currencies:",
            "facts.npv.currencies[1]",
            "no exchange rate for JPY: add one under exchange_rates.rates, or accept only EUR, "
            "USD, GBP",
            id="a-listed-currency-without-a-rate",
        ),
        pytest.param(
            "    currencies: [EUR, USD]\n", "    currencies: [EUR, GPB]\n", "currencies:",
            "facts.npv.currencies[1]",
            "'GPB' is not an ISO 4217 currency code (did you mean 'GBP'?): write three "
            "upper-case letters, such as EUR, USD or GBP",
            id="a-listed-code-misspelt",
        ),
        pytest.param(
            "    currencies: [EUR, USD]\n", "    currencies: [EUR, EUR]\n", "currencies:",
            "facts.npv.currencies[1]", "currency 'EUR' appears twice: each must be unique",
            id="a-listed-currency-twice",
        ),
        pytest.param(
            "  headcount:\n    type: integer\n",
            "  headcount:\n    type: integer\n    negative: true\n", "negative: true",
            "facts.headcount.negative", "'negative' is for money facts; this is integer",
            id="negative-on-a-count",
        ),
        pytest.param(
            "    negative: true\n", "    negativ: true\n", "negativ:", "facts.npv.negativ",
            "unknown key 'negativ' (did you mean 'negative'?)", id="misspelt-negative",
        ),
    ],
)  # fmt: skip
def test_every_mistake_in_currencies_is_named_with_its_line_and_a_suggestion(
    old: str, new: str, at: str, path: str, message: str
) -> None:
    assert MONEY_POLICY.count(old) == 1, old
    text = MONEY_POLICY.replace(old, new)
    policy, problems = check_policy_text(text, "money.yaml")

    assert policy is None
    # One mistake, one problem: what depends on a refused value is not reported again.
    # (A misspelt required key is two: the unknown key, and the missing one.)
    assert len(problems) == (2 if path == "exchange_rates.asof" else 1)
    (problem,) = [p for p in problems if p.path == path]
    assert problem.message == message
    assert (problem.file, problem.line) == ("money.yaml", text[: text.index(at)].count("\n") + 1)


def test_a_fact_listing_currencies_in_a_policy_without_one_is_told_to_state_it() -> None:
    text = MONEY_POLICY.split("currency: EUR\n")[0]
    policy, problems = check_policy_text(text, "money.yaml")

    assert policy is None
    assert [(p.path, p.message) for p in problems] == [
        (
            "facts.npv.currencies",
            "the policy states no currency: add 'currency:' with its code (e.g. currency: EUR) "
            "and the rates of the others under 'exchange_rates'",
        )
    ]


def test_a_default_in_a_currency_is_read_with_the_policy_rates() -> None:
    text = MONEY_POLICY.replace(
        "    currencies: [EUR, USD]\n", "    currencies: [EUR, USD]\n    default: USD -100\n"
    )
    policy = check_policy_text(text, "money.yaml")[0]

    assert policy is not None
    npv = policy.fact("npv")
    assert npv is not None and npv.default == convert(Decimal(-100), "USD", RATES)


# -- policy show, explain and diff -----------------------------------------------------------


def test_policy_show_states_the_base_currency_the_rates_and_each_money_facts_rules(
    tmp_path: Path,
) -> None:
    path = tmp_path / "money.yaml"
    path.write_text(MONEY_POLICY, encoding="utf-8")

    result = CliRunner().invoke(cli, ["policy", "show", str(path)])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "budget     money    in EUR, USD, GBP; required" in lines
    assert "npv        money    in EUR, USD; may be negative; optional" in lines
    assert (
        "Currency: EUR. Money given without a currency is in EUR; conditions and thresholds "
        "compare amounts in EUR."
    ) in lines
    assert (
        "Exchange rates (ECB reference rates 2026-11-30, fixed with this version): "
        "1 USD = 0.92 EUR; 1 GBP = 1.17 EUR. A converted amount is rounded to the cent, "
        "halves away from zero."
    ) in lines


def test_policy_show_of_a_policy_without_a_currency_says_nothing_of_money(tmp_path: Path) -> None:
    path = tmp_path / "standard.yaml"
    path.write_text(VALID_POLICY, encoding="utf-8")

    result = CliRunner().invoke(cli, ["policy", "show", str(path)])

    assert "budget     money    required" in result.stdout.splitlines()
    assert "Currency" not in result.stdout and "Exchange rates" not in result.stdout


def test_policy_explain_reads_a_fact_in_a_currency_and_shows_the_conversion(
    tmp_path: Path,
) -> None:
    path = tmp_path / "money.yaml"
    path.write_text(MONEY_POLICY, encoding="utf-8")

    result = CliRunner().invoke(
        cli, ["policy", "explain", str(path), "--fact", "budget=USD 300000"]
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "Tier: Standard because budget USD 300,000 (EUR 276,000 at 0.92, ECB reference rates "
        "2026-11-30) is at least 100,000"
    )


def test_a_new_version_with_other_rates_lists_each_rate_that_moved(money_policy: Policy) -> None:
    newer = check_policy_text(
        MONEY_POLICY.replace("    USD: 0.92\n", "    USD: 0.95\n").replace(
            "as_of: 2026-11-30", "as_of: 2026-12-31"
        ),
        "money.yaml",
    )[0]
    assert newer is not None

    changes = [c for c in diff_policies(money_policy, newer) if c.scope == "money"]

    assert [c.details for c in changes] == [
        ("as_of: 2026-11-30 -> 2026-12-31", "USD: 0.92 EUR -> 0.95 EUR")
    ]
    assert [c for c in diff_policies(money_policy, newer) if c.scope == "facts"] == []
