"""The portfolio dashboard: who may see it, what it counts, where its counts lead, its filters,
and its cost."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select

from tests.actors import demo_actor
from workflows.machines import SUBMITTED
from workflows.store.records import PolicyVersion, Project, Review
from workflows.verbs import attach, projects, reviews
from workflows.views import counts
from workflows.workspace import Workspace


def text(response) -> str:
    return response.get_data(as_text=True)


def section(html: str, title_id: str) -> str:
    start = html.index(f'id="{title_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def stage_tier_counts(html: str) -> dict[tuple[str, str], int]:
    """The non-zero cells of the stage x tier table."""
    table = section(html, "counts-title")
    tiers = re.findall(r'<th scope="col">([^<]+)</th>', table)[1:-1]
    counts = {}
    for stage, cells in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', table, re.S):
        numbers = [int(n) for n in re.findall(r"<td>(?:<a [^>]*>|<span [^>]*>)?(\d+)", cells)]
        for tier, n in zip(tiers, numbers, strict=True):
            if n:
                counts[(stage.replace(" ", "_"), tier)] = n
    return counts


def listed_keys(html: str) -> list[str]:
    """The keys the projects list shows, in order."""
    return re.findall(r'<td data-label="Project"><a [^>]*><span class="mono">([^<]+)</span>', html)


def link_of(html: str, stage: str, tier: str | None = None) -> str:
    """Where the dashboard's count of one stage (and tier; else the stage's total) leads."""
    table = section(html, "counts-title")
    [row] = re.findall(rf'<th scope="row">{stage.replace("_", " ")}</th>(.*?)</tr>', table, re.S)
    links = re.findall(r'<a href="([^"]+)"', row)
    tiers = re.findall(r'<th scope="col">([^<]+)</th>', table)[1:-1]
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    if tier is None:
        return links[-1].replace("&amp;", "&")
    [href] = re.findall(r'<a href="([^"]+)"', cells[tiers.index(tier)])
    return href.replace("&amp;", "&")


def stored_counts(ws: Workspace, policy: str | None = None) -> Counter[tuple[str, str]]:
    """Projects per (stage, tier) counted from the projects table (of one policy, if given)."""
    query = select(Project.stage, Project.tier).join(
        PolicyVersion, Project.policy_version_id == PolicyVersion.id
    )
    if policy:
        query = query.where(PolicyVersion.policy_id == policy)
    with ws.unit_of_work() as uow:
        return Counter((stage, tier) for stage, tier in uow.session.execute(query))


@contextmanager
def counting(*engines: Engine) -> Iterator[list[str]]:
    """The SQL statements the engines run inside the block."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    distinct = list({id(engine): engine for engine in engines}.values())
    for engine in distinct:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for engine in distinct:
            event.remove(engine, "before_cursor_execute", count)


def queries(app: Flask, client: FlaskClient, url: str) -> int:
    """How many statements one GET of `url` runs (pages read through the read engine)."""
    ws: Workspace = app.extensions["lockgate"]
    with counting(ws.engine, ws.read_engine) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def grow(ws: Workspace, count: int, submitted: int) -> None:
    """Register `count` lite projects; submit the first `submitted`, half of them long ago."""
    real_clock = ws.clock
    for number in range(1, count + 1):
        key = f"QA-{2000 + number}"
        if number <= submitted // 2:
            ws.clock = lambda: real_clock() - timedelta(days=30)
        with ws.unit_of_work() as uow:
            facts = {"budget": "9000", "risk": "low"}
            projects.register_project(
                uow,
                demo_actor(uow, "pm.lee"),
                key,
                f"Grown {number}",
                "lite",
                facts,
                "pm.lee",
                "sponsor.king",
            )
            if number <= submitted:
                body = io.BytesIO(b"One-page charter")
                attach.attach_file(
                    uow, demo_actor(uow, "pm.lee"), key, "charter", body, "charter.pdf"
                )
                attach.attach_link(
                    uow, demo_actor(uow, "pm.lee"), key, "project_plan", "https://plan.example.com"
                )
                reviews.submit_gate(uow, demo_actor(uow, "pm.lee"), key)
            uow.commit()
        ws.clock = real_clock


