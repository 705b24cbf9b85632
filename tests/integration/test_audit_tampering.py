"""Invariant 2: `audit.verify` detects a modified, deleted, inserted or reordered event and names
the first bad one; truncation and a whole-chain rewrite are caught against a checkpoint.

Tampering goes around the engine with plain SQL, as an attacker with database access would.
On PostgreSQL the append-only trigger is disabled first, inside the test's transaction.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from gates.chain import ChainHead, canonical_bytes, event_hash
from gates.checkpoints import CheckpointError, checkpoint_to_json, sign_checkpoint
from tests.integration.factories import table_rows
from workflows.errors import Refused
from workflows.store.audit_keys import generate
from workflows.store.records import AuditEvent
from workflows.verbs import audit

LEAKED_CURSOR = r"<psycopg.ServerCursor .*> was deleted while still open"


@pytest.fixture
def trail(new_project, pass_gate, head):
    """A trail with a project through its first gate: returns the newest seq."""
    pass_gate(new_project("ERP-1"))
    return head()


@pytest.fixture
def tamper(workspace, backend):
    """tamper(sql, **params): run SQL against the trail, bypassing the append-only trigger."""

    def run(*statements, **params):
        with workspace.unit_of_work() as uow:
            if backend == "postgres":
                uow.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            for statement in statements:
                uow.session.execute(text(statement), params)
            uow.commit()

    return run


@pytest.fixture
def stored(read):
    """stored(seq) -> (prev_hash, hash, body) of one event."""

    def row(seq):
        query = select(AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.body).where(
            AuditEvent.seq == seq
        )
        return tuple(read(lambda uow: uow.session.execute(query).one()))

    return row


@pytest.fixture
def verify(workspace):
    """verify(checkpoint_text=None) -> the Verification of the whole trail."""

    def run(checkpoint_text=None):
        with warnings.catch_warnings(), workspace.unit_of_work() as uow:
            # audit.verify leaves its PostgreSQL server-side cursor open when it stops early:
            # test_verify_closes_its_cursor_when_it_stops_at_a_problem shows it on its own.
            warnings.filterwarnings("ignore", LEAKED_CURSOR, ResourceWarning)
            return audit.verify(uow, checkpoint_text)

    return run


@pytest.fixture
def checkpoint(act, monkeypatch):
    """checkpoint() -> the text of a signed checkpoint (a C2SP signed tree head) of the trail
    as it is now, signed with a key made for the test."""
    secret, _ = generate("lockgate.test/audit")
    monkeypatch.setenv("LOCKGATE_AUDIT_KEY", secret)
    return lambda: act(audit.checkpoint, "auditor")


@pytest.fixture
def hmac_checkpoint(read, tmp_path, monkeypatch):
    """hmac_checkpoint() -> an HMAC checkpoint file of the trail as it is now, as Lockgate
    wrote them before signed tree heads (their key stays in LOCKGATE_CHECKPOINT_KEY)."""
    key = tmp_path / "checkpoint.key"
    key.write_text("ab" * 32)
    monkeypatch.setenv("LOCKGATE_CHECKPOINT_KEY", str(key))

    def write():
        query = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        seq, last = read(lambda uow: uow.session.execute(query).one())
        signed = sign_checkpoint(ChainHead(seq, last), datetime.now(UTC), bytes.fromhex("ab" * 32))
        return checkpoint_to_json(signed)

    return write


def test_an_untouched_trail_verifies(trail, verify):
    result = verify()

    assert (result.ok, result.checked, result.problem) == (True, trail, None)


def test_a_modified_event_is_named(trail, tamper, stored, verify):
    seq = trail - 5
    body = stored(seq)[2].replace(b'"actor":"sponsor"', b'"actor":"pmo"')
    body = body if body != stored(seq)[2] else body + b" "

    tamper("UPDATE audit_events SET body = :body WHERE seq = :seq", body=body, seq=seq)

    problem = verify().problem
    assert (problem.seq, problem.kind) == (seq, "modified")
    assert problem.message == (
        f"Event #{seq} was modified: its content no longer matches its recorded hash."
    )


def test_a_deleted_event_is_named(trail, tamper, verify):
    seq = trail - 5

    tamper("DELETE FROM audit_events WHERE seq = :seq", seq=seq)

    problem = verify().problem
    assert (problem.seq, problem.kind) == (seq, "missing")
    assert problem.message == (
        f"Event #{seq} is missing: event #{seq + 1} links to an event that is not in the trail."
    )


def insert_forged_after(seq, stored, tamper, clock):
    """Make room after `seq` and insert a forged event there, with a valid hash and link."""
    tamper(
        "UPDATE audit_events SET seq = -(seq + 1) WHERE seq > :seq",
        "UPDATE audit_events SET seq = -seq WHERE seq < 0",
        seq=seq,
    )
    body = canonical_bytes(
        {
            "action": "review.decided",
            "actor": "sponsor",
            "at": clock.now,
            "project": "ERP-1",
            "data": {"decision": "go", "gate": "planning"},
        }
    )
    link = stored(seq)[1]
    tamper(
        "INSERT INTO audit_events (seq, prev_hash, hash, body, at, actor, action, project_key) "
        "VALUES (:seq, :link, :hash, :body, :at, 'sponsor', 'review.decided', 'ERP-1')",
        seq=seq + 1,
        link=link,
        hash=event_hash(seq + 1, link, body),
        body=body,
        at=clock.now.replace(tzinfo=None),
    )


def test_an_inserted_event_is_detected(trail, tamper, stored, verify, clock):
    seq = trail - 5

    insert_forged_after(seq, stored, tamper, clock)

    result = verify()
    assert not result.ok
    assert result.problem.seq in (seq + 1, seq + 2)
    assert result.checked <= seq + 1


def test_an_inserted_event_is_named_as_inserted(trail, tamper, stored, verify, clock):
    seq = trail - 5

    insert_forged_after(seq, stored, tamper, clock)

    problem = verify().problem
    assert (problem.seq, problem.kind) == (seq + 1, "inserted")


def test_events_with_swapped_bodies_are_named(trail, tamper, stored, verify):
    seq = trail - 5
    first, second = stored(seq)[2], stored(seq + 1)[2]

    tamper(
        "UPDATE audit_events SET body = :second WHERE seq = :seq",
        "UPDATE audit_events SET body = :first WHERE seq = :seq + 1",
        first=first,
        second=second,
        seq=seq,
    )

    problem = verify().problem
    assert (problem.seq, problem.kind) == (seq, "modified")


def swap_places(seq, tamper):
    """Exchange the seq of two neighbouring events: each row keeps its own body and hashes."""
    tamper(
        "UPDATE audit_events SET seq = -1 WHERE seq = :seq",
        "UPDATE audit_events SET seq = :seq WHERE seq = :seq + 1",
        "UPDATE audit_events SET seq = :seq + 1 WHERE seq = -1",
        seq=seq,
    )


def test_two_events_that_swapped_places_are_detected_at_the_first(trail, tamper, verify):
    seq = trail - 5

    swap_places(seq, tamper)

    result = verify()
    assert (result.ok, result.checked, result.problem.seq) == (False, seq - 1, seq)


def test_two_events_that_swapped_places_are_named_as_reordered(trail, tamper, verify):
    seq = trail - 5

    swap_places(seq, tamper)

    problem = verify().problem
    assert (problem.seq, problem.kind) == (seq, "reordered")


def test_a_truncated_trail_is_named_by_its_head_alone(trail, tamper, verify):
    tamper("DELETE FROM audit_events WHERE seq > :seq", seq=trail - 3)

    problem = verify().problem

    assert (problem.seq, problem.kind) == (trail, "head")
    assert f"but the trail ends at event #{trail - 3}" in problem.message


def test_truncation_with_the_head_moved_back_passes_alone_but_not_against_a_checkpoint(
    trail, tamper, workspace, backend, stored, verify, checkpoint
):
    saved = checkpoint()
    assert verify(saved).ok
    # The insider drops the head's guard and moves the head back to the new end.
    guard = (
        "ALTER TABLE chain_head DISABLE TRIGGER USER"
        if backend == "postgres"
        else "DROP TRIGGER chain_head_update_names_last_event"
    )
    last = stored(trail - 3)[1]
    tamper(
        "DELETE FROM audit_events WHERE seq > :seq",
        guard,
        "UPDATE chain_head SET seq = :seq, hash = :last",
        seq=trail - 3,
        last=last,
    )

    assert verify().ok, "a trail checked only against itself cannot see its end deleted"
    result = verify(saved)
    assert (result.problem.seq, result.problem.kind) == (trail - 2, "truncated")
    assert result.problem.message == (
        f"The trail was truncated: lockgate.test/audit's checkpoint of {trail:,} events saw "
        f"them, only {trail - 3:,} remain."
    )


def test_a_rewritten_chain_passes_alone_but_not_against_an_earlier_checkpoint(
    trail, tamper, read, verify, checkpoint
):
    saved = checkpoint()
    start = trail - 8
    query = select(AuditEvent.seq, AuditEvent.body).where(AuditEvent.seq >= start)
    rows = read(lambda uow: uow.session.execute(query.order_by(AuditEvent.seq)).all())
    link = read(lambda uow: uow.session.get(AuditEvent, start - 1).hash)

    for seq, body in rows:
        if seq == start:
            body = body.replace(b'"actor":"', b'"actor":"x', 1)
        sealed = event_hash(seq, link, body)
        tamper(
            "UPDATE audit_events SET prev_hash = :link, hash = :sealed, body = :body "
            "WHERE seq = :seq",
            link=link,
            sealed=sealed,
            body=body,
            seq=seq,
        )
        link = sealed
    # The head may name the rewritten last event: it is the last event.
    tamper("UPDATE chain_head SET hash = :link", link=link)

    assert verify().ok, "a consistent rewrite fools a chain checked only against itself"
    result = verify(saved)
    assert (result.problem.seq, result.problem.kind) == (1, "rewritten")
    assert result.problem.message == (
        f"The trail was rewritten between event #1 and event #{trail}: it no longer matches "
        f"lockgate.test/audit's checkpoint of {trail} events (no earlier checkpoint was given)."
    )


def test_a_checkpoint_file_that_was_edited_is_rejected(trail, verify, checkpoint):
    saved = checkpoint().replace(f"\n{trail}\n", f"\n{trail - 1}\n", 1)

    with pytest.raises(CheckpointError, match=r"the signature by lockgate\.test/audit does not"):
        verify(saved)


def test_a_checkpoint_forged_with_another_key_is_refused(trail, verify, checkpoint, monkeypatch):
    saved = checkpoint()
    assert verify(saved).ok, "checked with the host's own key; then with a stranger's only"
    _, stranger = generate("lockgate.test/audit")
    monkeypatch.delenv("LOCKGATE_AUDIT_KEY")
    monkeypatch.setenv("LOCKGATE_AUDIT_PUBLIC_KEY", stranger)

    with pytest.raises(CheckpointError, match="not by a key given to check it with"):
        verify(saved)


def test_older_hmac_checkpoints_still_catch_truncation(trail, tamper, verify, hmac_checkpoint):
    saved = hmac_checkpoint()
    assert verify(saved).ok
    edited = saved.replace(f'"count": {trail}', f'"count": {trail - 1}')
    with pytest.raises(CheckpointError, match="signature does not match"):
        verify(edited)

    tamper("DELETE FROM audit_events WHERE seq > :seq", seq=trail - 3)

    result = verify(saved)
    assert (result.problem.seq, result.problem.kind) == (trail - 2, "truncated")


def test_only_auditors_the_pmo_and_admins_write_checkpoints(refuses, checkpoint):
    refuses(Refused, audit.checkpoint, "pm", match="Only auditors, the PMO or admins")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'nobody' WHERE seq = 3",
        "DELETE FROM audit_events WHERE seq = 3",
        "TRUNCATE audit_events",
    ],
    ids=["update", "delete", "truncate"],
)
def test_postgres_refuses_to_change_or_remove_audit_events(
    workspace, backend, trail, verify, statement
):
    if backend != "postgres":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on verify alone")
    before = table_rows(workspace)

    refused = pytest.raises(DBAPIError, match="the audit trail is append-only")
    with refused, workspace.unit_of_work() as uow:
        uow.session.execute(text(statement))

    assert table_rows(workspace) == before
    assert verify().ok


def test_verify_closes_its_cursor_when_it_stops_at_a_problem(workspace, backend, trail, tamper):
    if backend != "postgres":
        pytest.skip("SQLite has no server-side cursors")
    tamper("UPDATE audit_events SET actor = 'x', body = :body WHERE seq = 3", body=b"{}")

    with warnings.catch_warnings(record=True) as caught, workspace.unit_of_work() as uow:
        warnings.simplefilter("always", ResourceWarning)
        assert not audit.verify(uow).ok
        cursors = uow.session.execute(text("SELECT count(*) FROM pg_cursors")).scalar()

    assert [str(w.message) for w in caught] == []
    assert cursors == 0


# -- the chain head ---------------------------------------------------------------------------


def head_row(read):
    query = text("SELECT seq, hash FROM chain_head WHERE id = 1")
    return tuple(read(lambda uow: uow.session.execute(query).one()))


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE chain_head SET seq = seq - 3", id="moved-back"),
        pytest.param("UPDATE chain_head SET hash = :forged", id="another-hash"),
        pytest.param("DELETE FROM chain_head", id="deleted"),
    ],
)
def test_the_chain_head_cannot_be_set_to_anything_but_the_last_event(
    statement, trail, workspace, read, stored, act, new_project
):
    before = head_row(read)

    refused = pytest.raises(DBAPIError, match="the chain head must name the last audit event")
    with refused, workspace.unit_of_work() as uow:
        uow.session.execute(text(statement), {"forged": "f" * 64})
        uow.commit()

    assert before == head_row(read) == (trail, stored(trail)[1])
    new_project("ERP-2")  # and the trail still takes appends
    assert head_row(read)[0] > trail


def test_verify_names_a_chain_head_moved_with_its_guard_dropped(trail, workspace, backend, verify):
    with workspace.unit_of_work() as uow:
        if backend == "postgres":
            uow.session.execute(text("ALTER TABLE chain_head DISABLE TRIGGER USER"))
        else:
            uow.session.execute(text("DROP TRIGGER chain_head_update_names_last_event"))
        uow.session.execute(text("UPDATE chain_head SET seq = seq - 3"))
        uow.commit()

    result = verify()

    assert not result.ok and result.checked == trail
    assert (result.problem.seq, result.problem.kind) == (trail - 3, "head")
    assert result.problem.message.startswith(f"The chain head names event #{trail - 3}")
    assert f"but the trail ends at event #{trail}" in result.problem.message


def test_an_event_slipped_in_below_the_head_leaves_the_head_alone(
    trail, tamper, stored, verify, clock, read
):
    insert_forged_after(trail - 5, stored, tamper, clock)

    assert head_row(read)[0] == trail
    assert verify().problem.kind == "inserted"
