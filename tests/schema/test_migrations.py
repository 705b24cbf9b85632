"""The Alembic migrations build exactly the schema the models describe, and upgrade in place."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from workflows.store.db import make_engine
from workflows.store.records import Base
from workflows.store.schema import head_revision, upgrade


def test_the_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == [], "models changed without a migration: add an Alembic revision"


def test_init_upgrades_an_existing_database_and_keeps_its_rows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    from alembic import command

    from workflows.store.schema import alembic_config

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO users (username, display_name, email, password_hash, active, "
                "session_version, failed_sign_attempts, created_at) "
                "VALUES ('ada', 'Ada', '', 'x', 1, 1, 0, '2026-01-01 00:00:00')"
            )
        )
    before, after = upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        users = connection.execute(text("SELECT username FROM users")).scalars().all()
    engine.dispose()
    assert (before, after) == ("0001", head_revision(engine))
    assert "login_failures" in tables
    assert users == ["ada"]


def test_upgrading_a_current_database_changes_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    assert upgrade(engine) == (head_revision(engine), head_revision(engine))
    engine.dispose()


def test_upgrading_to_the_pending_sign_offs_computes_them_for_the_open_reviews(
    tmp_path: Path,
) -> None:
    from alembic import command
    from sqlalchemy import select

    from gates.readiness import Status
    from policies.model import Artifact
    from tests.actors import authenticated
    from tests.integration.factories import FACTS, attach_evidence
    from workflows.identity import system
    from workflows.store.records import PendingSignoff
    from workflows.store.schema import alembic_config
    from workflows.verbs import projects, publishing, reviews, users
    from workflows.workspace import Workspace

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    ws = Workspace(engine, tmp_path / "evidence")
    with ws.unit_of_work() as uow:
        publishing.publish_library(uow)
        users.add_user(uow, system(), "admin", "Ada", "password1", roles=("admin",))
        uow.commit()  # authenticating reads committed accounts
        admin = authenticated(uow, "admin", "password1")
        users.add_user(uow, admin, "pm", "Pat", "password1", roles=("project_manager",))
        users.add_user(uow, admin, "sam", "Sam", "password1")
        uow.commit()
        pm = authenticated(uow, "pm", "password1")
        projects.register_project(uow, pm, "WIKI-1", "Wiki", "lite", FACTS["lite"], sponsor="sam")
        report = reviews.gate_status(uow, pm, "WIKI-1").report
        for line in report.lines:
            if isinstance(line.requirement, Artifact) and line.status is not Status.NOT_APPLICABLE:
                attach_evidence(uow, pm, "WIKI-1", line.requirement, uow.now.date())
        reviews.submit_gate(uow, pm, "WIKI-1")
        uow.commit()

    def pending() -> list[tuple[object, ...]]:
        with engine.connect() as connection:
            query = select(PendingSignoff.user_id, PendingSignoff.role, PendingSignoff.part)
            return sorted(tuple(row) for row in connection.execute(query))

    written = pending()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert upgrade(engine) == ("0004", head_revision(engine))
    ws.dispose()
    assert written and pending() == written


def test_users_whose_password_an_admin_chose_must_change_it_after_the_upgrade(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime

    from alembic import command

    from workflows.store.schema import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, display_name, email, password_hash, active, "
                "session_version, failed_sign_attempts, created_at) "
                "VALUES ('pat', 'Pat', '', 'scrypt$x', 1, 1, 0, :at)"
            ),
            {"at": datetime(2026, 1, 1, tzinfo=UTC)},
        )

    assert upgrade(engine) == ("0007", head_revision(engine))
    with engine.connect() as connection:
        flags = connection.execute(text("SELECT must_change_password FROM users")).all()
    engine.dispose()
    assert [bool(flag) for (flag,) in flags] == [True]


def test_conditions_recorded_before_owners_were_users_are_given_one_each_audited(
    tmp_path: Path,
) -> None:
    from datetime import date

    from alembic import command

    from gates.readiness import Status
    from policies.model import Artifact
    from tests.actors import authenticated
    from tests.integration.factories import FACTS, attach_evidence, audit_events
    from workflows.identity import system
    from workflows.store.schema import alembic_config
    from workflows.verbs import projects, publishing, reviews, users
    from workflows.workspace import Workspace

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    ws = Workspace(engine, tmp_path / "evidence")
    with ws.unit_of_work() as uow:
        publishing.publish_library(uow)
        users.add_user(uow, system(), "admin", "Ada", "password1", roles=("admin",))
        uow.commit()
        admin = authenticated(uow, "admin", "password1")
        users.add_user(uow, admin, "pm", "Pat", "password1", roles=("project_manager",))
        users.add_user(uow, admin, "sam", "Sam Sponsor", "password1")
        uow.commit()
        pm = authenticated(uow, "pm", "password1")
        projects.register_project(uow, pm, "WIKI-1", "Wiki", "lite", FACTS["lite"], sponsor="sam")
        for line in reviews.gate_status(uow, pm, "WIKI-1").report.lines:
            if isinstance(line.requirement, Artifact) and line.status is not Status.NOT_APPLICABLE:
                attach_evidence(uow, pm, "WIKI-1", line.requirement, uow.now.date())
        review = reviews.submit_gate(uow, pm, "WIKI-1")
        uow.commit()
        review_id, start = review.id, uow.session.execute(text("SELECT max(seq) FROM audit_events"))
        start_seq = start.scalar_one()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
        for owner in ("sam sponsor", "Someone in finance"):
            connection.execute(
                text(
                    "INSERT INTO follow_ups (review_id, action, owner, due) "
                    "VALUES (:review, 'Fix it', :owner, :due)"
                ),
                {"review": review_id, "owner": owner, "due": date(2026, 6, 1)},
            )

    upgrade(engine)
    upgrade(engine)  # a second run finds nothing left to assign

    with engine.connect() as connection:
        owners = connection.execute(
            text(
                "SELECT f.owner, u.username FROM follow_ups f JOIN users u ON u.id = f.owner_id "
                "ORDER BY f.id"
            )
        ).all()
    assert [tuple(row) for row in owners] == [("sam", "sam"), ("pm", "pm")]
    with ws.unit_of_work() as uow:
        events = audit_events(uow, start_seq)
    ws.dispose()
    assigned = [e for e in events if e.action == "condition.owner_assigned"]
    assert [(e.actor, e.data["owner_was"], e.data["matched"]) for e in assigned] == [
        ("system", "sam sponsor", True),
        ("system", "Someone in finance", False),
    ]
    # Upgrading a database that had events also appended the trail's baseline (0017), once.
    assert [e.action for e in events].count("audit.baseline") == 1
