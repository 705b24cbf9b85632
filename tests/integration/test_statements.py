"""The hot statements run on the driver's cursor give what SQLAlchemy gives, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from tests.integration.factories import PASSWORD
from workflows.store import statements
from workflows.store.records import ArtifactVersion, Project, User, WaiverRecord
from workflows.store.uow import UnitOfWork
from workflows.verbs import reviews

# Built once, as statements.run expects: one per column type the engine's statements read.
PROJECT = select(Project.id, Project.key, Project.facts, Project.created_at, Project.version).where(
    Project.key == bindparam("key")
)
USER = select(User.username, User.active, User.signing_locked_until).where(
    User.username == bindparam("username")
)
EVIDENCE = select(ArtifactVersion.artifact_id, ArtifactVersion.form, ArtifactVersion.attached_at)
WAIVERS = select(WaiverRecord.requirement, WaiverRecord.expires_at)
RENAME = update(Project).where(Project.key == bindparam("project_key"))
ADD_USER = insert(User).returning(User.id)


def user_values(username: str, now: datetime) -> dict[str, Any]:
    """Every column of a users row, as ADD_USER takes them."""
    return {
        "username": username,
        "display_name": username.title(),
        "email": "",
        "password_hash": "x",
        "active": True,
        "session_version": 1,
        "failed_sign_attempts": 0,
        "signing_locked_until": None,
        "created_at": now,
    }


def through_sqlalchemy(uow: UnitOfWork, statement: Any, params: dict[str, Any]) -> list[Any]:
    return [tuple(row) for row in uow.session.connection().execute(statement, params)]


def test_rows_come_back_with_the_types_sqlalchemy_gives_them(read, new_project, submit_ready, act):
    key = new_project("ERP-1")
    submit_ready(key)
    act(reviews.sign, "sponsor", key, "go", PASSWORD)
    cases = [
        (PROJECT, {"key": key}),
        (USER, {"username": "sponsor"}),
        (EVIDENCE, {}),
        (WAIVERS, {}),
    ]

    def both(uow: UnitOfWork) -> list[tuple[Any, list[Any]]]:
        connection = uow.session.connection()
        return [
            (
                statements.run(connection, statement, params),
                through_sqlalchemy(uow, statement, params),
            )
            for statement, params in cases
        ]

    results = read(both)
    assert all(reference for _, reference in results[:3]), "project, user and evidence rows"
    for fast, reference in results:
        assert fast == reference
    [(_, _, facts, created_at, _)] = read(
        lambda uow: through_sqlalchemy(uow, PROJECT, {"key": key})
    )
    assert isinstance(facts, dict), "JSON comes back parsed"
    assert created_at.tzinfo is not None, "times come back in UTC"


def test_an_update_returns_how_many_rows_it_changed(read, new_project):
    key = new_project("ERP-1")

    def rename(uow: UnitOfWork) -> tuple[int, int, str]:
        connection = uow.session.connection()
        changed = statements.run(connection, RENAME, {"project_key": key, "name": "Renamed"})
        missed = statements.run(connection, RENAME, {"project_key": "NOPE-1", "name": "x"})
        name = uow.session.execute(select(Project.name).where(Project.key == key)).scalar_one()
        return changed, missed, name

    assert read(rename) == (1, 0, "Renamed")


def test_an_insert_returning_gives_the_new_row_id(read, clock):
    def add(uow: UnitOfWork) -> tuple[Any, str]:
        values = user_values("newcomer", clock.now)
        [(new_id,)] = statements.run(uow.session.connection(), ADD_USER, values)
        return new_id, uow.session.get_one(User, new_id).username

    new_id, username = read(add)
    assert isinstance(new_id, int)
    assert username == "newcomer"


def test_a_database_error_is_raised_as_sqlalchemy_raises_it(workspace, clock):
    clash = user_values("pm", clock.now)  # the seeded project manager's username
    with pytest.raises(IntegrityError), workspace.unit_of_work() as uow:
        statements.run(uow.session.connection(), ADD_USER, clash)


@contextmanager
def listening(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_while_something_listens_every_statement_goes_through_sqlalchemy(
    workspace, read, new_project
):
    key = new_project("ERP-1")

    with listening(workspace.engine) as seen:
        rows = read(lambda uow: statements.run(uow.session.connection(), PROJECT, {"key": key}))

    assert [row[1] for row in rows] == [key]
    assert any("FROM projects" in statement for statement in seen), seen
