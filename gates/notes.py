"""Checkpoints in the formats transparency logs share, so tools outside Lockgate read them:
C2SP tlog-checkpoint (origin, tree size, base64 root hash) inside a C2SP signed-note with
Ed25519 signature lines, keys written as note verifier and signer keys, and inclusion proofs
as C2SP tlog-proof.

    lockgate.example/audit
    48213
    kA8V0bs3tB3Ly6F8CNxpoyOrIpZs7H9fQyrxqflK4vg=

    — lockgate.example/audit qbdnV0N2Lk...

Pure text: the Ed25519 arithmetic is passed in (workflows.store.audit_keys holds it), so these
functions read and write the formats and check what a signature line claims, no more.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from gates.merkle import HASH_SIZE, TreeHead

ED25519 = 0x01  # the signed-note signature type of Ed25519
DASH = "\u2014"  # the em dash that opens a signature line
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
CONSISTENCY_HEADER = "lockgate.audit/consistency-proof@v1"
MAX_SIGNATURES = 16

# verify(public_key, message, signature) -> True when the Ed25519 signature holds.
Verify = Callable[[bytes, bytes, bytes], bool]
# sign(message) -> the 64-byte Ed25519 signature by a signer key's private half.
Sign = Callable[[bytes], bytes]


class NoteError(ValueError):
    """A checkpoint, key or proof text that is malformed, or whose signature does not hold."""


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A public key as a note verifier names it: `name+<key id hex>+<base64(0x01 || key)>`."""

    name: str
    key_id: bytes
    public_key: bytes

    def text(self) -> str:
        """The key written as a note verifier key."""
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


@dataclass(frozen=True, slots=True)
class TreeCheckpoint:
    """A tree head signed for a log: its origin, size and root, the note text signed, and
    the verifier key whose signature was checked."""

    origin: str
    head: TreeHead
    note: str
    signed_by: VerifierKey

    @property
    def size(self) -> int:
        """The number of events the checkpoint commits to."""
        return self.head.size


def key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(key name || 0x0A || 0x01 || public key)[:4], as signed-note recommends."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def check_key_name(name: str) -> str:
    """`name` when it can name a key (non-empty, no space, no '+'); else NoteError."""
    if not name or any(c.isspace() or c == "+" for c in name) or not name.isprintable():
        raise NoteError(f"'{name}' cannot name a key: use a name like lockgate.example/audit")
    return name


def verifier_key(name: str, public_key: bytes) -> VerifierKey:
    """The verifier key of an Ed25519 public key under `name`."""
    return VerifierKey(check_key_name(name), key_id(name, public_key), public_key)


def parse_verifier_key(text: str) -> VerifierKey:
    """The verifier key written as `name+<key id hex>+<base64(0x01 || key)>`."""
    name, hex_id, encoded = _split_key(text.strip(), 3, "a public key (name+id+key)")
    key = _key_bytes(encoded, ED25519)
    found = verifier_key(name, key)
    if found.key_id.hex() != hex_id.lower():
        raise NoteError(f"the public key {name} does not match its key id {hex_id}")
    return found


def signer_key_text(name: str, seed: bytes, public_key: bytes) -> str:
    """A private key written as a note signer key: PRIVATE+KEY+name+id+base64(0x01||seed)."""
    encoded = base64.b64encode(bytes([ED25519]) + seed).decode()
    return f"PRIVATE+KEY+{check_key_name(name)}+{key_id(name, public_key).hex()}+{encoded}"


def parse_signer_key(text: str) -> tuple[str, str, bytes]:
    """The name, key id (hex) and Ed25519 seed of a signer key text."""
    parts = text.strip().split("+", 4)  # base64 may hold '+': the key comes last
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("not a private key: expected PRIVATE+KEY+name+id+key")
    name, hex_id, encoded = parts[2:]
    return check_key_name(name), hex_id, _key_bytes(encoded, ED25519)


def checkpoint_text(origin: str, head: TreeHead) -> str:
    """The note text of a tlog-checkpoint: origin, size and base64 root, one per line."""
    if not origin or "\n" in origin:
        raise NoteError("a checkpoint's origin is one non-empty line")
    root = base64.b64encode(head.root).decode()
    return f"{origin}\n{head.size}\n{root}\n"


def sign_note(text: str, name: str, public_key: bytes, sign: Sign) -> str:
    """`text` (ending in a newline) as a signed note with one Ed25519 signature line."""
    if not text.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    signature = key_id(name, public_key) + sign(text.encode())
    return f"{text}\n{DASH} {name} {base64.b64encode(signature).decode()}\n"


def check_checkpoint_format(note: str) -> None:
    """Raise NoteError unless `note` is shaped as a signed checkpoint (before any key)."""
    try:
        text, _ = _split_note(note)
        parse_checkpoint_text(text)
    except NoteError as error:
        raise NoteError(f"This is not a checkpoint file: {error}.") from None


