"""Passwords belong to their owner: a one-time link sets them (enrollment or reset, 72
hours), a person changes their own, a change ends every session; each step is audited."""

from __future__ import annotations

import pytest

from tests.integration.factories import PASSWORD, actor_of
from workflows import identity
from workflows.errors import AuthenticationFailed, InvalidInput, Refused
from workflows.verbs import password_links, users


def test_a_new_user_sets_their_own_password_through_a_one_time_link(act, read, workspace, events):
    act(users.add_user, "admin", "nina", "Nina Analyst")
    link = act(password_links.issue_link, "admin", "nina", password_links.ENROLL)

    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        identity.authenticate(uow, "nina", "", "10.0.0.1")  # no password works before
    act(lambda uow: password_links.use_link(uow, link.token, "her-own-secret"))
    nina = read(lambda uow: identity.authenticate(uow, "nina", "her-own-secret", "10.0.0.1"))

    assert link.url.startswith("http://127.0.0.1:5000/password/")
    assert nina.username == "nina"
    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed, match="not valid"):
        password_links.use_link(uow, link.token, "another-secret")
    actions = [(e.actor, e.action) for e in events() if e.action.startswith("user.")][-3:]
    assert actions == [
        ("admin", "user.added"),
        ("admin", "user.enrollment_issued"),
        ("nina", "user.password_set"),
    ]
    assert link.token not in str([e.data for e in events()]), "the link is never stored"


def test_a_link_expires_after_72_hours(act, workspace, clock):
    act(users.add_user, "admin", "nina", "Nina Analyst")
    link = act(password_links.issue_link, "admin", "nina", password_links.ENROLL)
    clock.advance(hours=72, seconds=1)

    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed, match="expired"):
        password_links.use_link(uow, link.token, "her-own-secret")


def test_a_reset_link_replaces_earlier_ones_and_keeps_the_password_until_used(act, read, workspace):
    first = act(password_links.issue_link, "admin", "finance")
    second = act(password_links.issue_link, "admin", "finance")

    still = read(lambda uow: identity.authenticate(uow, "finance", PASSWORD, "10.0.0.1"))
    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed, match="not valid"):
        password_links.use_link(uow, first.token, "a-new-secret")
    act(lambda uow: password_links.use_link(uow, second.token, "a-new-secret"))

    assert still.username == "finance"
    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        identity.authenticate(uow, "finance", PASSWORD, "10.0.0.1")


def test_only_admins_issue_links(refuses):
    error = refuses(Refused, password_links.issue_link, "pmo", "finance")

    assert [r.rule for r in error.refusals] == ["role.administer"]


def test_a_password_an_admin_chose_must_be_changed_and_a_change_ends_every_session(act, read):
    act(users.add_user, "admin", "nina", "Nina Analyst", "admin-chose-it")
    before = read(lambda uow: users.find_user(uow, "nina"))
    assert before.must_change_password

    nina = read(lambda uow: identity.authenticate(uow, "nina", "admin-chose-it", "10.0.0.1"))
    act(password_links.change_password, nina, "admin-chose-it", "only-she-knows")

    after = read(lambda uow: users.find_user(uow, "nina"))
    assert not after.must_change_password
    assert after.session_version == before.session_version + 1


def test_changing_needs_the_current_password_and_a_new_one_of_eight_characters(
    act, read, workspace
):
    pm = read(lambda uow: actor_of(uow, "pm"))

    with workspace.unit_of_work() as uow, pytest.raises(AuthenticationFailed, match="current"):
        password_links.change_password(uow, pm, "not it", "long-enough")
    with workspace.unit_of_work() as uow, pytest.raises(InvalidInput, match="8 to"):
        password_links.change_password(uow, pm, PASSWORD, "short")
    with workspace.unit_of_work() as uow, pytest.raises(InvalidInput, match="different"):
        password_links.change_password(uow, pm, PASSWORD, PASSWORD)


def test_the_first_admin_keeps_the_password_they_typed_at_init(read):
    assert not read(lambda uow: users.find_user(uow, "admin").must_change_password)
