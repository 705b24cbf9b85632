"""Signed checkpoints in the C2SP formats: Ed25519 against RFC 8032's test vectors (section
7.1), key ids and key texts as signed-note defines them, and checkpoints that only a known
key's signature opens."""

from __future__ import annotations

import base64
import hashlib

import pytest

from gates.merkle import TreeHead, leaf_hash, tree_head
from gates.notes import (
    DASH,
    NoteError,
    checkpoint_text,
    key_id,
    open_checkpoint,
    parse_checkpoint_text,
    parse_proof,
    parse_verifier_key,
    proof_text,
    sign_note,
    verifier_key,
)
from workflows.store.audit_keys import generate, signer_from_text, verify_ed25519

# RFC 8032, section 7.1: TEST 1, TEST 2 and TEST 3 (secret key, public key, message, signature).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]
NAME = "lockgate.test/audit"


def signer_text(seed_hex: str, public_hex: str, name: str = NAME) -> str:
    encoded = base64.b64encode(b"\x01" + bytes.fromhex(seed_hex)).decode()
    return f"PRIVATE+KEY+{name}+{key_id(name, bytes.fromhex(public_hex)).hex()}+{encoded}"


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_ed25519_signs_and_verifies_as_rfc_8032_says(seed, public, message, signature):
    signer = signer_from_text(signer_text(seed, public))

    assert signer.public.public_key.hex() == public
    assert signer.sign(bytes.fromhex(message)).hex() == signature
    assert verify_ed25519(bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature))
    assert not verify_ed25519(bytes.fromhex(public), b"other", bytes.fromhex(signature))


def test_a_key_id_is_the_first_four_bytes_of_the_hash_of_name_type_and_key():
    public = bytes.fromhex(RFC8032[0][1])
    expected = hashlib.sha256(NAME.encode() + b"\n\x01" + public).digest()[:4]

    assert key_id(NAME, public) == expected
    assert parse_verifier_key(verifier_key(NAME, public).text()).key_id == expected


def test_a_generated_key_pair_round_trips_through_its_texts():
    secret, public = generate(NAME)
    signer = signer_from_text(secret)

    assert secret.startswith(f"PRIVATE+KEY+{NAME}+") and public.startswith(f"{NAME}+")
    assert parse_verifier_key(public) == signer.public


def signed_checkpoint(size: int = 3, seed: int = 0) -> tuple[str, object]:
    signer = signer_from_text(signer_text(*RFC8032[seed][:2]))
    head = tree_head(leaf_hash(bytes([i])) for i in range(size))
    note = sign_note(checkpoint_text(NAME, head), NAME, signer.public.public_key, signer.sign)
    return note, signer


def test_a_checkpoint_is_origin_size_and_root_then_one_signature_line():
    note, signer = signed_checkpoint()
    text, _, signature = note.partition("\n\n")

    origin, size, root = text.split("\n")
    assert (origin, size) == (NAME, "3")
    assert base64.b64decode(root) == tree_head(leaf_hash(bytes([i])) for i in range(3)).root
    assert signature.startswith(f"{DASH} {NAME} ") and signature.endswith("\n")
    raw = base64.b64decode(signature.split(" ")[2])
    assert raw[:4] == signer.public.key_id and len(raw) == 68


def test_a_checkpoint_opens_with_its_public_key_only():
    note, signer = signed_checkpoint()

    opened = open_checkpoint(note, [signer.public], verify_ed25519)

    assert (opened.origin, opened.size, opened.signed_by) == (NAME, 3, signer.public)


def test_a_forged_checkpoint_is_refused():
    note, signer = signed_checkpoint()
    _, other = signed_checkpoint(seed=1)
    forged = note.replace("\n3\n", "\n4\n", 1)

    with pytest.raises(NoteError, match="does not match"):
        open_checkpoint(forged, [signer.public], verify_ed25519)
    with pytest.raises(NoteError, match="not by a key given to check it with"):
        open_checkpoint(note, [other.public], verify_ed25519)


def test_a_checkpoint_signed_by_another_key_of_the_same_name_is_not_trusted():
    _, trusted = signed_checkpoint(seed=0)
    forged, _ = signed_checkpoint(seed=1)  # same name, another key: another key id

    with pytest.raises(NoteError, match="not by a key given"):
        open_checkpoint(forged, [trusted.public], verify_ed25519)


@pytest.mark.parametrize(
    "text",
    [
        "origin\n12\n",
        "origin\nx\nAAAA\n",
        "origin\n012\n" + base64.b64encode(b"\0" * 32).decode() + "\n",
        "origin\n1\nAAAA\n",
        "\n1\n" + base64.b64encode(b"\0" * 32).decode() + "\n",
    ],
)
def test_a_malformed_checkpoint_text_is_named(text):
    with pytest.raises(NoteError):
        parse_checkpoint_text(text)


def test_a_proof_round_trips_through_the_tlog_proof_format():
    note, _ = signed_checkpoint()
    hashes = [bytes([1]) * 32, bytes([2]) * 32]

    text = proof_text(5, hashes, note, b'{"action":"x"}')
    parsed = parse_proof(text)

    assert text.startswith("c2sp.org/tlog-proof@v1\nextra ")
    assert (parsed.index, parsed.proof, parsed.extra) == (5, tuple(hashes), b'{"action":"x"}')
    assert parsed.checkpoint_note == note


def test_the_tree_head_type_is_what_a_checkpoint_holds():
    assert parse_checkpoint_text(checkpoint_text(NAME, TreeHead(0, b"\0" * 32)))[1].size == 0
