"""Pages a browser keeps and asks about again (ETag, 304): answered without rendering while
nothing they show changed, and rendered again when the data, the person or the minute did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import Auth
from tests.web.test_portfolio import counting, grow
from workflows.workspace import Workspace

PAGES = ("/portfolio/", "/projects/", "/projects/?tier=large")
NOON = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def frozen(workspace: Workspace) -> None:
    """Every unit of work reads 12:00:00 today: the minute in the tags does not move."""
    workspace.clock = lambda: NOON


def tag_of(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"
    tag = response.headers["ETag"]
    assert tag.startswith('W/"')
    return tag


def again(client: FlaskClient, url: str, tag: str) -> int:
    return client.get(url, headers={"If-None-Match": tag}).status_code


@pytest.mark.parametrize("url", PAGES)
def test_a_page_the_browser_holds_is_answered_304_without_rendering(
    auth: Auth, app: Flask, client: FlaskClient, url: str
) -> None:
    auth.login("pmo")
    tag = tag_of(client, url)

    response = client.get(url, headers={"If-None-Match": tag})

    assert response.status_code == 304 and response.data == b""
    assert response.headers["ETag"] == tag
    ws = app.extensions["lockgate"]
    with counting(ws.engine, ws.read_engine) as statements:
        assert again(client, url, tag) == 304
    assert len(statements) <= 3, "a 304 reads the person and the chain head, nothing more"


def test_a_change_of_any_kind_makes_the_page_render_again(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("pmo")
    tag = tag_of(client, "/portfolio/")
    grow(workspace, 1, submitted=0)

    assert again(client, "/portfolio/", tag) == 200
    assert "26 projects" in client.get("/portfolio/").get_data(as_text=True)


def test_the_next_minute_makes_the_page_render_again(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("pmo")
    tag = tag_of(client, "/portfolio/")
    workspace.clock = lambda: NOON + timedelta(minutes=1)

    assert again(client, "/portfolio/", tag) == 200


def test_another_person_or_another_session_never_gets_the_page_of_the_first(
    auth: Auth, app: Flask, client: FlaskClient
) -> None:
    auth.login("pmo")
    tag = tag_of(client, "/portfolio/")
    admin = app.test_client()
    Auth(admin).login("admin")
    assert again(admin, "/portfolio/", tag) == 200
    other_session = app.test_client()
    Auth(other_session).login("pmo")
    assert again(other_session, "/portfolio/", tag) == 200


def test_a_page_with_a_message_is_never_kept(auth: Auth, client: FlaskClient) -> None:
    auth.login("pmo")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved.")]

    response = client.get("/portfolio/")

    assert "Saved." in response.get_data(as_text=True)
    assert "ETag" not in response.headers


def test_an_anonymous_visitor_is_sent_to_log_in_not_answered_304(client: FlaskClient) -> None:
    response = client.get("/portfolio/", headers={"If-None-Match": "*"})

    assert response.status_code == 302
