"""A user granted on more projects than one PostgreSQL statement may carry parameters (65,535)
sees their lists: the projects they may see travel as a subquery, never as a list of ids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text

from policies.facts import read_facts
from tests.integration.factories import FACTS, PASSWORD, SEEDED_AT
from web.app import create_app
from workflows.facts import to_stored
from workflows.store import portfolio_counts
from workflows.store.records import PolicyVersion, Project, RoleGrant, User, table_of
from workflows.verbs import publishing
from workflows.views.counts import COUNT_LIMIT, Total, project_total
from workflows.views.paging import Cursor
from workflows.views.portfolio import ProjectFilter, project_page, viewer_of
from workflows.workspace import Workspace

MANY = 66_000  # more than the 65,535 parameters PostgreSQL allows in one statement
KEYS = [f"BULK-{n:06d}" for n in range(1, MANY + 1)]
# Counted exactly up to COUNT_LIMIT; past it, the total reads "more than COUNT_LIMIT".
TOTAL = Total(MANY) if MANY <= COUNT_LIMIT else Total(COUNT_LIMIT, exact=False)


@pytest.fixture
def granted_on_many(workspace: Workspace, backend: str) -> str:
    """`finance`, granted the finance role on MANY projects written in bulk; the username."""
    if backend != "postgres":
        pytest.skip("the parameter limit is PostgreSQL's")
    with workspace.unit_of_work() as uow:
        version = publishing.latest(uow, "standard")
        facts, problems = read_facts(workspace.policy(version).facts, FACTS["standard"])
        assert not problems
        users = dict(uow.session.execute(select(User.username, User.id)).all())
        newest = select(Project.id).order_by(Project.id.desc()).limit(1)
        first = (uow.session.execute(newest).scalar() or 0) + 1
        rows = [
            _project(first + n, key, version, to_stored(facts), users["pm"])
            for n, key in enumerate(KEYS)
        ]
        # Rows written in bulk bypass the triggers that keep the dashboard's counts (each
        # would lock the chain head again, inside the test's savepoint); recount them after.
        uow.session.execute(text("ALTER TABLE projects DISABLE TRIGGER USER"))
        uow.session.execute(insert(table_of(Project)), rows)
        uow.session.execute(text("ALTER TABLE projects ENABLE TRIGGER USER"))
        portfolio_counts.rebuild(uow.session)
        grants = [_grant(row["id"], users["finance"]) for row in rows]
        uow.session.execute(insert(table_of(RoleGrant)), grants)
        uow.commit()
    return "finance"


def _project(pid: int, key: str, version: PolicyVersion, facts: dict, manager: int) -> dict:
    return {
        "id": pid,
        "key": key,
        "name": f"Bulk {key}",
        "policy_version_id": version.id,
        "stage": "initiation",
        "resume_stage": None,
        "tier": "large",
        "facts": facts,
        "manager_id": manager,
        "created_at": SEEDED_AT,
        "updated_at": SEEDED_AT,
        "version": 1,
    }


def _grant(project_id: int, user_id: int) -> dict:
    return {
        "user_id": user_id,
        "role": "finance",
        "project_id": project_id,
        "granted_by": "admin",
        "granted_at": SEEDED_AT,
        "revoked_at": None,
    }


@pytest.fixture
def portal(
    workspace: Workspace, granted_on_many: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FlaskClient]:
    """A portal client logged in as the user granted on MANY projects."""
    monkeypatch.setenv("LOCKGATE_INSTANCE", str(tmp_path))
    app: Flask = create_app({"TESTING": True, "WORKSPACE": workspace, "SECRET_KEY": "test"})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    data = {"username": granted_on_many, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=data).status_code == 302
    yield client


def listed(html: str) -> list[str]:
    return re.findall(r'href="/projects/(BULK-\d+)"', html)


def test_the_project_list_shows_every_granted_project_with_its_total(portal: FlaskClient) -> None:
    response = portal.get("/projects/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"{TOTAL} projects, by key" in html
    assert listed(html) == KEYS[:50]


def test_the_last_page_of_the_project_list_holds_the_last_keys(portal: FlaskClient) -> None:
    response = portal.get("/projects/?last=1")

    assert response.status_code == 200
    assert listed(response.get_data(as_text=True)) == KEYS[-50:]


def test_my_approvals_and_the_start_page_open_too(portal: FlaskClient) -> None:
    assert portal.get("/approvals/").status_code == 200
    assert portal.get("/").status_code == 200


def test_the_list_functions_page_and_count_every_granted_project(
    workspace: Workspace, granted_on_many: str
) -> None:
    with workspace.unit_of_work() as uow:
        user = uow.session.execute(select(User).where(User.username == granted_on_many))
        user = user.scalar_one()
        where = ProjectFilter(visible=viewer_of(uow, user, set()))

        total = project_total(uow, where)
        first = project_page(uow, where)
        last = project_page(uow, where, Cursor(last=True))
        before_last = project_page(uow, where, Cursor(before=last.rows[0].project.key))

    assert total == TOTAL
    assert [row.project.key for row in first.rows] == KEYS[:50]
    assert (first.previous, first.next) == (None, KEYS[49])
    assert [row.project.key for row in last.rows] == KEYS[-50:]
    assert (last.previous, last.next) == (KEYS[-50], None)
    assert [row.project.key for row in before_last.rows] == KEYS[-100:-50]
    assert all(row.gate is not None and row.report is not None for row in first.rows)