def open_checkpoint(note: str, keys: Iterable[VerifierKey], verify: Verify) -> TreeCheckpoint:
    """The checkpoint a signed note holds, once a signature by one of `keys` verifies.

    Signatures by unknown keys are ignored; a known key whose signature fails rejects the
    note, as signed-note asks. Raises NoteError with the reason in words.
    """
    text, lines = _split_note(note)
    known = {(k.name, k.key_id): k for k in keys}
    trusted = None
    for name, signature in lines:
        key = known.get((name, signature[:4]))
        if key is None:
            continue
        if not verify(key.public_key, text.encode(), signature[4:]):
            raise NoteError(
                f"the signature by {name} does not match: the checkpoint was altered, "
                "or it was signed with another key of that name"
            )
        trusted = trusted or key
    if trusted is None:
        names = ", ".join(sorted({n for n, _ in lines})) or "nobody"
        raise NoteError(
            f"the checkpoint is signed by {names}, not by a key given to check it with "
            "(--key, or LOCKGATE_AUDIT_PUBLIC_KEY)"
        )
    origin, head = parse_checkpoint_text(text)
    return TreeCheckpoint(origin, head, note, trusted)


def parse_checkpoint_text(text: str) -> tuple[str, TreeHead]:
    """The origin and tree head of a checkpoint's note text (extension lines are kept in
    the text and ignored here)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash, one per line")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin:
        raise NoteError("the checkpoint's origin line is empty")
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError(f"the checkpoint's size '{size}' is not a whole number")
    head = TreeHead(int(size), _hash(root, "the checkpoint's root hash"))
    return origin, head


def proof_text(index: int, proof: Sequence[bytes], checkpoint_note: str, extra: bytes) -> str:
    """A C2SP tlog-proof: the entry's index, its inclusion proof and the signed checkpoint,
    with the entry itself (the event's stored bytes) as the extra data."""
    lines = [PROOF_HEADER, f"extra {base64.b64encode(extra).decode()}", f"index {index}"]
    lines += [base64.b64encode(node).decode() for node in proof]
    return "\n".join(lines) + "\n\n" + checkpoint_note


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """A tlog-proof read back: the entry (extra data), its index, the proof, the checkpoint."""

    extra: bytes
    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str


def parse_proof(text: str) -> InclusionProof:
    """The parts of a tlog-proof text (its checkpoint is opened separately)."""
    head, separator, note = text.partition("\n\n")
    if not separator:
        raise NoteError("a proof ends with its checkpoint, after a blank line")
    lines = head.split("\n")
    if lines[0] != PROOF_HEADER:
        raise NoteError(f"not a transparency-log proof: the first line is not {PROOF_HEADER}")
    rest, extra = lines[1:], b""
    if rest and rest[0].startswith("extra "):
        extra = _base64(rest.pop(0)[6:], "the proof's extra data")
    if not rest or not rest[0].startswith("index ") or not rest[0][6:].isdigit():
        raise NoteError("the proof has no 'index N' line")
    index = int(rest[0][6:])
    proof = tuple(_hash(line, "a proof hash") for line in rest[1:])
    return InclusionProof(extra, index, proof, note)


def consistency_text(old_size: int, new_size: int, proof: Sequence[bytes]) -> str:
    """A consistency proof between two checkpoints' trees: a header line, the two sizes and
    the RFC 9162 proof hashes in base64, one per line (checked with both checkpoints)."""
    lines = [CONSISTENCY_HEADER, f"old {old_size}", f"new {new_size}"]
    return "\n".join([*lines, *(base64.b64encode(node).decode() for node in proof)]) + "\n"


def parse_consistency(text: str) -> tuple[int, int, tuple[bytes, ...]]:
    """The sizes and hashes of a consistency proof text."""
    lines = text.strip("\n").split("\n")
    if len(lines) < 3 or lines[0] != CONSISTENCY_HEADER:
        raise NoteError(f"not a consistency proof: the first line is not {CONSISTENCY_HEADER}")
    sizes = []
    for line, word in zip(lines[1:3], ("old", "new"), strict=True):
        label, _, number = line.partition(" ")
        if label != word or not number.isdigit():
            raise NoteError(f"the consistency proof has no '{word} N' line")
        sizes.append(int(number))
    proof = tuple(_hash(line, "a proof hash") for line in lines[3:])
    return sizes[0], sizes[1], proof


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a signed note holds no control characters but newlines")
    if not note.endswith("\n"):
        raise NoteError("a signed note ends with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("a signed note has a blank line between its text and its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    lines = block.split("\n")[:-1]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a signed note has 1 to {MAX_SIGNATURES} signature lines")
    signatures = []
    for line in lines:
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if dash != DASH or not name or not encoded or " " in encoded:
            raise NoteError(f"not a signature line: '{line[:60]}'")
        signature = _base64(encoded, f"the signature by {name}")
        if len(signature) < 5:
            raise NoteError(f"the signature by {name} is too short")
        signatures.append((name, signature))
    return text, signatures


def _split_key(text: str, parts: int, what: str) -> list[str]:
    found = text.split("+", parts - 1)  # base64 may hold '+': the key comes last
    if len(found) != parts:
        raise NoteError(f"not {what}")
    return found


def _key_bytes(encoded: str, kind: int) -> bytes:
    raw = _base64(encoded, "the key")
    if len(raw) != 33 or raw[0] != kind:
        raise NoteError("the key is not an Ed25519 key (type 0x01, 32 bytes)")
    return raw[1:]


def _hash(line: str, what: str) -> bytes:
    value = _base64(line, what)
    if len(value) != HASH_SIZE:
        raise NoteError(f"{what} is not a SHA-256 hash")
    return value


def _base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not base64") from None
