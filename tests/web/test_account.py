"""The account page: a signed-in person makes a personal access token (shown once), sees
their tokens, and revokes one; the token then works, and then stops working, on the command
line's authentication."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask

from tests.web.conftest import Auth
from workflows import identity
from workflows.errors import AuthenticationFailed
from workflows.workspace import Workspace

TOKEN = re.compile(r'id="new-token">(lgt_[A-Za-z0-9_-]+)<')


@pytest.fixture
def finance(auth: Auth) -> Auth:
    auth.login("finance")
    return auth


def test_a_token_made_in_the_portal_is_shown_once_and_authenticates_its_owner(
    finance: Auth, workspace: Workspace
) -> None:
    made = finance.post("/account/tokens", {"name": "month-end report", "days": "30"})
    page = made.get_data(as_text=True)
    token = TOKEN.search(page)
    again = finance.client.get("/account/tokens").get_data(as_text=True)

    assert made.status_code == 200 and token is not None
    assert "month-end report" in again and token.group(1) not in again, "shown only once"
    with workspace.unit_of_work() as uow:
        assert identity.authenticate_token(uow, token.group(1)).username == "finance"


def test_a_token_revoked_in_the_portal_stops_working(finance: Auth, workspace: Workspace) -> None:
    page = finance.post("/account/tokens", {"name": "ci", "days": "7"}).get_data(as_text=True)
    token = TOKEN.search(page)
    assert token is not None
    token_id = re.search(r"/account/tokens/(\d+)/revoke", page)
    assert token_id is not None

    revoked = finance.post(f"/account/tokens/{token_id.group(1)}/revoke", {}, "/account/tokens")

    assert revoked.status_code == 302
    listing = html.unescape(finance.client.get("/account/tokens").get_data(as_text=True))
    assert "Token 'ci' is revoked." in listing
    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed, match="revoked"):
        identity.authenticate_token(uow, token.group(1))


@pytest.mark.parametrize("days", ["0", "400", "many"])
def test_a_token_without_a_valid_expiry_is_not_made(finance: Auth, days: str) -> None:
    response = finance.post("/account/tokens", {"name": "forever", "days": days})

    assert response.status_code == 400
    assert TOKEN.search(response.get_data(as_text=True)) is None


def test_nobody_revokes_another_persons_token(finance: Auth, app: Flask) -> None:
    page = finance.post("/account/tokens", {"name": "ci", "days": "7"}).get_data(as_text=True)
    token_id = re.search(r"/account/tokens/(\d+)/revoke", page)
    assert token_id is not None
    other = Auth(app.test_client())
    other.login("pm.lee")

    response = other.post(f"/account/tokens/{token_id.group(1)}/revoke", {}, "/account/tokens")

    assert response.status_code == 302
    listing = html.unescape(other.client.get("/account/tokens").get_data(as_text=True))
    assert "You have no token" in listing
    mine = html.unescape(finance.client.get("/account/tokens").get_data(as_text=True))
    assert "active" in mine, "finance's token still works"


def test_someone_whose_password_an_admin_chose_sets_their_own_before_anything_else(
    app: Flask, workspace: Workspace
) -> None:
    from tests.actors import demo_actor
    from workflows.verbs import users

    with workspace.unit_of_work() as uow:
        users.add_user(uow, demo_actor(uow, "admin"), "nina", "Nina Analyst", "admin-chose-it")
        uow.commit()
    nina = Auth(app.test_client())
    nina.login("nina", "admin-chose-it")

    elsewhere = nina.client.get("/projects/")
    page = nina.client.get("/account/password").get_data(as_text=True)
    changed = nina.post(
        "/account/password",
        {
            "current": "admin-chose-it",
            "new_password": "only-she-knows",
            "confirm": "only-she-knows",
        },
    )

    assert elsewhere.status_code == 302 and elsewhere.headers["Location"] == "/account/password"
    assert "An admin chose your current password" in page
    assert changed.status_code == 302 and changed.headers["Location"] == "/login"
    assert nina.client.get("/projects/").status_code == 302, "the session ended"
    nina.login("nina", "only-she-knows")
    assert nina.client.get("/projects/").status_code == 200


def test_a_password_change_ends_the_sessions_on_other_devices(app: Flask, finance: Auth) -> None:
    laptop = Auth(app.test_client())
    laptop.login("finance")

    finance.post(
        "/account/password",
        {"current": "demo-password", "new_password": "a-new-secret", "confirm": "a-new-secret"},
    )

    assert laptop.client.get("/approvals/").status_code == 302
