"""Delegations created and revoked by the people who hold the authority: each rule refuses
with its words and an audited refusal, and My approvals follows at once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from gates.signoffs import Part
from tests.integration.factories import actor_of
from workflows.authority import person_on
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.state import load_project
from workflows.verbs import users
from workflows.views.approvals import my_approvals

WEEK = timedelta(days=7)


def delegate_on(uow, actor, delegate, role, key, ends_at, budget_limit=None, starts_at=None):
    project = load_project(uow, key) if key else None
    starts = starts_at or uow.now
    return users.delegate(
        uow, actor_of(uow, actor), delegate, role, starts, ends_at, project, "Leave", budget_limit
    ).id


def delegations_of(read, username, key):
    return read(lambda uow: dict(person_on(uow, username, load_project(uow, key)).delegations))


def inbox(read, username):
    def parts(uow):
        user_id = users.find_user(uow, username).id
        return my_approvals(uow, user_id).counts

    return read(parts)


def test_a_sponsor_delegates_their_role_on_a_project_and_the_delegate_signs_in_their_place(
    act, read, events, new_project, submit_ready, clock
):
    key = new_project("ERP-1")
    submit_ready(key)
    before = inbox(read, "deputy")

    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK)

    assert delegations_of(read, "deputy", key) == {"sponsor": "sponsor"}
    assert sum(before.values()) == 0 and sum(inbox(read, "deputy").values()) == 1
    created = events()[-1]
    assert (created.action, created.data["delegate"], created.data["role"]) == (
        "delegation.created",
        "deputy",
        "sponsor",
    )


@pytest.mark.parametrize(
    ("limit", "counts"), [(Decimal(2_000_000), True), (Decimal(500_000), False)]
)
def test_a_budget_limit_keeps_the_delegate_off_projects_over_it(
    act, read, new_project, clock, limit, counts
):
    key = new_project("ERP-1", budget="1200000")

    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK, limit)

    assert delegations_of(read, "deputy", key) == ({"sponsor": "sponsor"} if counts else {})


def test_a_delegate_cannot_pass_on_what_they_hold_by_delegation(act, refuses, new_project, clock):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK)

    error = refuses(Refused, delegate_on, "deputy", "outsider", "sponsor", key, clock.now + WEEK)

    assert error.reasons == [
        "You hold the sponsor role on ERP-1 by delegation from sponsor: only they can delegate it."
    ]


def test_nobody_delegates_to_a_disabled_user(act, refuses, new_project, clock):
    key = new_project("ERP-1")
    act(users.set_active, "admin", "outsider", False)

    error = refuses(Refused, delegate_on, "sponsor", "outsider", "sponsor", key, clock.now + WEEK)

    assert error.reasons == [
        "outsider's account is disabled: a disabled user cannot act for you. "
        "Choose an active colleague."
    ]


def test_a_delegation_lasts_at_most_a_year(refuses, new_project, clock):
    key = new_project("ERP-1")
    too_long = clock.now + timedelta(days=400)

    error = refuses(Refused, delegate_on, "sponsor", "deputy", "sponsor", key, too_long)

    latest = clock.now + timedelta(days=365)
    assert error.reasons == [
        f"A delegation lasts at most 365 days: choose {latest:%Y-%m-%d} or earlier."
    ]


def test_a_delegation_without_an_end_is_refused(refuses, new_project):
    key = new_project("ERP-1")

    error = refuses(Refused, delegate_on, "sponsor", "deputy", "sponsor", key, None)

    assert error.reasons == ["A delegation needs an end date, at most 365 days after it starts."]


def test_the_delegator_revokes_and_the_delegate_loses_the_role_and_the_inbox_entry(
    act, read, events, new_project, submit_ready, clock
):
    key = new_project("ERP-1")
    submit_ready(key)
    delegation = act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK)

    act(users.revoke_delegation, "sponsor", delegation, "Back from leave")

    assert delegations_of(read, "deputy", key) == {}
    assert inbox(read, "deputy") == {Part.YOUR_TURN: 0, Part.WAITING: 0}
    revoked = events()[-1]
    assert (revoked.action, revoked.data["reason"]) == ("delegation.revoked", "Back from leave")


def test_an_admin_may_revoke_any_delegation(act, read, new_project, clock):
    key = new_project("ERP-1")
    delegation = act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK)

    act(users.revoke_delegation, "admin", delegation, "Left the company")

    assert delegations_of(read, "deputy", key) == {}


def test_nobody_else_revokes_a_delegation(act, refuses, new_project, clock):
    key = new_project("ERP-1")
    delegation = act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK)

    error = refuses(Refused, users.revoke_delegation, "deputy", delegation, "Not needed")

    assert error.reasons == ["Only sponsor, who gave this delegation, or an admin may revoke it."]


def test_a_delegation_is_revoked_once(act, refuses, new_project, clock):
    key = new_project("ERP-1")
    delegation = act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK)
    act(users.revoke_delegation, "sponsor", delegation, "Back")

    error = refuses(Refused, users.revoke_delegation, "sponsor", delegation, "Again")

    assert error.reasons == ["This delegation is already revoked."]


def test_a_revocation_needs_a_reason_and_an_existing_delegation(act, refuses, new_project, clock):
    key = new_project("ERP-1")
    delegation = act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK)

    refuses(InvalidInput, users.revoke_delegation, "sponsor", delegation, "  ", match="Say why")
    refuses(NotFound, users.revoke_delegation, "sponsor", 999, "Back", match="no delegation 999")


def test_people_list_the_delegations_they_gave_and_received(act, read, new_project, clock):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK)

    def listed(username):
        return read(
            lambda uow: [
                (d.delegator.username, d.delegate.username)
                for d in users.delegations_of(uow, actor_of(uow, username))
            ]
        )

    assert listed("sponsor") == listed("deputy") == [("sponsor", "deputy")]
    assert listed("outsider") == []


def test_only_an_admin_lists_every_delegation(act, read, refuses, new_project, clock):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now + WEEK)

    everyone = read(lambda uow: users.delegations_of(uow, actor_of(uow, "admin"), True))
    error = refuses(Refused, users.delegations_of, "pmo", True)

    assert len(everyone) == 1
    assert error.reasons == ["Only an admin may list every delegation."]
