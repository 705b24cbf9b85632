"""Signed tree heads over the trail: a rewrite placed between the checkpoints it still
matches and the first it breaks, and at the stored tree node that disagrees; inclusion and
consistency proofs that check with no database, by Lockgate and by the documented steps."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, text

from gates.chain import event_hash
from gates.checkpoints import CheckpointError
from workflows.errors import Refused
from workflows.store.audit_keys import generate
from workflows.store.records import AuditEvent
from workflows.verbs import audit, audit_proofs

NAME = "lockgate.test/audit"


@pytest.fixture
def keys(monkeypatch):
    """The test's key pair: the private key set as LOCKGATE_AUDIT_KEY; returns the public."""
    secret, public = generate(NAME)
    monkeypatch.setenv("LOCKGATE_AUDIT_KEY", secret)
    return public


@pytest.fixture
def fill(workspace):
    """fill(n) -> the newest seq, after n more events appended as any verb appends them."""

    def append(count):
        with workspace.unit_of_work() as uow:
            for number in range(count):
                uow.record("admin", "test.filler", None, number=number)
            uow.commit()
        return head_seq(workspace)

    return append


def head_seq(workspace):
    with workspace.unit_of_work(read_only=True) as uow:
        return uow.session.execute(text("SELECT seq FROM chain_head")).scalar_one()


@pytest.fixture
def checkpoint(act, keys):
    return lambda: act(audit.checkpoint, "auditor")


@pytest.fixture
def verify(workspace):
    def run(*checkpoints, keys=()):
        with workspace.unit_of_work(read_only=True) as uow:
            return audit.verify(uow, checkpoints=checkpoints, keys=keys)

    return run


def rewrite_from(workspace, start, change=b'"actor":"x'):
    """Change event `start` and re-seal every event after it, as an insider who can write
    the tables would (the head is moved to the new last hash, as its guard allows)."""
    with workspace.unit_of_work() as uow:
        rows = uow.session.execute(
            select(AuditEvent.seq, AuditEvent.body)
            .where(AuditEvent.seq >= start)
            .order_by(AuditEvent.seq)
        ).all()
        link = uow.session.get(AuditEvent, start - 1).hash
        if workspace.engine.dialect.name == "postgresql":
            uow.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        for seq, body in rows:
            if seq == start:
                body = body.replace(b'"actor":"', change, 1)
            sealed = event_hash(seq, link, body)
            uow.session.execute(
                text("UPDATE audit_events SET prev_hash = :l, hash = :h, body = :b WHERE seq = :s"),
                {"l": link, "h": sealed, "b": body, "s": seq},
            )
            link = sealed
        uow.session.execute(text("UPDATE chain_head SET hash = :h"), {"h": link})
        if workspace.engine.dialect.name == "postgresql":
            uow.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        uow.commit()


def test_a_checkpoint_is_a_signed_tree_head_that_verifies_and_is_audited(
    fill, checkpoint, verify, events
):
    size = fill(10)

    note = checkpoint()

    origin, count, root, blank, signature = note.split("\n")[:5]
    assert (origin, count, blank) == (NAME, str(size), "")
    assert len(base64.b64decode(root)) == 32 and signature.startswith(f"\u2014 {NAME} ")
    assert verify(note).ok
    [written] = [e for e in events(after=size) if e.action == "audit.checkpoint_written"]
    assert (written.data["size"], written.data["root"]) == (size, root)


def test_a_rewrite_is_placed_between_the_checkpoint_it_matches_and_the_first_it_breaks(
    workspace, fill, checkpoint, verify
):
    early = checkpoint()
    middle_size = fill(20)
    middle = checkpoint()
    fill(20)
    late = checkpoint()

    rewrite_from(workspace, middle_size + 5)

    assert verify().ok, "a consistent rewrite fools the chain alone"
    problem = verify(early, middle, late).problem
    assert problem.kind == "rewritten" and problem.seq == middle_size + 1
    assert f"it still matches the checkpoint of {middle_size:,} events" in problem.message


def test_a_rewrite_is_placed_at_the_stored_tree_node_it_no_longer_matches(
    workspace, fill, checkpoint, verify
):
    fill(600)  # two complete tiles of 256 events are stored by the checkpoint
    saved = checkpoint()

    rewrite_from(workspace, 300)

    problem = verify(saved).problem
    assert (problem.kind, problem.seq) == ("rewritten", 257)
    assert problem.message.startswith("The trail was rewritten between event #257 and event #512")


