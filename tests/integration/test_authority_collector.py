"""The collector: what the authority rules read about a person on a project, in one statement.

A delegation counts only in its period, while it is not revoked, and while its delegator is
still active and still holds the role on that project.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from tests.integration.factories import PASSWORD, actor_of
from workflows.authority import person_on, visible_projects
from workflows.errors import NotFound, Refused
from workflows.state import load_project
from workflows.store.records import Delegation, Project
from workflows.verbs import reviews, users


def delegate_on(uow, actor, delegate, role, key, starts_at, ends_at):
    """users.delegate on the project with this key (None: on every project)."""
    project = load_project(uow, key) if key else None
    return users.delegate(
        uow, actor_of(uow, actor), delegate, role, starts_at, ends_at, project, "Leave"
    )


def revoke_on(uow, actor, username, role, key):
    users.revoke_role(uow, actor_of(uow, actor), username, role, load_project(uow, key))


def person(read, username, key):
    return read(lambda uow: person_on(uow, username, load_project(uow, key)))


def visible_keys(read, username):
    def keys(uow):
        user = users.find_user(uow, username)
        selection = visible_projects(uow, user.id, users.global_roles(uow, user))
        query = select(Project.key).order_by(Project.key)
        if selection is not None:
            query = query.where(Project.id.in_(selection))
        return list(uow.session.execute(query).scalars())

    return read(keys)


def test_the_collector_reads_global_roles_roles_on_the_project_and_management(new_project, read):
    key = new_project("ERP-1")

    manager, finance, pmo = (person(read, name, key) for name in ("pm", "finance", "pmo"))

    assert (manager.manages, manager.roles) == (True, frozenset({"project_manager"}))
    assert (finance.project_roles, finance.manages) == (frozenset({"finance"}), False)
    assert pmo.global_roles == frozenset({"pmo"}) and pmo.roles == frozenset({"pmo"})


def test_a_global_project_manager_holds_that_role_only_on_the_projects_they_manage(
    new_project, read
):
    key = new_project("ERP-1")

    other = person(read, "pm2", key)

    assert other.global_roles == frozenset({"project_manager"}) and other.roles == frozenset()


def test_an_unknown_person_is_not_found(new_project, read):
    key = new_project("ERP-1")

    with pytest.raises(NotFound, match="no user 'nobody'"):
        person(read, "nobody", key)


def test_a_delegation_in_force_counts_with_its_delegator(act, new_project, read, clock):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now, clock.now + timedelta(days=7))

    assert dict(person(read, "deputy", key).delegations) == {"sponsor": "sponsor"}
    assert visible_keys(read, "deputy") == [key]


def test_a_delegation_whose_delegator_lost_the_role_does_not_count(
    act, new_project, submit_ready, read, refuses, clock
):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now, clock.now + timedelta(days=7))
    submit_ready(key)

    act(revoke_on, "admin", "sponsor", "sponsor", key)

    assert dict(person(read, "deputy", key).delegations) == {}
    assert visible_keys(read, "deputy") == []
    refuses(Refused, reviews.sign, "deputy", key, "go", PASSWORD, match="You hold none")


def test_a_delegation_whose_delegator_was_disabled_does_not_count(act, new_project, read, clock):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now, clock.now + timedelta(days=7))

    act(users.set_active, "admin", "sponsor", False)

    assert dict(person(read, "deputy", key).delegations) == {}
    act(users.set_active, "admin", "sponsor", True)
    assert dict(person(read, "deputy", key).delegations) == {"sponsor": "sponsor"}


@pytest.mark.parametrize(
    ("starts_in", "ends_in", "days_later"),
    [pytest.param(2, 9, 0, id="still-to-come"), pytest.param(0, 2, 9, id="ended")],
)
def test_a_delegation_outside_its_period_does_not_count(
    act, new_project, read, clock, starts_in, ends_in, days_later
):
    key = new_project("ERP-1")
    starts, ends = clock.now + timedelta(days=starts_in), clock.now + timedelta(days=ends_in)
    act(delegate_on, "sponsor", "deputy", "sponsor", key, starts, ends)
    clock.advance(days=days_later)

    assert dict(person(read, "deputy", key).delegations) == {}
    assert visible_keys(read, "deputy") == []


def test_a_revoked_delegation_does_not_count(act, new_project, read, clock):
    key = new_project("ERP-1")
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now, clock.now + timedelta(days=7))

    act(lambda uow: uow.session.execute(update(Delegation).values(revoked_at=uow.now)))

    assert dict(person(read, "deputy", key).delegations) == {}


def test_a_delegation_for_every_project_counts_where_the_delegator_holds_the_role(
    act, new_project, read, clock
):
    first, second = new_project("ERP-1"), new_project("ERP-2")
    act(revoke_on, "admin", "finance", "finance", second)

    act(delegate_on, "finance", "deputy", "finance", None, clock.now, clock.now + timedelta(days=7))

    assert dict(person(read, "deputy", first).delegations) == {"finance": "finance"}
    assert dict(person(read, "deputy", second).delegations) == {}
    assert visible_keys(read, "deputy") == [first]


def test_global_roles_that_read_everywhere_see_every_project_and_others_their_own(
    new_project, read
):
    keys = [new_project("ERP-1"), new_project("ERP-2", actor="pm2")]

    assert visible_keys(read, "auditor") == keys
    assert visible_keys(read, "pm2") == ["ERP-2"]
    assert visible_keys(read, "outsider") == []


def test_the_collector_reads_a_person_on_a_project_in_one_statement(
    new_project, read, test_connection, clock
):
    key = new_project("ERP-1")
    statements = []

    def count(*_args):
        statements.append(1)

    def collect(uow):
        project = load_project(uow, key)
        event.listen(test_connection, "before_cursor_execute", count)
        try:
            return person_on(uow, "sponsor", project)
        finally:
            event.remove(test_connection, "before_cursor_execute", count)

    sponsor = read(collect)

    assert sponsor.roles == frozenset({"sponsor"})
    assert len(statements) == 1
