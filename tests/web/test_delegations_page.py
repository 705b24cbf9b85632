"""/account/delegations: people delegate a role they hold, see what they gave and received,
and revoke; refusals are shown next to the input they concern."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from tests.web.test_approvals import field_help, text


def in_days(days: int) -> str:
    return f"{datetime.now(UTC) + timedelta(days=days):%Y-%m-%d}"


def delegate(auth, **fields: str):
    data = {"delegate": "deputy", "role": "pmo", "project": "", "starts": "", "ends": in_days(7),
            "budget_limit": "", "reason": "Leave", **fields}  # fmt: skip
    return auth.post("/account/delegations/", data)


def test_the_pmo_delegates_and_both_people_see_it(auth, client: FlaskClient) -> None:
    auth.login("pmo")
    made = delegate(auth, budget_limit="750000")
    mine = text(client.get("/account/delegations/"))
    auth.client.get("/logout")
    auth.login("deputy")
    theirs = text(client.get("/account/delegations/"))

    assert made.status_code == 302
    assert "Dana Ruiz" in mine and "750,000" in mine
    assert "Priya Okafor" in theirs and "pmo" in theirs


def test_a_role_not_held_is_refused_next_to_the_role(auth, client: FlaskClient) -> None:
    auth.login("pm.chen")
    html = text(delegate(auth, role="sponsor"))

    assert "You do not hold the sponsor role: you can delegate only your own." in field_help(
        html, "role"
    )


def test_an_unknown_project_is_refused_next_to_the_project(auth, client: FlaskClient) -> None:
    auth.login("pmo")
    html = text(delegate(auth, project="NOPE-1"))

    assert "Leave it empty" in field_help(html, "project")


def test_the_delegator_revokes_with_a_reason(auth, client: FlaskClient) -> None:
    auth.login("pmo")
    delegate(auth)
    page = text(client.get("/account/delegations/"))
    action = page.split('action="/account/delegations/')[1].split("/revoke")[0]

    auth.post(f"/account/delegations/{action}/revoke", {"reason": "Back early"},
              "/account/delegations/")  # fmt: skip
    after = text(client.get("/account/delegations/"))

    assert "revoked" in after and "Back early" in after


def test_an_admin_sees_and_may_revoke_every_delegation(auth, client: FlaskClient) -> None:
    auth.login("pmo")
    delegate(auth)
    auth.client.get("/logout")
    auth.login("admin")
    page = text(client.get("/account/delegations/"))
    action = page.split('action="/account/delegations/')[1].split("/revoke")[0]

    auth.post(f"/account/delegations/{action}/revoke", {"reason": "Left"},
              "/account/delegations/")  # fmt: skip

    assert "Every delegation" in page and "Priya Okafor" in page
    assert "Left" in text(client.get("/account/delegations/"))
