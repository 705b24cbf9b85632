"""Fact values: read from what people type, checked against the policy, shown back to people."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import (
    Fact,
    FactError,
    FactType,
    FactValue,
    FormField,
    format_value,
    parse_value,
    read_facts,
    read_form,
)
from policies.facts import BOUNDS

RISK = ("low", "medium", "high")
MONEY = "an amount of money (digits, e.g. 250000 or 12500.50)"
NOT_FINITE = "not a finite amount; use a number such as 250000"

# -- parse_value ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        pytest.param(FactType.MONEY, "250000", Decimal("250000"), id="money digits"),
        pytest.param(FactType.MONEY, "1,250,000.50", Decimal("1250000.50"), id="money commas"),
        pytest.param(FactType.MONEY, "1_000_000", Decimal("1000000"), id="money underscores"),
        pytest.param(FactType.MONEY, " 12500.5 ", Decimal("12500.5"), id="money spaces"),
        pytest.param(FactType.MONEY, "0", Decimal("0"), id="money zero"),
        pytest.param(FactType.MONEY, 400000, Decimal("400000"), id="money from int"),
        pytest.param(FactType.MONEY, 12.5, Decimal("12.5"), id="money from float"),
        pytest.param(FactType.MONEY, Decimal("99.99"), Decimal("99.99"), id="money as is"),
        pytest.param(FactType.INTEGER, "12", 12, id="integer digits"),
        pytest.param(FactType.INTEGER, "1,200", 1200, id="integer commas"),
        pytest.param(FactType.INTEGER, " 1_200 ", 1200, id="integer underscores"),
        pytest.param(FactType.INTEGER, 7, 7, id="integer as is"),
        pytest.param(FactType.ENUM, "high", "high", id="enum value"),
        pytest.param(FactType.ENUM, " low ", "low", id="enum value with spaces"),
        pytest.param(FactType.DATE, "2026-03-01", date(2026, 3, 1), id="ISO date"),
        pytest.param(FactType.DATE, " 2026-03-01 ", date(2026, 3, 1), id="ISO date spaces"),
        pytest.param(FactType.DATE, date(2026, 3, 1), date(2026, 3, 1), id="date as is"),
        pytest.param(FactType.DATE, datetime(2026, 3, 1, 9, 30), date(2026, 3, 1), id="datetime"),
        pytest.param(FactType.TEXT, "Replace the CRM", "Replace the CRM", id="text"),
        pytest.param(FactType.TEXT, 42, "42", id="text from a number"),
    ],
)
def test_parse_value_reads_a_value_of_each_type(
    kind: FactType, raw: object, expected: FactValue
) -> None:
    value = parse_value(kind, raw, RISK if kind is FactType.ENUM else ())

    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("word", ["true", "TRUE", " Yes ", "y", "1", "on", True])
def test_parse_value_reads_yes_words_as_true(word: object) -> None:
    assert parse_value(FactType.BOOLEAN, word) is True


@pytest.mark.parametrize("word", ["false", "False", "no", "N", "0", "off", False])
def test_parse_value_reads_no_words_as_false(word: object) -> None:
    assert parse_value(FactType.BOOLEAN, word) is False


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        pytest.param(FactType.MONEY, "lots", f"'lots' is not {MONEY}", id="money words"),
        pytest.param(FactType.MONEY, "", f"'' is not {MONEY}", id="money empty"),
        pytest.param(FactType.MONEY, "NaN", f"NaN is {NOT_FINITE}", id="money NaN"),
        pytest.param(FactType.MONEY, "Infinity", f"Infinity is {NOT_FINITE}", id="money inf"),
        pytest.param(FactType.MONEY, True, f"'True' is not {MONEY}", id="money boolean"),
        pytest.param(
            FactType.MONEY,
            "-5",
            "-5 is negative: an amount of money here is zero or more",
            id="money negative text",
        ),
        pytest.param(
            FactType.MONEY,
            -250000,
            "-250000 is negative: an amount of money here is zero or more",
            id="money negative number",
        ),
        pytest.param(FactType.INTEGER, "1.5", "'1.5' is not a whole number", id="integer decimal"),
        pytest.param(FactType.INTEGER, "twelve", "'twelve' is not a whole number", id="int words"),
        pytest.param(FactType.INTEGER, False, "'False' is not a whole number", id="int boolean"),
        pytest.param(FactType.BOOLEAN, "maybe", "'maybe' is not true or false", id="boolean"),
        pytest.param(FactType.BOOLEAN, "2", "'2' is not true or false", id="boolean number"),
        pytest.param(
            FactType.DATE, "01/03/2026", "'01/03/2026' is not a date (YYYY-MM-DD)", id="date US"
        ),
        pytest.param(
            FactType.DATE, "2026-02-30", "'2026-02-30' is not a date (YYYY-MM-DD)", id="Feb 30"
        ),
        pytest.param(FactType.DATE, "soon", "'soon' is not a date (YYYY-MM-DD)", id="date words"),
    ],
)
def test_parse_value_refuses_what_is_not_of_the_type_and_says_what_was_expected(
    kind: FactType, raw: object, message: str
) -> None:
    with pytest.raises(FactError) as raised:
        parse_value(kind, raw)

    assert str(raised.value) == message


@pytest.mark.parametrize("raw", ["250,00", "250.000,00", "1,2,3"])
def test_an_amount_whose_commas_are_not_thousands_separators_is_refused(raw: str) -> None:
    with pytest.raises(FactError, match="is not an amount of money"):
        parse_value(FactType.MONEY, raw)


def test_a_fact_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="is not a whole number"):
        parse_value(FactType.INTEGER, "many")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("hihg", "'hihg' is not allowed (did you mean 'high'?); use 'low', 'medium' or 'high'"),
        (
            "Medium",
            "'Medium' is not allowed (did you mean 'medium'?); use 'low', 'medium' or 'high'",
        ),
        ("extreme", "'extreme' is not allowed; use 'low', 'medium' or 'high'"),
    ],
)
def test_an_enum_value_outside_the_list_is_refused_with_a_suggestion_when_one_is_close(
    raw: str, message: str
) -> None:
    with pytest.raises(FactError) as raised:
        parse_value(FactType.ENUM, raw, RISK)

    assert str(raised.value) == message


# -- read_facts ----------------------------------------------------------------------------

FACTS = (
    Fact("budget", FactType.MONEY, "Approved budget"),
    Fact("headcount", FactType.INTEGER, "Headcount", default=5),
    Fact("regulated", FactType.BOOLEAN, "Regulated", default=False),
    Fact("risk", FactType.ENUM, "Risk", values=RISK, default="medium"),
    Fact("go_live", FactType.DATE, "Go live", required=False, default=date(2026, 3, 1)),
    Fact("summary", FactType.TEXT, "Summary", required=False),
)


def test_read_facts_parses_what_was_typed_and_fills_in_defaults() -> None:
    values, problems = read_facts(FACTS, {"budget": "1,250,000", "risk": "high"})

    assert problems == {}
    assert values == {
        "budget": Decimal("1250000"),
        "headcount": 5,
        "regulated": False,
        "risk": "high",
        "go_live": date(2026, 3, 1),
    }


@pytest.mark.parametrize("blank", [None, ""])
def test_a_blank_value_counts_as_not_given_so_the_default_applies(blank: object) -> None:
    values, problems = read_facts(FACTS, {"budget": "10", "headcount": blank, "risk": blank})

    assert problems == {}
    assert (values["headcount"], values["risk"]) == (5, "medium")


def test_given_values_win_over_defaults_even_when_false_or_zero() -> None:
    values, problems = read_facts(
        FACTS, {"budget": 0, "headcount": 0, "regulated": "yes", "go_live": "2027-01-31"}
    )

    assert problems == {}
    assert (values["budget"], values["headcount"]) == (Decimal("0"), 0)
    assert values["regulated"] is True
    assert values["go_live"] == date(2027, 1, 31)


def test_a_false_given_for_a_boolean_is_kept_not_treated_as_missing() -> None:
    facts = (Fact("regulated", FactType.BOOLEAN, "Regulated"),)

    values, problems = read_facts(facts, {"regulated": False})

    assert (values, problems) == ({"regulated": False}, {})


def test_an_optional_fact_without_a_default_is_simply_absent() -> None:
    values, problems = read_facts(FACTS, {"budget": "10"})

    assert "summary" not in values
    assert "summary" not in problems


def test_a_missing_required_fact_is_reported_by_its_title() -> None:
    values, problems = read_facts(FACTS, {"risk": "low"})

    assert problems == {"budget": "Approved budget is required"}
    assert "budget" not in values


def test_an_unknown_fact_is_reported_with_a_suggestion() -> None:
    _, problems = read_facts(FACTS, {"budget": "10", "budjet": "20", "colour": "blue"})

    assert problems == {
        "budjet": "this policy has no fact 'budjet' (did you mean 'budget'?)",
        "colour": "this policy has no fact 'colour'",
    }


def test_read_facts_reports_every_problem_at_once() -> None:
    values, problems = read_facts(
        FACTS,
        {"headcount": "a few", "risk": "hihg", "go_live": "next spring", "riks": "low"},
    )

    assert problems == {
        "budget": "Approved budget is required",
        "headcount": "Headcount: 'a few' is not a whole number",
        "risk": "Risk: 'hihg' is not allowed (did you mean 'high'?); use 'low', 'medium' or 'high'",
        "go_live": "Go live: 'next spring' is not a date (YYYY-MM-DD)",
        "riks": "this policy has no fact 'riks' (did you mean 'risk'?)",
    }
    assert values == {"regulated": False}


def test_a_negative_budget_is_reported_against_the_fact() -> None:
    _, problems = read_facts(FACTS, {"budget": "-1"})

    assert problems == {
        "budget": "Approved budget: -1 is negative: an amount of money here is zero or more"
    }


# -- read_form -----------------------------------------------------------------------------

RISK_REGISTER = (
    FormField("top_risk", "Top risk", FactType.TEXT),
    FormField("exposure", "Exposure", FactType.MONEY, required=False),
    FormField("rating", "Rating", FactType.ENUM, values=("low", "high")),
    FormField("review_on", "Review on", FactType.DATE, required=False),
)


def test_read_form_parses_each_field_by_its_type() -> None:
    values, problems = read_form(
        RISK_REGISTER, {"top_risk": "Vendor delay", "exposure": "75,000.00", "rating": "high"}
    )

    assert problems == {}
    assert values == {
        "top_risk": "Vendor delay",
        "exposure": Decimal("75000.00"),
        "rating": "high",
    }


def test_read_form_reports_missing_wrong_and_unknown_fields_at_once() -> None:
    values, problems = read_form(
        RISK_REGISTER, {"exposure": "a lot", "rating": "hgh", "top_rsk": "Vendor delay"}
    )

    assert problems == {
        "top_risk": "Top risk is required",
        "exposure": f"Exposure: 'a lot' is not {MONEY}",
        "rating": "Rating: 'hgh' is not allowed (did you mean 'high'?); use 'low' or 'high'",
        "top_rsk": "this form has no field 'top_rsk' (did you mean 'top_risk'?)",
    }
    assert values == {}


def test_a_form_has_no_defaults_so_a_blank_optional_field_is_left_out() -> None:
    values, problems = read_form(
        RISK_REGISTER, {"top_risk": "x", "rating": "low", "exposure": "", "review_on": None}
    )

    assert problems == {}
    assert values == {"top_risk": "x", "rating": "low"}


# -- format_value --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("400000"), "400,000"),
        (Decimal("1250000.5"), "1,250,000.50"),
        (Decimal("12500.50"), "12,500.50"),
        (Decimal("99.999"), "100"),
        (Decimal("0"), "0"),
        (1200, "1,200"),
        (-3, "-3"),
        (True, "true"),
        (False, "false"),
        (date(2026, 3, 1), "2026-03-01"),
        ("Replace the CRM", "Replace the CRM"),
    ],
)
def test_format_value_shows_a_value_as_a_person_reads_it(value: FactValue, text: str) -> None:
    assert format_value(value) == text


MONEY_BOUNDS, INTEGER_BOUNDS = BOUNDS[FactType.MONEY], BOUNDS[FactType.INTEGER]
DATE_BOUNDS, TEXT_BOUNDS = BOUNDS[FactType.DATE], BOUNDS[FactType.TEXT]
# Text a person can type: no control characters but tab and line breaks.
typed_text = st.text(
    st.characters(blacklist_categories=["Cc", "Cs"]) | st.sampled_from("\t\n"),
    max_size=TEXT_BOUNDS.max_chars,
)


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.one_of(
        st.tuples(
            st.just(FactType.MONEY),
            st.decimals(
                min_value=MONEY_BOUNDS.lowest,
                max_value=MONEY_BOUNDS.highest,
                places=MONEY_BOUNDS.places,
                allow_nan=False,
            ),
        ),
        st.tuples(
            st.just(FactType.INTEGER),
            st.integers(INTEGER_BOUNDS.lowest, INTEGER_BOUNDS.highest),
        ),
        st.tuples(st.just(FactType.BOOLEAN), st.booleans()),
        st.tuples(
            st.just(FactType.DATE),
            st.dates(DATE_BOUNDS.lowest, DATE_BOUNDS.highest),
        ),
        st.tuples(st.just(FactType.TEXT), typed_text),
    )
)
def test_a_formatted_value_reads_back_as_the_same_value(typed: tuple[FactType, FactValue]) -> None:
    kind, value = typed

    assert parse_value(kind, format_value(value)) == value


# -- bounds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        pytest.param(
            FactType.MONEY,
            "1e400",
            "1e400 is out of range: an amount here is from 0 to 1,000,000,000,000,000; "
            "use a number such as 250000",
            id="money overflowing a float",
        ),
        pytest.param(FactType.MONEY, float("nan"), f"nan is {NOT_FINITE}", id="money float nan"),
        pytest.param(FactType.MONEY, 1e400, f"inf is {NOT_FINITE}", id="money float inf"),
        pytest.param(FactType.MONEY, "-inf", f"-inf is {NOT_FINITE}", id="money minus inf"),
        pytest.param(
            FactType.MONEY,
            "12500.505",
            "12500.505 has more than 2 decimals: give the amount in cents at most, e.g. 12500.50",
            id="money fractions of a cent",
        ),
        pytest.param(
            FactType.INTEGER,
            "-3",
            "-3 is out of range: a whole number here is from 0 to 1,000,000,000,000",
            id="negative duration",
        ),
        pytest.param(
            FactType.INTEGER,
            10**13,
            "10000000000000 is out of range: a whole number here is from 0 to 1,000,000,000,000",
            id="integer too big",
        ),
        pytest.param(
            FactType.DATE,
            "0001-01-01",
            "0001-01-01 is out of range: a date here is from 1900-01-01 to 2999-12-31",
            id="date too early",
        ),
        pytest.param(
            FactType.TEXT, "x" * 4001, "has 4,001 characters; at most 4,000 are allowed", id="long"
        ),
        pytest.param(
            FactType.TEXT,
            "bell\x07",
            "contains a control character (U+0007): remove it",
            id="control character",
        ),
    ],
)
def test_parse_value_refuses_a_value_outside_its_types_bounds_in_words(
    kind: FactType, raw: object, message: str
) -> None:
    with pytest.raises(FactError) as raised:
        parse_value(kind, raw)

    assert str(raised.value) == message


def test_a_refused_value_is_cut_short_in_the_message() -> None:
    with pytest.raises(FactError) as raised:
        parse_value(FactType.MONEY, "9" * 100_000)

    assert str(raised.value).startswith("9" * 40 + "… is out of range")


def test_a_value_stored_under_older_bounds_still_reads_back_when_unbounded() -> None:
    assert parse_value(FactType.MONEY, "1E+400", bounded=False) == Decimal("1E+400")


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.one_of(
        st.decimals(min_value=MONEY_BOUNDS.highest, allow_nan=False).filter(
            lambda d: d > MONEY_BOUNDS.highest
        ),
        st.sampled_from(["nan", "inf", "-Infinity", "sNaN", "1e400", "1E+16"]),
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: f != f or abs(f) > 10**15),
    )
)
def test_no_amount_outside_the_bounds_is_ever_read(raw: object) -> None:
    with pytest.raises(FactError, match=r"finite amount|out of range|negative"):
        parse_value(FactType.MONEY, raw)


@settings(max_examples=100, deadline=None, database=None)
@given(st.integers().filter(lambda n: not INTEGER_BOUNDS.lowest <= n <= INTEGER_BOUNDS.highest))
def test_no_whole_number_outside_the_bounds_is_ever_read(number: int) -> None:
    with pytest.raises(FactError):
        parse_value(FactType.INTEGER, str(number))
