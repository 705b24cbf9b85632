"""Users, roles and delegations: who may act is what the verbs check, so these are checked too."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.factories import PASSWORD, actor_of
from workflows.errors import InvalidInput, Refused
from workflows.state import load_project
from workflows.verbs import reviews, users


def on_project(verb):
    """A users verb taking a project, called with the project's key instead."""

    def call(uow, actor, username, role, key):
        return verb(uow, actor_of(uow, actor), username, role, load_project(uow, key))

    return call


def test_an_admin_adds_a_user_with_global_roles(act, read, events, head):
    start = head()

    act(users.add_user, "admin", "newpm", "New Manager", PASSWORD, roles=("project_manager",))

    roles = read(lambda uow: users.global_roles(uow, users.find_user(uow, "newpm")))
    assert roles == {"project_manager"}
    [event] = events(after=start)
    assert (event.action, event.data["roles"]) == ("user.added", ["project_manager"])
    assert "password" not in str(event.data).lower()


def test_a_bad_user_is_refused_listing_every_problem(refuses):
    error = refuses(
        InvalidInput, users.add_user, "admin", "Pat Manager", " ", "short", roles=("root",)
    )

    assert set(error.problems) == {"username", "display_name", "password", "roles"}


def test_a_username_already_taken_is_refused(refuses):
    error = refuses(InvalidInput, users.add_user, "admin", "pm", "Another Pat", PASSWORD)

    assert error.problems == {"username": "'pm' is taken"}


@pytest.mark.parametrize("actor", ["pm", "pmo", "auditor"])
def test_only_admins_add_users(refuses, actor):
    error = refuses(Refused, users.add_user, actor, "someone", "Some One", PASSWORD)

    assert error.reasons == ["Only an admin may add users."]


def test_a_revoked_role_no_longer_signs(act, new_project, submit_ready, refuses):
    key = new_project("ERP-1")
    submit_ready(key)

    act(on_project(users.revoke_role), "admin", "finance", "finance", key)

    refuses(
        Refused,
        reviews.sign,
        "finance",
        key,
        "go",
        PASSWORD,
        role="finance",
        match="finance does not hold the Finance business partner role here",
    )


def test_granting_a_role_already_held_is_refused(new_project, refuses):
    key = new_project("ERP-1")

    refuses(
        Refused,
        on_project(users.grant_role),
        "admin",
        "finance",
        "finance",
        key,
        match="already holds the finance role",
    )


def test_revoking_a_role_not_held_is_refused(new_project, refuses):
    key = new_project("ERP-1")

    refuses(
        Refused,
        on_project(users.revoke_role),
        "admin",
        "owner",
        "finance",
        key,
        match="does not hold the finance role",
    )


def test_disabling_a_user_ends_their_sessions_and_is_audited(act, read, events, head):
    before = read(lambda uow: users.find_user(uow, "owner").session_version)
    start = head()

    act(users.set_active, "admin", "owner", False)

    after = read(
        lambda uow: (
            users.find_user(uow, "owner").active,
            users.find_user(uow, "owner").session_version,
        )
    )
    assert after == (False, before + 1)
    assert [e.action for e in events(after=start)] == ["user.disabled"]


def test_a_delegation_does_not_let_the_project_manager_approve_their_own_project(
    act, new_project, submit_ready, refuses, clock
):
    key = new_project("ERP-1")
    act(
        lambda uow: users.delegate(
            uow,
            actor_of(uow, "sponsor"),
            "pm",
            "sponsor",
            clock.now,
            clock.now + timedelta(days=3),
            load_project(uow, key),
            "Holiday",
        )
    )
    submit_ready(key)

    error = refuses(Refused, reviews.sign, "pm", key, "go", PASSWORD, role="sponsor")

    assert "Nobody may approve a gate they submitted." in error.reasons
    assert "The project manager may not approve their own project's gate." in error.reasons
