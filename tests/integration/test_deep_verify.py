"""The trail is the record: `audit verify --deep` replays the events and names every row that
disagrees with them (table, row, column, by the trail, in the table). Each insider attack the
issue lists, done with plain SQL, is caught and named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from gates.chain import canonical_bytes, chain_next
from gates.replay import Mismatch
from tests.integration.factories import PASSWORD
from workflows.errors import Refused
from workflows.store.db import make_engine
from workflows.store.records import AuditEvent
from workflows.store.schema import alembic_config
from workflows.verbs import audit, reviews
from workflows.verbs.reconcile import baseline_data
from workflows.workspace import Workspace


@pytest.fixture
def signed(act, new_project, pass_gate, submit_ready):
    """ERP-1 through its first gate and ERP-2 submitted and signed by the sponsor."""
    pass_gate(new_project("ERP-1"))
    key = new_project("ERP-2")
    submit_ready(key)
    act(reviews.sign, "sponsor", key, "go", PASSWORD, role="sponsor")
    return key


@pytest.fixture
def deep(workspace):
    def run():
        with workspace.unit_of_work(read_only=True) as uow:
            return audit.verify_deep(uow)

    return run


@pytest.fixture
def sql(workspace):
    def run(statement, **params):
        with workspace.unit_of_work() as uow:
            uow.session.execute(text(statement), params)
            uow.commit()

    return run


def named(found) -> list[tuple[str, str, str, str, str]]:
    return [(m.table, m.key, m.column, m.expected, m.found) for m in found]


def test_an_untouched_database_agrees_with_its_trail(signed, deep):
    result, mismatches = deep()

    assert result.ok and mismatches == []


def test_a_stage_edited_in_the_table_is_named(signed, deep, sql):
    sql("UPDATE projects SET stage = 'closed' WHERE key = 'ERP-1'")

    _, mismatches = deep()

    assert named(mismatches) == [("projects", "ERP-1", "stage", "planning", "closed")]


def test_a_deleted_role_grant_is_named(signed, deep, sql):
    sql(
        "DELETE FROM role_grants WHERE role = 'finance' AND project_id = "
        "(SELECT id FROM projects WHERE key = 'ERP-2')"
    )

    _, mismatches = deep()

    assert named(mismatches) == [
        ("role_grants", "finance finance on ERP-2", "(row)", "in force", "(no row)")
    ]


def test_a_signer_renamed_in_the_table_is_named(signed, deep, sql):
    sql(
        "UPDATE signatures SET signer_id = (SELECT id FROM users WHERE username = 'pmo') "
        "WHERE id = (SELECT max(id) FROM signatures)"
    )

    _, mismatches = deep()

    [signer, content] = mismatches
    assert (signer.table, signer.column, signer.expected, signer.found) == (
        "signatures", "signer", "sponsor", "pmo",
    )  # fmt: skip
    assert content.column == "content", "the row no longer hashes to its content hash"


def test_a_signature_copied_into_another_review_is_named(signed, deep, sql):
    sql(
        "INSERT INTO signatures (review_id, signer_id, on_behalf_of_id, printed_name, role, "
        "meaning, decision, comment, snapshot_digest, signed_at, superseded_at, content_hash) "
        "SELECT (SELECT min(id) FROM reviews), signer_id, on_behalf_of_id, printed_name, role, "
        "meaning, decision, comment, snapshot_digest, signed_at, superseded_at, content_hash "
        "FROM signatures WHERE id = (SELECT max(id) FROM signatures)"
    )

    _, mismatches = deep()

    [copied] = mismatches
    assert (copied.table, copied.column, copied.expected, copied.found) == (
        "signatures", "(row)", "(no event)", "a signature",
    )  # fmt: skip


def test_a_user_enabled_in_the_table_is_named(signed, act, deep, sql):
    from workflows.verbs import users

    act(users.set_active, "admin", "finance", False)
    sql("UPDATE users SET active = true WHERE username = 'finance'")

    _, mismatches = deep()

    assert named(mismatches) == [("users", "finance", "active", "False", "True")]


def test_replay_starts_from_a_baseline_of_the_rows_as_they_stood(signed, workspace, deep, sql):
    # An older database: a stage written with no event, as releases before 0017 could leave.
    sql("UPDATE projects SET stage = 'on_hold' WHERE key = 'ERP-1'")
    assert deep()[1], "without a baseline the row disagrees with the trail"
    with workspace.unit_of_work() as uow:
        uow.record("system", "audit.baseline", None, **baseline_data(uow.session.connection()))
        uow.commit()

    assert deep()[1] == [], "the baseline holds the rows as they stood"
    sql("UPDATE projects SET stage = 'closed' WHERE key = 'ERP-1'")
    assert named(deep()[1]) == [("projects", "ERP-1", "stage", "on_hold", "closed")]


def test_the_migration_appends_a_baseline_only_where_there_were_events(tmp_path):
    from alembic import command

    ws = Workspace(make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}"), tmp_path / "evidence")
    try:
        config = alembic_config(ws.engine)
        command.upgrade(config, "0016")
        body = canonical_bytes({"action": "policy.published", "actor": "system",
                                "at": datetime.now(UTC), "project": None, "data": {}})  # fmt: skip
        first = chain_next(None, body)
        with ws.engine.begin() as connection:  # as a release of that revision wrote it
            connection.execute(
                text("INSERT INTO audit_events (seq, prev_hash, hash, body, at, actor, action) "
                     "VALUES (1, :prev, :hash, :body, :at, 'system', 'policy.published')"),
                {"prev": first.prev_hash, "hash": first.hash, "body": first.body,
                 "at": datetime.now(UTC).replace(tzinfo=None)},
            )  # fmt: skip

        command.upgrade(config, "head")

        with ws.unit_of_work(read_only=True) as uow:
            query = select(AuditEvent.action).order_by(AuditEvent.seq)
            actions = list(uow.session.execute(query).scalars())
            assert actions == ["policy.published", "audit.baseline"]
            result, mismatches = audit.verify_deep(uow)
        assert result.ok and mismatches == []
    finally:
        ws.dispose()


def test_a_mismatch_reads_as_a_sentence():
    mismatch = Mismatch("projects", "ERP-1", "stage", "planning", "closed")

    assert str(mismatch) == (
        "projects ERP-1: stage should be planning (by the trail), the table has closed"
    )


def test_nobody_sees_a_project_as_of_a_moment_without_reading_it_and_the_attempt_is_recorded(
    new_project, refuses, clock
):
    from workflows.views.history import project_as_of

    key = new_project("ERP-1")

    error = refuses(Refused, project_as_of, "pm2", key, clock.now)

    assert [r.rule for r in error.refusals] == ["role.read"]
