"""Who is acting: only authentication makes an Actor, a disabled person can do nothing even
with an Actor made before they were disabled, and refusing a login costs the same work for
an unknown, a disabled and a real account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.factories import PASSWORD, actor_of
from workflows import identity
from workflows.errors import AuthenticationFailed, Refused
from workflows.identity import Actor
from workflows.store.records import AccessToken, LoginFailure
from workflows.verbs import projects, tokens, users


def test_an_actor_cannot_be_made_without_authenticating():
    with pytest.raises(TypeError, match="only by authenticating"):
        Actor(1, "admin", "password")


def test_the_right_password_makes_an_actor_and_records_nothing(read, workspace, head):
    start = head()

    actor = read(lambda uow: identity.authenticate(uow, "pm", PASSWORD, "10.0.0.1"))

    assert (actor.username, actor.via, actor.is_system) == ("pm", "password", False)
    assert head() == start


@pytest.mark.parametrize("who", ["ghost", "outsider-disabled", "pm"])
def test_refusing_a_login_checks_one_password_whatever_the_account(
    who, act, workspace, monkeypatch
):
    if who == "outsider-disabled":
        act(users.set_active, "admin", "outsider", False)
        who = "outsider"
    checked = []
    real = identity.check_password
    monkeypatch.setattr(
        identity, "check_password", lambda stored, typed: checked.append(1) or real(stored, typed)
    )

    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        identity.authenticate(uow, who, "a wrong guess", "10.0.0.1")

    assert checked == [1], "the same scrypt work for every account, so timing tells nothing"


def test_a_disabled_user_is_not_authenticated_even_with_the_right_password(act, workspace):
    act(users.set_active, "admin", "outsider", False)

    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        identity.authenticate(uow, "outsider", PASSWORD, "10.0.0.1")
    with workspace.unit_of_work() as uow:
        failures = uow.session.query(LoginFailure.username).all()
    assert [f.username for f in failures] == ["outsider"]


def test_someone_disabled_mid_session_can_do_nothing_with_the_actor_they_had(
    act, new_project, refuses, read, stage_of
):
    key = new_project("ERP-1")
    pmo = read(lambda uow: actor_of(uow, "pmo"))
    act(users.set_active, "admin", "pmo", False)

    refuses(Refused, projects.hold, pmo, key, "Waiting for the vendor")
    act(users.set_active, "admin", "pmo", True)
    act(projects.hold, pmo, key, "Waiting for the vendor")

    assert stage_of(key) == "on_hold", "the same Actor acts again once the account is enabled"


def test_a_disabled_admin_grants_nothing(act, refuses, read):
    admin = read(lambda uow: actor_of(uow, "admin"))
    act(users.add_user, admin, "admin2", "Second Admin", PASSWORD, roles=("admin",))
    act(users.set_active, "admin2", "admin", False)

    error = refuses(Refused, users.grant_role, admin, "outsider", "pmo")

    assert error.action == "grant roles"


def test_the_system_adds_only_the_first_admin(refuses):
    error = refuses(Refused, users.add_user, identity.system(), "mallory", "M", PASSWORD)

    assert error.reasons == ["The system creates only the first admin: ask an admin to add users."]


def test_a_token_authenticates_its_owner_until_it_expires(act, read, workspace, clock, events):
    made = act(tokens.create_token, "finance", "reports", 7)

    actor = read(lambda uow: identity.authenticate_token(uow, made.token))
    clock.advance(days=8)
    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed, match="expired"):
        identity.authenticate_token(uow, made.token)

    assert (actor.username, actor.via) == ("finance", "token")
    created = [e for e in events() if e.action == "token.created"][-1]
    assert created.data["name"] == "reports" and made.token not in str(created.data)


def test_only_the_digest_of_a_token_is_stored(act, read):
    made = act(tokens.create_token, "finance", "reports")

    stored = read(lambda uow: uow.session.get(AccessToken, made.record.id))

    assert stored.digest == identity.token_digest(made.token) != made.token
    assert stored.expires_at - stored.created_at == timedelta(days=tokens.DEFAULT_DAYS)


@pytest.mark.parametrize("days", [0, 366])
def test_a_token_always_expires_within_a_year(days, refuses):
    from workflows.errors import InvalidInput

    error = refuses(InvalidInput, tokens.create_token, "finance", "reports", days)

    assert "from 1 to 365" in error.problems["days"]


def test_nobody_revokes_someone_elses_token(act, refuses):
    from workflows.errors import NotFound

    made = act(tokens.create_token, "finance", "reports")

    refuses(NotFound, tokens.revoke_token, "pm", made.record.id)


def test_failed_logins_are_audited_once_per_account_and_address_per_window(
    workspace, events, head, clock
):
    start = head()

    def guess(username: str, address: str) -> None:
        with workspace.unit_of_work() as uow, pytest.raises((AuthenticationFailed, Refused)):
            identity.authenticate(uow, username, "a wrong guess", address)

    for _ in range(identity.MAX_PER_ACCOUNT + 3):
        guess("finance", "10.0.0.1")
    guess("ghost", "10.0.0.1")
    clock.advance(minutes=16)
    guess("finance", "10.0.0.1")

    recorded = [(e.action, e.data["username"], e.data.get("failures")) for e in events(start)]
    assert recorded == [
        ("login.failed", "finance", None),
        ("login.locked", "finance", identity.MAX_PER_ACCOUNT),
        ("login.failed", "ghost", None),
        ("login.failed", "finance", None),
    ], "guessing does not grow the trail: one event per account and address per window"
    assert {e.actor for e in events(start)} == {"anonymous"}