def test_an_inclusion_proof_checks_offline_and_names_its_event(workspace, fill, checkpoint, act):
    fill(300)
    note = checkpoint()

    proof = act(audit.prove, "auditor", 42, note)

    assert proof.startswith("c2sp.org/tlog-proof@v1\nextra ")
    assert "index 41\n" in proof and proof.endswith(note)
    verdict = audit_proofs.check_inclusion(proof)
    assert verdict.startswith("event #42 (") and f"trail of {head_seq(workspace) - 1:,}" in verdict


def test_an_altered_inclusion_proof_fails_offline(fill, checkpoint, act):
    fill(50)
    proof = act(audit.prove, "auditor", 7, checkpoint())
    lines = proof.split("\n")
    lines[1] = "extra " + base64.b64encode(b'{"action":"forged"}').decode()

    with pytest.raises(CheckpointError, match="not proven"):
        audit_proofs.check_inclusion("\n".join(lines))


def test_an_event_the_checkpoint_does_not_cover_cannot_be_proven(fill, checkpoint, act):
    note = checkpoint()
    later = fill(5)

    with pytest.raises(CheckpointError, match="write a newer one"):
        act(audit.prove, "auditor", later, note)


def test_a_consistency_proof_shows_a_later_checkpoint_extends_an_earlier_one(fill, checkpoint, act):
    fill(100)
    old = checkpoint()
    fill(333)
    new = checkpoint()

    proof = act(audit.consistency, "auditor", old, new)

    assert "extends the trail" in audit_proofs.check_consistency(proof, old, new)
    with pytest.raises(CheckpointError):
        audit_proofs.check_consistency(proof, new, old)


def test_checkpoints_of_a_rewritten_trail_cannot_be_proven_consistent(
    workspace, fill, checkpoint, act
):
    fill(30)
    old = checkpoint()
    rewrite_from(workspace, 10)
    fill(5)
    new = checkpoint()

    with pytest.raises(CheckpointError, match="does not extend"):
        act(audit.consistency, "auditor", old, new)


# -- the documented offline procedure, followed without Lockgate's code ------------------------


def check_proof_by_hand(proof: str, public_key_text: str) -> dict:
    """docs/audit.md, "Checking a proof by hand": standard library and an Ed25519 library."""
    name, key_id_hex, key = public_key_text.strip().split("+", 2)
    raw_key = base64.b64decode(key)
    assert raw_key[0] == 1, "an Ed25519 key"
    public = raw_key[1:]
    expected_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    assert expected_id.hex() == key_id_hex

    head, _, note = proof.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1"
    entry = base64.b64decode(lines[1].removeprefix("extra "))
    index = int(lines[2].removeprefix("index "))
    path = [base64.b64decode(line) for line in lines[3:]]

    cut = note.rfind("\n\n")
    signed_text, signatures = note[: cut + 1], note[cut + 2 :].splitlines()
    mine = [s for s in signatures if s.startswith(f"\u2014 {name} ")]
    raw = base64.b64decode(mine[0].split(" ")[2])
    assert raw[:4] == expected_id
    Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], signed_text.encode())
    origin, size, root = signed_text.split("\n")[:3]
    size, root = int(size), base64.b64decode(root)

    node = hashlib.sha256(b"\x00" + entry).digest()
    fn, sn = index, size - 1
    for sibling in path:
        if fn % 2 == 1 or fn == sn:
            node = hashlib.sha256(b"\x01" + sibling + node).digest()
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            node = hashlib.sha256(b"\x01" + node + sibling).digest()
        fn, sn = fn // 2, sn // 2
    assert sn == 0 and node == root, "the proof leads to the signed root"
    return {"origin": origin, "size": size, "event": entry, "seq": index + 1}


def test_a_proof_checks_by_the_documented_steps_alone(fill, checkpoint, act, keys):
    fill(777)
    note = checkpoint()

    for seq in (1, 256, 257, 500, 777):
        proof = act(audit.prove, "auditor", seq, note)
        checked = check_proof_by_hand(proof, keys)
        assert checked["seq"] == seq and checked["origin"] == NAME


def test_proving_is_for_auditors_and_a_refused_attempt_is_recorded(fill, checkpoint, refuses):
    fill(5)
    note = checkpoint()

    proof = refuses(Refused, audit.prove, "pm", 3, note)
    joined = refuses(Refused, audit.consistency, "pm", note, note)

    assert [r.rule for r in proof.refusals] == [r.rule for r in joined.refusals] == ["role.audit"]
