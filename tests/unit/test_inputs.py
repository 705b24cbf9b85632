"""The bounds on free text a verb takes: one-line values and long text, refused in words and
named by field, so the portal can put the message next to its input."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gates.decisions import FollowUp
from workflows.errors import InvalidInput
from workflows.inputs import (
    DIRECTION_CONTROLS,
    FOLLOW_UP_ACTION,
    LONG_TEXT,
    SHORT_TEXT,
    follow_ups,
    long_text,
    long_text_problem,
    short_text,
    short_text_problem,
)


def refusal(check: object, *args: object, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        check(*args, **kwargs)  # type: ignore[operator]
    return raised.value


# -- one line ----------------------------------------------------------------------------------


def test_a_one_line_value_comes_back_stripped() -> None:
    assert short_text("  New ERP  ", "name") == "New ERP"


def test_a_one_line_value_may_be_as_long_as_its_limit() -> None:
    assert short_text("x" * SHORT_TEXT, "name") == "x" * SHORT_TEXT


def test_a_one_line_value_over_its_limit_is_refused_naming_the_field() -> None:
    error = refusal(short_text, "x" * 100_000, "name")

    assert error.problems == {"name": "has 100,000 characters; at most 200 are allowed: shorten it"}
    assert str(error) == (
        "The name cannot be used: name: has 100,000 characters; at most 200 are allowed: shorten it"
    )


@pytest.mark.parametrize("char", sorted(DIRECTION_CONTROLS))
def test_a_direction_control_in_a_one_line_value_is_refused(char: str) -> None:
    error = refusal(short_text, f"invoice{char}fdp.exe", "display_name")

    assert error.problems == {
        "display_name": "contains an invisible character that reverses the direction of text "
        f"(U+{ord(char):04X}), so it would read differently from what is stored: remove it"
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "two\nlines",
            "contains a line break or a tab (U+000A): write it as plain text on one line",
        ),
        ("a\ttab", "contains a line break or a tab (U+0009): write it as plain text on one line"),
        ("bell\x07", "contains a control character (U+0007): write it as plain text on one line"),
        ("nul\x00", "contains a control character (U+0000): write it as plain text on one line"),
    ],
)
def test_a_control_character_in_a_one_line_value_is_refused(text: str, problem: str) -> None:
    assert short_text_problem(text) == problem


def test_an_empty_one_line_value_is_refused_in_the_words_given() -> None:
    error = refusal(short_text, "   ", "name", missing="the project needs a name")

    assert error.problems == {"name": "the project needs a name"}


def test_an_empty_one_line_value_is_accepted_when_it_is_optional() -> None:
    assert short_text("  ", "email", missing=None) == ""


@pytest.mark.parametrize("value", [None, 42, ["a"]])
def test_a_value_that_is_not_text_is_refused(value: object) -> None:
    assert refusal(short_text, value, "name").problems == {"name": "must be text"}


# -- long text ---------------------------------------------------------------------------------


def test_long_text_keeps_its_line_breaks_and_tabs() -> None:
    assert long_text(" Because:\r\n\t- the budget moved\n", "reason") == (
        "Because:\r\n\t- the budget moved"
    )


def test_long_text_over_its_limit_is_refused_naming_the_field() -> None:
    error = refusal(long_text, "x" * (LONG_TEXT + 1), "justification")

    assert error.problems == {
        "justification": "has 4,001 characters; at most 4,000 are allowed: shorten it"
    }


def test_a_control_character_in_long_text_is_refused() -> None:
    assert long_text_problem("ok\x1b[31m red") == (
        "contains a control character (U+001B): remove it"
    )


def test_long_text_is_optional_unless_told_otherwise() -> None:
    assert long_text("", "comment") == ""
    assert long_text_problem("", missing="say why") == "say why"


# -- follow-ups --------------------------------------------------------------------------------


def test_follow_ups_come_back_stripped() -> None:
    due = date(2026, 4, 1)

    assert follow_ups([FollowUp(" Fix the DR test ", " ops ", due)]) == [
        FollowUp("Fix the DR test", "ops", due)
    ]


def test_a_follow_up_with_an_over_long_owner_is_refused_naming_its_place() -> None:
    items = [
        FollowUp("Fix it", "ops", date(2026, 4, 1)),
        FollowUp("Fix it", "o" * (SHORT_TEXT + 1), date(2026, 4, 1)),
    ]

    error = refusal(follow_ups, items)

    assert list(error.problems) == ["follow_ups[1].owner"]


def test_a_follow_up_action_has_its_own_limit() -> None:
    action = "a" * FOLLOW_UP_ACTION

    assert follow_ups([FollowUp(action, "ops", date(2026, 4, 1))])[0].action == action
    assert (
        "follow_ups[0].action"
        in refusal(follow_ups, [FollowUp(action + "a", "ops", date(2026, 4, 1))]).problems
    )


# -- properties --------------------------------------------------------------------------------

plain = st.characters(blacklist_categories=["Cc", "Cs"]).filter(
    lambda c: c not in DIRECTION_CONTROLS
)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(plain, min_size=1, max_size=SHORT_TEXT).filter(str.strip))
def test_plain_one_line_text_within_the_limit_is_accepted_as_typed(text: str) -> None:
    assert short_text(text, "name") == text.strip()


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=300))
def test_what_short_text_accepts_is_one_plain_line_within_the_limit(text: str) -> None:
    try:
        accepted = short_text(text, "name")
    except InvalidInput as error:
        assert set(error.problems) == {"name"}
        return
    assert 0 < len(accepted) <= SHORT_TEXT
    assert not set(accepted) & DIRECTION_CONTROLS
    assert not [c for c in accepted if unicodedata.category(c) == "Cc"]