def test_the_dashboard_is_forbidden_to_a_project_manager(auth, client: FlaskClient) -> None:
    auth.login("pm.lee")
    assert client.get("/portfolio/").status_code == 403


def test_the_dashboard_is_forbidden_to_a_sponsor_and_an_auditor(auth, client: FlaskClient) -> None:
    auth.login("sponsor.king")
    assert client.get("/portfolio/").status_code == 403
    auth.login("auditor")
    assert client.get("/portfolio/").status_code == 403


def test_the_dashboard_asks_an_anonymous_visitor_to_log_in(client: FlaskClient) -> None:
    response = client.get("/portfolio/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("user", ["pmo", "admin"])
def test_the_dashboard_counts_projects_by_stage_and_tier(
    auth, client: FlaskClient, workspace: Workspace, user: str
) -> None:
    auth.login(user)
    response = client.get("/portfolio/")
    assert response.status_code == 200
    html = text(response)
    assert stage_tier_counts(html) == stored_counts(workspace)
    assert "25 projects" in html, re.findall(r"<caption[^>]*>[^<]*<", html)
    rows = re.findall(r'<th scope="row">([^<]+)</th>', section(html, "counts-title"))
    standard = ["initiation", "planning", "execution", "cutover", "closure", "closed"]
    assert [row for row in rows if row in standard] == standard  # other policies' stages too
    assert rows[-2:] == ["on hold", "killed"]


def test_each_count_leads_to_those_projects_with_their_readiness(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    expected = stored_counts(workspace)[("execution", "large")]
    auth.login("pmo")
    dashboard = text(client.get("/portfolio/"))
    listed = text(client.get(link_of(dashboard, "execution", "large")))
    assert len(listed_keys(listed)) == expected > 0
    assert "ready to decide" in listed or "not ready" in listed or "ready to submit" in listed
    everything = text(client.get(link_of(dashboard, "closed")))
    assert "no gate ahead" in everything


def test_the_dashboard_shows_no_project_list_of_its_own(auth, client: FlaskClient) -> None:
    auth.login("pmo")
    html = text(client.get("/portfolio/"))
    assert 'data-label="Project"><a href="/projects/' not in html
    assert "Each number opens those projects with their readiness" in html


def test_the_dashboard_lists_overdue_reviews_longest_overdue_first(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    with workspace.unit_of_work() as uow:
        expected = list(
            uow.session.execute(
                select(Project.key)
                .join(Review, Review.project_id == Project.id)
                .where(Review.state == SUBMITTED, Review.due_at < uow.now)
                .order_by(Review.due_at)
            ).scalars()
        )
    auth.login("pmo")
    overdue = section(text(client.get("/portfolio/")), "overdue-title")
    assert expected
    assert re.findall(r'<span class="mono">([^<]+)</span>', overdue) == expected
    assert re.search(r"\d+ days", overdue)


def test_filtering_by_policy_applies_to_the_counts_and_where_they_lead(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    lite = stored_counts(workspace, "lite")
    stage, tier = next(iter(lite))
    auth.login("pmo")
    html = text(client.get("/portfolio/?policy=lite"))
    assert stage_tier_counts(html) == lite
    assert f"{sum(lite.values())} projects matching the filters" in html
    keys = listed_keys(text(client.get(link_of(html, stage, tier))))
    assert len(keys) == lite[(stage, tier)]
    assert all(key.startswith("LT-") for key in keys)


def test_filtering_by_stage_and_tier_narrows_the_counts(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    expected = stored_counts(workspace)[("execution", "large")]
    auth.login("pmo")
    html = text(client.get("/portfolio/?stage=execution&tier=large"))
    assert stage_tier_counts(html) == {("execution", "large"): expected}


def test_searching_counts_the_projects_found_by_name(auth, client: FlaskClient) -> None:
    auth.login("pmo")
    html = text(client.get("/portfolio/?search=cloud"))
    assert "1 project matching the filters" in html
    [(stage, tier)] = stage_tier_counts(html)
    assert listed_keys(text(client.get(link_of(html, stage, tier)))) == ["PRJ-102"]


def test_an_unknown_filter_value_is_shown_next_to_its_field_and_ignored(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("pmo")
    response = client.get("/portfolio/?stage=nowhere")
    assert response.status_code == 200
    html = text(response)
    assert re.search(r'id="stage-help">.*?Not a valid choice', html, re.S)
    assert stage_tier_counts(html) == stored_counts(workspace)


def waiting_for(who: FlaskClient) -> int:
    """How many reviews My approvals counts for the client's user, both parts together."""
    counts = re.findall(r'<span class="count">(\d+)</span>', text(who.get("/approvals/")))
    return sum(int(n) for n in counts)


# Pages whose rows are alike at both sizes (a page with no open review, or no row, skips the
# statements that would read them).
PAGES = (
    ("pmo", "/portfolio/"),
    ("pmo", "/portfolio/?stage=initiation&tier=small"),
    ("pmo", "/portfolio/?search=r"),
    ("pmo", "/projects/"),
    ("pm.lee", "/projects/"),
    ("sponsor.king", "/projects/?q=r"),
    ("sponsor.king", "/approvals/"),
    ("auditor", "/audit/"),
    ("auditor", "/audit/?project=PRJ-101"),
    ("auditor", "/audit/?action=review."),
)


def test_each_page_sends_as_many_statements_for_325_projects_as_for_25(
    auth, app: Flask, workspace: Workspace
) -> None:
    clients = {}
    for username in {username for username, _ in PAGES}:
        clients[username] = app.test_client()
        type(auth)(clients[username]).login(username)
        clients[username].get("/portfolio/")  # parse the policies once
    small = [queries(app, clients[username], url) for username, url in PAGES]
    waiting_before = waiting_for(clients["sponsor.king"])

    grow(workspace, 300, submitted=30)

    large = [queries(app, clients[username], url) for username, url in PAGES]
    assert large == small, f"statements with 25 projects: {small}, with 325: {large}"
    assert all(n > 2 for n in small), "the pages read through an engine that is not counted"
    assert waiting_for(clients["sponsor.king"]) == waiting_before + 30


def test_the_projects_list_pages_by_key_through_a_grown_portfolio(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    grow(workspace, 60, submitted=30)
    auth.login("pmo")
    dashboard = text(client.get("/portfolio/"))
    assert "85 projects" in dashboard
    assert "QA-2001" in section(dashboard, "overdue-title")
    first = listed_keys(text(client.get("/projects/")))
    assert len(first) == 50 and first == sorted(first)
    second = listed_keys(text(client.get(f"/projects/?after={first[-1]}")))
    assert len(second) == 35 and second[0] > first[-1]
    assert listed_keys(text(client.get("/projects/?last=1"))) == (first + second)[-50:]
    assert listed_keys(text(client.get(f"/projects/?before={second[0]}"))) == first


def test_a_search_counts_no_further_than_its_limit(
    auth, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "COUNT_LIMIT", 3)
    auth.login("pmo")
    html = text(client.get("/portfolio/?search=PRJ"))
    assert "more than 3 projects matching the filters" in html
    assert "Too many projects match this search" in html
    assert len(listed_keys(text(client.get("/projects/?q=PRJ")))) > 3
    assert stage_tier_counts(text(client.get("/portfolio/?search=cloud"))) != {}


def test_filters_the_stored_counts_answer_count_exactly_past_the_limit(
    auth, client: FlaskClient, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "COUNT_LIMIT", 3)
    auth.login("pmo")
    html = text(client.get("/portfolio/?policy=standard"))
    assert stage_tier_counts(html) == stored_counts(workspace, "standard")
    assert "more than" not in html
