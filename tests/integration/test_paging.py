"""Lists paged by key: projects by key, the audit trail by seq (by time within a date range).
Every page holds the rows that follow the last one seen, whatever was on the pages before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.conftest import grant_on_project
from tests.integration.factories import FACTS, actor_of
from workflows.state import load_project
from workflows.verbs import audit, projects, users
from workflows.views import counts
from workflows.views.audit import event_filter, event_page
from workflows.views.counts import Total, project_total
from workflows.views.paging import Cursor
from workflows.views.portfolio import ProjectFilter, Viewer, project_page, viewer_of

KEYS = [f"PG-{n}" for n in range(1, 8)]  # PG-1 ... PG-7, in key order


@pytest.fixture
def seven(act: Callable[..., Any]) -> list[str]:
    """Seven lite projects, PG-1 to PG-7, managed by pm (PG-6 and PG-7 by pm2)."""
    for key in KEYS:
        manager = "pm2" if key in ("PG-6", "PG-7") else "pm"
        facts = FACTS["lite"]
        act(projects.register_project, "pmo", key, f"Paged {key}", "lite", facts, manager)
    return KEYS


def keys_of(page: Any) -> list[str]:
    return [row.project.key for row in page.rows]


def page(read: Callable[..., Any], cursor: Cursor[str], where: ProjectFilter | None = None) -> Any:
    return read(lambda uow: project_page(uow, where or ProjectFilter(), cursor, size=3))


@pytest.mark.parametrize(
    ("cursor", "expected", "previous", "following"),
    [
        (Cursor(), KEYS[0:3], None, "PG-3"),
        (Cursor(after="PG-3"), KEYS[3:6], "PG-4", "PG-6"),
        (Cursor(after="PG-6"), KEYS[6:7], "PG-7", None),
        (Cursor(after="PG-7"), [], None, None),
        (Cursor(last=True), KEYS[4:7], "PG-5", None),
        (Cursor(before="PG-5"), KEYS[1:4], "PG-2", "PG-4"),
        (Cursor(before="PG-2"), KEYS[0:1], None, "PG-1"),
    ],
    ids=["first", "next", "short last", "past the end", "last", "previous", "short first"],
)
def test_a_page_of_projects_follows_its_cursor(read, seven, cursor, expected, previous, following):
    found = page(read, cursor)

    assert keys_of(found) == expected
    assert (found.previous, found.next) == (previous, following)


def test_a_page_that_ends_the_list_exactly_has_no_next(act, read, seven):
    found = page(read, Cursor(after="PG-1"), ProjectFilter(search="PG-"))

    assert keys_of(found) == KEYS[1:4]
    assert keys_of(page(read, Cursor(after="PG-4"), ProjectFilter(search="PG-"))) == KEYS[4:7]
    assert page(read, Cursor(after="PG-4"), ProjectFilter(search="PG-")).next is None


def test_paging_a_filtered_list_skips_what_the_filter_leaves_out(read, seven):
    managed_by_pm2 = ProjectFilter(manager="pm2")

    assert keys_of(page(read, Cursor(), managed_by_pm2)) == ["PG-6", "PG-7"]
    assert keys_of(page(read, Cursor(after="PG-6"), managed_by_pm2)) == ["PG-7"]
    assert keys_of(page(read, Cursor(before="PG-7"), managed_by_pm2)) == ["PG-6"]


def test_a_person_pages_through_the_projects_they_manage_hold_a_role_on_or_sign_for(
    act, read, seven, clock
):
    for key in ("PG-2", "PG-6"):
        act(grant_on_project, "admin", "finance", "finance", key)
    act(grant_on_project, "admin", "pm", "security", "PG-3")  # also managed: listed once
    act(grant_on_project, "admin", "security", "sponsor", "PG-7")
    act(
        lambda uow: users.delegate(
            uow,
            actor_of(uow, "security"),
            "finance",
            "sponsor",
            clock.now,
            clock.now + timedelta(days=5),
            load_project(uow, "PG-7"),
            "Leave",
        )
    )

    def viewer(username: str) -> Viewer | None:
        def of(uow: Any) -> Viewer | None:
            user = users.find_user(uow, username)
            return viewer_of(uow, user, users.global_roles(uow, user))

        return read(of)

    finance, pm = viewer("finance"), viewer("pm")

    def visible(who: Viewer | None, cursor: Cursor[str]) -> list[str]:
        return keys_of(page(read, cursor, ProjectFilter(visible=who)))

    assert visible(finance, Cursor()) == ["PG-2", "PG-6", "PG-7"]
    assert visible(finance, Cursor(after="PG-2")) == ["PG-6", "PG-7"]
    assert visible(pm, Cursor()) == ["PG-1", "PG-2", "PG-3"]
    assert visible(pm, Cursor(after="PG-3")) == ["PG-4", "PG-5"]
    assert visible(pm, Cursor(last=True)) == ["PG-3", "PG-4", "PG-5"]
    assert read(lambda uow: project_total(uow, ProjectFilter(visible=pm))) == Total(5)


def test_totals_are_exact_from_the_stored_counts_and_bounded_otherwise(read, seven, monkeypatch):
    monkeypatch.setattr(counts, "COUNT_LIMIT", 4)

    def total(where: ProjectFilter) -> Total:
        return read(lambda uow: project_total(uow, where))

    assert total(ProjectFilter(policy="lite")) == Total(7)
    assert total(ProjectFilter(search="PG-")) == Total(4, exact=False)
    assert str(total(ProjectFilter(search="PG-"))) == "more than 4"
    assert total(ProjectFilter(manager="pm2")) == Total(2)


# -- the audit trail ---------------------------------------------------------------------------


def seqs(found: Any) -> list[int]:
    return [row.seq for row in found.rows]


def events(read: Callable[..., Any], cursor: Cursor[int], **where: Any) -> Any:
    return read(lambda uow: event_page(uow, event_filter(**where), cursor, size=3))


def test_the_trail_pages_newest_first_by_seq(read, seven):
    everything = read(lambda uow: [e.seq for e in audit.stream_events(uow)])
    newest = everything[::-1]

    first = events(read, Cursor())
    assert seqs(first) == newest[:3] and first.previous is None
    older = events(read, Cursor(after=first.next))
    assert seqs(older) == newest[3:6]
    assert seqs(events(read, Cursor(before=older.previous))) == newest[:3]
    oldest = events(read, Cursor(last=True))
    assert seqs(oldest) == newest[-3:] and oldest.next is None


def test_a_filtered_trail_pages_through_the_matching_events_only(read, seven):
    first = events(read, Cursor(), action="project.reg", actor="pmo")
    older = events(read, Cursor(after=first.next), action="project.reg", actor="pmo")
    rest = events(read, Cursor(after=older.next), action="project.reg", actor="pmo")

    keys = [row.project_key for found in (first, older, rest) for row in found.rows]
    assert keys == KEYS[::-1]
    assert rest.next is None


def test_a_date_range_pages_newest_first_by_time(read, seven, clock):
    day = clock.now.date()
    everything = read(lambda uow: [(e.at, e.seq) for e in audit.stream_events(uow)])
    expected = [seq for at, seq in sorted(everything, reverse=True) if at.date() == day]

    pages = [events(read, Cursor(), since=day, until=day)]
    while pages[-1].next is not None:
        pages.append(events(read, Cursor(after=pages[-1].next), since=day, until=day))

    assert [seq for found in pages for seq in seqs(found)] == expected
    assert len(pages) > 2
    back = events(read, Cursor(before=pages[1].previous), since=day, until=day)
    assert seqs(back) == seqs(pages[0])


def test_a_cursor_naming_no_event_finds_an_empty_page(read, seven, clock):
    day = clock.now.date()

    assert seqs(events(read, Cursor(after=10**9), since=day)) == []
    assert seqs(events(read, Cursor(after=1))) == []
