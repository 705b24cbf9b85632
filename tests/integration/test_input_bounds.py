"""Bounds on every input a verb takes, on SQLite and PostgreSQL alike: an over-long name, a
name that hides a direction control, a budget of 1e400 or a reason full of control characters
is refused with InvalidInput naming its field, and nothing is written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gates.decisions import FollowUp
from tests.integration.factories import PASSWORD, STANDARD_FACTS, policy_source
from workflows.errors import InvalidInput
from workflows.identity import system
from workflows.state import load_project
from workflows.verbs import attach, migration, projects, publishing, reviews, users, waivers

register = projects.register_project
HUGE = "x" * 100_000
LONG = "y" * 4001
RLO = "invoice\u202egpj.exe"


# -- the reported inputs -------------------------------------------------------------------


def test_a_project_name_of_100000_characters_is_refused_and_nothing_is_written(refuses):
    error = refuses(InvalidInput, register, "pm", "ERP-9", HUGE, "standard", STANDARD_FACTS)

    assert error.problems == {"name": "has 100,000 characters; at most 200 are allowed: shorten it"}


def test_a_project_name_with_a_direction_override_is_refused_and_nothing_is_written(refuses):
    error = refuses(InvalidInput, register, "pm", "ERP-9", RLO, "standard", STANDARD_FACTS)

    assert list(error.problems) == ["name"]
    assert "reverses the direction of text (U+202E)" in error.problems["name"]


@pytest.mark.parametrize(
    ("budget", "problem"),
    [
        ("1e400", "1e400 is out of range: an amount here is from 0 to 1,000,000,000,000,000"),
        ("nan", "nan is not a finite amount"),
        ("inf", "inf is not a finite amount"),
        (float("inf"), "inf is not a finite amount"),
    ],
)
def test_a_budget_that_is_not_a_finite_amount_in_range_is_refused_at_registration(
    refuses, budget, problem
):
    facts = {**STANDARD_FACTS, "budget": budget}

    error = refuses(InvalidInput, register, "pm", "ERP-9", "Overflow", "standard", facts)

    assert list(error.problems) == ["budget"]
    assert problem in error.problems["budget"]
    assert error.problems["budget"].endswith("use a number such as 250000")


def test_a_budget_of_1e400_is_refused_when_the_facts_change(new_project, refuses):
    key = new_project("ERP-1")

    error = refuses(InvalidInput, projects.update_facts, "pm", key, {"budget": "1e400"})

    assert list(error.problems) == ["budget"]
    assert "1e400 is out of range" in error.problems["budget"]


def test_a_key_with_a_trailing_line_break_is_refused(refuses):
    error = refuses(InvalidInput, register, "pm", "ERP-9\n", "Name", "standard", STANDARD_FACTS)

    assert list(error.problems) == ["key"]


# -- every other verb that takes free text -------------------------------------------------


def test_a_link_longer_than_2000_characters_is_refused(new_project, refuses):
    key = new_project("ERP-1")
    url = "https://wiki.example/" + "a" * 2000

    error = refuses(InvalidInput, attach.attach_link, "pm", key, "schedule_baseline", url)

    assert error.problems == {"url": "has 2,021 characters; at most 2,000 are allowed: shorten it"}


def test_a_note_with_a_control_character_is_refused(new_project, refuses):
    key = new_project("ERP-1")

    error = refuses(
        InvalidInput,
        attach.attach_link,
        "pm",
        key,
        "schedule_baseline",
        "https://wiki.example/plan",
        note="see \x1b[2J here",
    )

    assert error.problems == {"note": "contains a control character (U+001B): remove it"}


def test_a_form_text_field_is_held_to_the_bounds_of_text_facts(new_project, read, refuses):
    key = new_project("ERP-1")
    values = {"workarounds": HUGE}

    error = refuses(InvalidInput, attach.attach_form, "pm", key, "uat_signoff", values)

    assert error.problems["workarounds"].endswith(
        "has 100,000 characters; at most 4,000 are allowed"
    )


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("display_name", {"display_name": RLO}),
        ("display_name", {"display_name": HUGE}),
        ("email", {"email": "a@" + "b" * 300 + ".example"}),
        ("username", {"username": "nina\n"}),
    ],
)
def test_a_new_user_with_an_unbounded_name_or_email_is_refused(refuses, field, changes):
    given = {"username": "nina", "display_name": "Nina Analyst", "email": "", **changes}

    error = refuses(
        InvalidInput,
        users.add_user,
        "admin",
        given["username"],
        given["display_name"],
        PASSWORD,
        given["email"],
    )

    assert list(error.problems) == [field]


def test_a_delegation_reason_with_a_control_character_is_refused(refuses, clock):
    starts = clock.now
    error = refuses(
        InvalidInput,
        users.delegate,
        "sponsor",
        "deputy",
        "sponsor",
        starts,
        starts + timedelta(days=7),
        reason="away\x00",
    )

    assert list(error.problems) == ["reason"]


def test_a_role_name_of_any_length_is_refused_before_it_reaches_the_database(
    new_project, read, refuses
):
    key = new_project("ERP-1")
    project = read(lambda uow: load_project(uow, key))

    error = refuses(InvalidInput, users.grant_role, "admin", "deputy", HUGE, project)

    assert list(error.problems) == ["role"]


@pytest.mark.parametrize(
    ("verb", "args", "field"),
    [
        (reviews.sign, ("sponsor", "ERP-1", "go", PASSWORD, "sponsor", LONG), "comment"),
        (reviews.decide, ("sponsor", "ERP-1", "recycle", LONG), "reason"),
        (reviews.withdraw, ("pm", "ERP-1", LONG), "reason"),
        (
            waivers.request_waiver,
            ("pm", "ERP-1", "artifact:project_charter", LONG),
            "justification",
        ),
        (projects.hold, ("sponsor", "ERP-1", LONG), "reason"),
        (projects.update_facts, ("pm", "ERP-1", {"risk": "high"}, LONG), "reason"),
        (migration.migrate, ("pmo", "ERP-1", 2, LONG), "reason"),
    ],
)
def test_a_reason_comment_or_justification_over_4000_characters_is_refused(
    submit_ready, new_project, refuses, verb, args, field
):
    submit_ready(new_project("ERP-1"))

    error = refuses(InvalidInput, verb, *args)

    assert error.problems == {field: "has 4,001 characters; at most 4,000 are allowed: shorten it"}


def test_a_follow_up_owner_over_200_characters_is_refused(submit_ready, new_project, refuses):
    submit_ready(new_project("ERP-1"))
    conditions = [FollowUp("Re-run the DR test", "o" * 201, date(2026, 4, 1))]

    error = refuses(
        InvalidInput,
        reviews.decide,
        "sponsor",
        "ERP-1",
        "conditional_go",
        "Mostly ready",
        conditions,
    )

    assert list(error.problems) == ["follow_ups[0].owner"]


def test_a_policy_published_under_a_name_with_a_direction_override_is_refused(refuses):
    error = refuses(InvalidInput, publishing.publish, system(), policy_source("standard", 4), RLO)

    assert list(error.problems) == ["name"]
