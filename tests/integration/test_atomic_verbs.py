"""Invariant 1: a state change and its audit event commit together or not at all."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.integration.factories import STANDARD_FACTS, actor_of, table_rows
from workflows.errors import Refused
from workflows.store.records import AuditEvent, ChainHead, User
from workflows.store.uow import UnitOfWork
from workflows.verbs import attach, audit, projects, reviews


class DiskFull(RuntimeError):
    """Stands for anything that goes wrong half-way through a verb."""


def test_a_verb_failing_after_its_audit_event_leaves_no_row_and_no_event(
    workspace, new_project, head, monkeypatch
):
    key = new_project("ERP-1")
    before, newest = table_rows(workspace), head()

    def fail(*args, **kwargs):
        raise DiskFull("the snapshot could not be refreshed")

    monkeypatch.setattr(attach, "refresh_snapshot", fail)
    with pytest.raises(DiskFull), workspace.unit_of_work() as uow:
        attach.attach_file(
            uow, actor_of(uow, "pm"), key, "project_charter", io.BytesIO(b"charter"), "c.pdf"
        )
        assert len(uow.events) == 1, "the audit event was appended before the failure"
        uow.commit()

    assert table_rows(workspace) == before
    assert head() == newest


def test_a_failure_right_after_appending_the_event_rolls_back_row_and_event(
    workspace, head, monkeypatch
):
    before, newest = table_rows(workspace), head()
    append = UnitOfWork.record

    def append_then_fail(self, *args, **kwargs):
        append(self, *args, **kwargs)
        self.session.flush()
        raise DiskFull("after the event was written")

    monkeypatch.setattr(UnitOfWork, "record", append_then_fail)
    with pytest.raises(DiskFull), workspace.unit_of_work() as uow:
        projects.register_project(
            uow, actor_of(uow, "pm"), "ERP-1", "X", "standard", STANDARD_FACTS
        )

    assert table_rows(workspace) == before
    assert head() == newest


def test_a_refusal_after_earlier_writes_in_the_same_unit_of_work_undoes_them_all(
    workspace, new_project, head, events
):
    key = new_project("ERP-1")
    before, newest = table_rows(workspace), head()

    with pytest.raises(Refused, match="is missing"), workspace.unit_of_work() as uow:
        attach.attach_file(
            uow, actor_of(uow, "pm"), key, "project_charter", io.BytesIO(b"charter"), "c.pdf"
        )
        reviews.submit_gate(uow, actor_of(uow, "pm"), key)
        uow.commit()

    after = table_rows(workspace)
    trail = ("audit_events", "chain_head")
    assert {t: r for t, r in after.items() if t not in trail} == {
        t: r for t, r in before.items() if t not in trail
    }
    recorded = events(after=newest)
    assert [(e.action, e.actor, e.project) for e in recorded] == [("action.refused", "pm", key)]
    assert recorded[0].data["attempted"].startswith("submit")
    assert head() == newest + 1, "the attachment's event went with it; only the refusal stays"


def test_a_unit_of_work_left_without_commit_leaves_nothing(workspace, head):
    before, newest = table_rows(workspace), head()

    with workspace.unit_of_work() as uow:
        projects.register_project(
            uow, actor_of(uow, "pm"), "ERP-1", "X", "standard", STANDARD_FACTS
        )
        uow.session.flush()

    assert table_rows(workspace) == before
    assert head() == newest


def test_a_commit_that_fails_takes_the_audit_event_down_with_it(workspace, head):
    before, newest = table_rows(workspace), head()

    with pytest.raises(IntegrityError), workspace.unit_of_work() as uow:
        projects.register_project(
            uow, actor_of(uow, "pm"), "ERP-1", "X", "standard", STANDARD_FACTS
        )
        clash = User(username="pm", display_name="Clash", password_hash="x", created_at=uow.now)
        uow.session.add(clash)
        uow.commit()

    assert table_rows(workspace) == before
    assert head() == newest


def test_after_failed_verbs_the_next_event_continues_the_chain(workspace, act, head, monkeypatch):
    newest = head()
    with monkeypatch.context() as patch:
        patch.setattr(
            projects, "classify", lambda *args, **kwargs: (_ for _ in ()).throw(DiskFull())
        )
        with pytest.raises(DiskFull):
            act(projects.register_project, "pm", "ERP-1", "X", "standard", STANDARD_FACTS)

    act(projects.register_project, "pm", "ERP-1", "X", "standard", STANDARD_FACTS)

    assert head() == newest + 1
    with workspace.unit_of_work() as uow:
        assert audit.verify(uow).ok


def test_the_chain_head_moves_with_every_event_and_back_with_a_rollback(
    workspace, read, new_project, monkeypatch
):
    def stored_head(uow: UnitOfWork) -> tuple[int, str]:
        seq, hash_ = uow.session.execute(select(ChainHead.seq, ChainHead.hash)).one()
        return seq, hash_

    def newest_event(uow: UnitOfWork) -> tuple[int, str]:
        query = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        seq, hash_ = uow.session.execute(query).one()
        return seq, hash_

    key = new_project("ERP-1")
    assert read(stored_head) == read(newest_event)
    before = read(stored_head)

    def fail(*args, **kwargs):
        raise DiskFull("the snapshot could not be refreshed")

    monkeypatch.setattr(attach, "refresh_snapshot", fail)
    with pytest.raises(DiskFull), workspace.unit_of_work() as uow:
        attach.attach_file(
            uow, actor_of(uow, "pm"), key, "project_charter", io.BytesIO(b"charter"), "c.pdf"
        )
        assert stored_head(uow)[0] == before[0] + 1, "the head moved with the event"
        uow.commit()

    assert read(stored_head) == before
