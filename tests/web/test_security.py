"""Security of the portal: sessions, CSRF, methods, access by role and by project, headers."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.actors import demo_actor
from tests.web.conftest import Auth, csrf_token
from workflows import identity
from workflows.store.records import LoginFailure, Project, User
from workflows.workspace import Workspace

PROJECT_PAGE = "/projects/{key}"


def project_keys(workspace: Workspace, manager: str) -> tuple[str, str]:
    """A project `manager` manages, and one they have no role on."""
    with workspace.unit_of_work() as uow:
        projects = uow.session.execute(select(Project)).unique().scalars().all()
        mine = next(p.key for p in projects if p.manager.username == manager)
        other = next(p.key for p in projects if p.manager.username != manager)
    return mine, other


def test_passwords_are_stored_as_salted_scrypt_hashes(workspace: Workspace) -> None:
    with workspace.unit_of_work() as uow:
        hashes = uow.session.execute(select(User.password_hash)).scalars().all()
    assert all(h.startswith("scrypt$") for h in hashes)
    assert len(set(hashes)) == len(hashes), "the same password must hash differently (salt)"


def test_the_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient, auth: Auth) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"username": "pmo", "password": "demo-password", "csrf_token": csrf_token(page)},
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_session_cookie_is_secure_when_served_over_https(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from web.app import create_app

    monkeypatch.setenv("LOCKGATE_HTTPS", "1")
    app = create_app({"TESTING": True, "WORKSPACE": workspace, "SECRET_KEY": "x"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_a_cookie_replayed_after_logout_is_refused(client: FlaskClient, auth: Auth) -> None:
    auth.login("pmo")
    stolen = client.get_cookie("session")
    assert stolen is not None
    auth.post("/logout", {}, page_url="/")
    client.set_cookie("session", stolen.value)
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_disabled_users_sessions_end_at_once(app: Flask, workspace: Workspace) -> None:
    from workflows.verbs.users import set_active

    victim = app.test_client()
    Auth(victim).login("pm.lee")
    assert victim.get("/").status_code == 200
    with workspace.unit_of_work() as uow:
        set_active(uow, demo_actor(uow, "admin"), "pm.lee", False)
        uow.commit()
    response = victim.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_logins_are_throttled_per_account(client: FlaskClient) -> None:
    for _ in range(5):
        page = client.get("/login").get_data(as_text=True)
        client.post(
            "/login",
            data={
                "username": "finance",
                "password": "wrong-password",
                "csrf_token": csrf_token(page),
            },
        )
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"username": "finance", "password": "demo-password", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 200
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_a_guess_racing_others_is_refused_once_they_reach_the_limit(
    client: FlaskClient, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = identity.check_password

    def while_five_other_guesses_fail(stored: str, password: str) -> bool:
        with workspace.unit_of_work() as uow:
            for _ in range(identity.MAX_PER_ACCOUNT):
                uow.session.add(LoginFailure(username="finance", address="10.0.0.9", at=uow.now))
            uow.commit()
        return real(stored, password)

    monkeypatch.setattr(identity, "check_password", while_five_other_guesses_fail)
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"username": "finance", "password": "demo-password", "csrf_token": csrf_token(page)},
    )

    assert response.status_code == 200, "not logged in"
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_logins_are_throttled_per_address(client: FlaskClient) -> None:
    for attempt in range(20):
        page = client.get("/login").get_data(as_text=True)
        client.post(
            "/login",
            data={"username": f"nobody{attempt}", "password": "x", "csrf_token": csrf_token(page)},
        )
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"username": "pmo", "password": "demo-password", "csrf_token": csrf_token(page)},
    )
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": "pmo", "password": "nope-nope", "csrf_token": csrf_token(page)}
    )
    assert "The username or password is not correct." in response.get_data(as_text=True)


def _routes(app: Flask, method: str) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if method in (rule.methods or set()) and rule.endpoint != "static"
    )


def _fill(rule: str, key: str) -> str:
    values = {
        "key": key,
        "artifact_id": "project_charter",
        "version": "1",
        "policy_id": "standard",
        "username": "pm.lee",
        "token_id": "1",
        "override_id": "1",
        "condition_id": "1",
        "change_id": "1",
        "waiver_id": "1",
        "proposal_id": "1",
        "action": "approve",
        "delegation_id": "1",
    }
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "x"), rule)


def test_every_state_change_needs_a_csrf_token(
    app: Flask, client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("admin")
    mine, _ = project_keys(workspace, "pm.lee")
    posts = _routes(app, "POST")
    assert posts, "the portal has POST routes"
    for rule in posts:
        response = client.post(_fill(rule, mine), data={})
        assert response.status_code == 400, f"{rule} accepted a POST without a CSRF token"


def test_an_approval_by_get_is_not_allowed(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("sponsor.king")
    mine, _ = project_keys(workspace, "pm.lee")
    for action in ("sign", "decide"):
        assert client.get(f"/approvals/{mine}/{action}").status_code == 405


def test_a_user_of_one_project_gets_404_on_every_object_of_another(
    app: Flask, client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")
    _, other = project_keys(workspace, "pm.lee")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "<key>" not in rule.rule:
            continue
        url = _fill(rule.rule, other)
        if "GET" in (rule.methods or set()):
            assert client.get(url).status_code == 404, f"GET {url} should be 404"
        else:
            page = client.get("/").get_data(as_text=True)
            response = client.post(url, data={"csrf_token": csrf_token(page)})
            assert response.status_code == 404, f"POST {url} should be 404"
        checked += 1
    assert checked >= 5, "the route map has project routes"


ACCESS = [
    # (path, users allowed, users refused with 403)
    ("/portfolio/", ["pmo", "admin"], ["pm.lee", "sponsor.king", "finance", "auditor"]),
    ("/audit/", ["auditor", "pmo", "admin"], ["pm.lee", "sponsor.king", "finance"]),
    ("/admin/users", ["admin"], ["pmo", "auditor", "pm.lee", "sponsor.king"]),
    ("/policies/new", ["pmo"], ["pm.lee", "auditor", "sponsor.king", "finance"]),
    ("/projects/new", ["pm.lee", "pmo"], ["sponsor.king", "finance", "auditor"]),
    ("/projects/", ["pm.lee", "sponsor.king", "auditor", "pmo"], []),
    ("/approvals/", ["sponsor.king", "finance", "pmo"], []),
    ("/policies/", ["pm.lee", "sponsor.king", "auditor", "pmo"], []),
]


@pytest.mark.parametrize(("path", "allowed", "refused"), ACCESS)
def test_each_role_reaches_exactly_its_pages(
    app: Flask, path: str, allowed: list[str], refused: list[str]
) -> None:
    for username, expected in [(u, 200) for u in allowed] + [(u, 403) for u in refused]:
        client = app.test_client()
        Auth(client).login(username)
        assert client.get(path).status_code == expected, f"{username} on {path}"


def test_anonymous_visitors_are_sent_to_the_login_page(app: Flask, client: FlaskClient) -> None:
    for rule in _routes(app, "GET"):
        if rule in ("/login", "/healthz") or "<" in rule:
            continue
        response = client.get(rule)
        assert response.status_code == 302, rule
        assert "/login" in response.headers["Location"], rule


def test_pages_carry_security_headers_and_a_strict_content_security_policy(
    client: FlaskClient, auth: Auth
) -> None:
    auth.login("pmo")
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_page_has_inline_scripts_or_styles(app: Flask, client: FlaskClient, auth: Auth) -> None:
    auth.login("admin")
    for rule in _routes(app, "GET"):
        if "<" in rule or rule.endswith(".svg"):
            continue
        html = client.get(rule).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "onclick" not in html, rule


def test_a_missing_page_is_a_404_page_not_a_stack_trace(client: FlaskClient, auth: Auth) -> None:
    auth.login("pmo")
    response = client.get("/projects/NOPE-1")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)
