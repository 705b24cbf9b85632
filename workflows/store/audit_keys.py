"""The keys that sign and check audit checkpoints: Ed25519, written as note signer and
verifier keys (gates.notes), kept outside the database.

The private key is read from LOCKGATE_AUDIT_KEY: a file that holds it, or the key text
itself (PRIVATE+KEY+...). Checking needs only public keys: those given on the command line,
else LOCKGATE_AUDIT_PUBLIC_KEY (a file of keys, one per line, or the key text), plus the
public half of the private key when this host has it. Keys rotate by key id: a new key is a
new line in the public key file, and old checkpoints keep verifying with the old line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gates.notes import (
    NoteError,
    VerifierKey,
    parse_signer_key,
    parse_verifier_key,
    signer_key_text,
    verifier_key,
)

PRIVATE_ENV = "LOCKGATE_AUDIT_KEY"
PUBLIC_ENV = "LOCKGATE_AUDIT_PUBLIC_KEY"


class AuditKeyError(ValueError):
    """No usable key: what is missing and how to provide it."""


@dataclass(frozen=True)
class SignerKey:
    """A private signing key and its public half, under its key name."""

    name: str
    private: Ed25519PrivateKey
    public: VerifierKey

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of `message`."""
        return self.private.sign(message)


def generate(name: str) -> tuple[str, str]:
    """A new key pair under `name`: the signer key text (secret) and the verifier key text."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return signer_key_text(name, seed, public), verifier_key(name, public).text()


def signer_from_text(text: str) -> SignerKey:
    """The signer key a PRIVATE+KEY+... text holds; NoteError when it is malformed."""
    name, hex_id, seed = parse_signer_key(text)
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = verifier_key(name, private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    if public.key_id.hex() != hex_id.lower():
        raise NoteError(f"the private key {name} does not match its key id {hex_id}")
    return SignerKey(name, private, public)


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is an Ed25519 signature of `message` by `public_key`."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def configured_signer() -> SignerKey:
    """The private key LOCKGATE_AUDIT_KEY names (a file, or the key text)."""
    setting = os.environ.get(PRIVATE_ENV, "").strip()
    if not setting:
        raise AuditKeyError(
            f"No checkpoint signing key: set {PRIVATE_ENV} to the key file that "
            "`lockgate audit keygen` wrote (keep it off the database host)."
        )
    text = setting if setting.startswith("PRIVATE+KEY+") else _read(Path(setting), PRIVATE_ENV)
    try:
        return signer_from_text(text)
    except NoteError as error:
        raise AuditKeyError(f"{PRIVATE_ENV} does not hold a usable private key: {error}") from None


def verifier_keys(given: Iterable[str] = ()) -> list[VerifierKey]:
    """The public keys to check checkpoints with: each of `given` (a key text, or a file of
    keys), else LOCKGATE_AUDIT_PUBLIC_KEY; plus the signing key's public half when this
    host has one. Raises AuditKeyError when there is none."""
    sources = list(given) or [s for s in [os.environ.get(PUBLIC_ENV, "").strip()] if s]
    keys = [key for source in sources for key in _keys_in(source)]
    if os.environ.get(PRIVATE_ENV, "").strip():
        keys.append(configured_signer().public)
    if not keys:
        raise AuditKeyError(
            f"No public key to check checkpoints with: give --key FILE, or set {PUBLIC_ENV} "
            "to the public key file that `lockgate audit keygen` wrote."
        )
    return keys


def _keys_in(source: str) -> list[VerifierKey]:
    path = Path(source)
    is_text = "+" in source and not path.exists()
    text = source if is_text else _read(path, "--key")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        return [parse_verifier_key(line) for line in lines if not line.startswith("#")]
    except NoteError as error:
        raise AuditKeyError(f"{source} does not hold public keys: {error}") from None


def _read(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise AuditKeyError(f"{where}: cannot read {path}: {error.strerror}") from None
