"""The evidence stores, a folder and S3 (a real SeaweedFS): the same promises from both.

Files are kept by SHA-256, written once, refused when empty or too large, never half
written, and checked against their record on every read."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.servers import BUCKET, SeaweedFS, free_ports
from workflows.errors import InvalidInput
from workflows.store.evidence import (
    EvidenceMismatch,
    EvidenceMissing,
    EvidenceStore,
    FolderStore,
    S3Store,
    StoreUnavailable,
    store_from_environment,
    verified_copy,
    verify,
)

CHARTER = b"%PDF-1.7 project charter, signed by the sponsor"
DIGEST = hashlib.sha256(CHARTER).hexdigest()
LIMIT = 1024


def stored(store: EvidenceStore, s3: SeaweedFS | None) -> list[str]:
    """Every file or object the store holds (temporary files included)."""
    if isinstance(store, FolderStore):
        root = store.root
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert isinstance(store, S3Store) and s3 is not None
    listing = s3.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{store.prefix}/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


def overwrite(store: EvidenceStore, s3: SeaweedFS | None, digest: str, content: bytes) -> None:
    """Replace a stored file's bytes behind the store's back."""
    if isinstance(store, FolderStore):
        path = store.path(digest)
        path.chmod(0o644)
        path.write_bytes(content)
    else:
        assert isinstance(store, S3Store) and s3 is not None
        s3.client().put_object(Bucket=BUCKET, Key=store.key(digest), Body=content)


@pytest.fixture(params=["folder", "s3"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def s3(kind: str, request: pytest.FixtureRequest) -> SeaweedFS | None:
    """The SeaweedFS behind the S3 store (None for the folder)."""
    return request.getfixturevalue("s3_env") if kind == "s3" else None


@pytest.fixture
def store(kind: str, s3: SeaweedFS | None, tmp_path: Path) -> EvidenceStore:
    """A fresh store with a 1 KiB limit: a folder, or a new prefix in the test bucket."""
    if kind == "folder":
        return FolderStore(tmp_path / "evidence", LIMIT)
    return S3Store(BUCKET, f"test-{uuid.uuid4().hex[:12]}", LIMIT)


def test_a_file_is_kept_by_its_sha256_and_reads_back_verified(store, s3):
    assert store.put(io.BytesIO(CHARTER)) == (DIGEST, len(CHARTER))

    assert store.exists(DIGEST)
    with verified_copy(store.open(DIGEST, len(CHARTER))) as copy:
        assert copy.read() == CHARTER
    assert len(stored(store, s3)) == 1


def test_the_s3_object_key_is_the_digest_under_the_prefix(s3_env):
    store = S3Store(BUCKET, "/evidence/v1/")
    store.put(io.BytesIO(CHARTER))

    head = s3_env.client().head_object(Bucket=BUCKET, Key=f"evidence/v1/{DIGEST}")
    assert head["ContentLength"] == len(CHARTER)
    assert store.location == f"s3://{BUCKET}/evidence/v1"


def test_the_same_bytes_stored_twice_are_kept_once(store, s3):
    first = store.put(io.BytesIO(CHARTER))
    second = store.put(io.BytesIO(CHARTER))

    assert first == second
    assert len(stored(store, s3)) == 1


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(store, s3):
    with pytest.raises(InvalidInput, match=r"larger than the 0\.0009.* MiB limit"):
        store.put(io.BytesIO(b"x" * (LIMIT + 1)))

    assert stored(store, s3) == []


def test_a_file_at_the_limit_is_accepted(store):
    digest, size = store.put(io.BytesIO(b"x" * LIMIT))

    assert size == LIMIT
    assert store.exists(digest)


def test_an_empty_file_is_refused_and_nothing_is_kept(store, s3):
    with pytest.raises(InvalidInput, match="The file is empty"):
        store.put(io.BytesIO(b""))

    assert stored(store, s3) == []


class BrokenUpload(io.RawIOBase):
    """An upload whose connection drops after its first bytes."""

    def __init__(self) -> None:
        self.sent = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.sent:
            raise ConnectionResetError("the client went away")
        self.sent = True
        return b"the first half of a charter"


def test_a_broken_upload_leaves_nothing_half_written(store, s3):
    with pytest.raises(ConnectionResetError):
        store.put(BrokenUpload())  # type: ignore[arg-type]

    assert stored(store, s3) == []


@pytest.mark.parametrize(
    ("tampered", "why"),
    [
        (b"%PDF-1.7 project charter, signed by the sponsoR", "same size, one byte changed"),
        (CHARTER[:-5], "truncated"),
        (CHARTER + b" and a forged annex", "longer"),
    ],
)
def test_a_tampered_file_is_refused_before_a_byte_is_served(store, s3, tampered, why):
    store.put(io.BytesIO(CHARTER))
    overwrite(store, s3, DIGEST, tampered)

    with pytest.raises(EvidenceMismatch, match=r"does not match its record.*tell an admin"):
        verified_copy(store.open(DIGEST, len(CHARTER)))


def test_a_checked_stream_refuses_a_tampered_file_when_read_to_its_end(store, s3):
    store.put(io.BytesIO(CHARTER))
    overwrite(store, s3, DIGEST, CHARTER.upper())

    with pytest.raises(EvidenceMismatch):
        verify(store.open(DIGEST))  # no size given: the digest alone catches it


def test_a_missing_file_is_a_clear_error(store):
    absent = hashlib.sha256(b"never stored").hexdigest()

    assert not store.exists(absent)
    with pytest.raises(EvidenceMissing, match=f"{absent} is missing from .*tell an admin"):
        store.open(absent)


def test_a_digest_that_is_not_sha256_is_refused(store):
    with pytest.raises(InvalidInput, match="is not a SHA-256 digest"):
        store.open("../../etc/passwd")


# -- choosing the store, and what S3 says when it cannot be used -------------------------------


def test_without_lockgate_evidence_url_the_store_is_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("LOCKGATE_EVIDENCE_URL", raising=False)

    store = store_from_environment(tmp_path / "evidence")

    assert isinstance(store, FolderStore) and store.root == tmp_path / "evidence"


def test_an_s3_address_chooses_the_s3_store(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCKGATE_EVIDENCE_URL", "s3://lockgate-evidence/prod/files")

    store = store_from_environment(tmp_path)

    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix) == ("lockgate-evidence", "prod/files")


@pytest.mark.parametrize("url", ["/srv/evidence", "s3://", "s3://Bad_Bucket/x", "https://b/x"])
def test_an_address_that_is_not_s3_is_refused_naming_the_setting(tmp_path, monkeypatch, url):
    monkeypatch.setenv("LOCKGATE_EVIDENCE_URL", url)

    with pytest.raises(StoreUnavailable, match=r"LOCKGATE_EVIDENCE_URL=.* s3://<bucket>/<prefix>"):
        store_from_environment(tmp_path)


def one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text
    return text


S3_PROBLEMS: dict[str, tuple[Callable[[Any, pytest.MonkeyPatch], S3Store], str]] = {
    "no bucket": (
        lambda _, patch: S3Store("no-such-bucket", "x"),
        "bucket 'no-such-bucket' does not exist at http://127.0.0.1:.*create it, or set "
        "LOCKGATE_EVIDENCE_URL",
    ),
    "endpoint unreachable": (
        lambda _, patch: (
            patch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_ports(1)[0]}"),
            S3Store(BUCKET, "x"),
        )[1],
        "cannot be reached .*set AWS_ENDPOINT_URL \\(or AWS_ENDPOINT_URL_S3\\)",
    ),
    "no credentials": (
        lambda _, patch: (
            patch.delenv("AWS_ACCESS_KEY_ID"),
            patch.delenv("AWS_SECRET_ACCESS_KEY"),
            patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull),
            patch.setenv("AWS_CONFIG_FILE", os.devnull),
            S3Store(BUCKET, "x"),
        )[-1],
        "No S3 credentials for s3://lockgate-test/x: set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY",
    ),
}


@pytest.mark.parametrize("problem", S3_PROBLEMS)
def test_s3_problems_are_one_line_saying_what_to_set(s3_env, monkeypatch, problem):
    make, message = S3_PROBLEMS[problem]
    store = make(s3_env, monkeypatch)

    attempts = (store.check, lambda: store.put(io.BytesIO(CHARTER)), lambda: store.open(DIGEST))
    for attempt in attempts:
        with pytest.raises(StoreUnavailable) as caught:
            attempt()
        assert caught.match(message), one_line(caught.value)
        one_line(caught.value)


def test_commands_that_do_not_touch_evidence_do_not_import_boto3(tmp_path):
    script = (
        "import sys; from workflows.workspace import Workspace; "
        "w = Workspace.from_environment(); print(type(w.evidence).__name__, 'boto3' in sys.modules)"
    )
    env = {
        **os.environ,
        "LOCKGATE_EVIDENCE_URL": "s3://lockgate-evidence/x",
        "LOCKGATE_INSTANCE": str(tmp_path),
    }
    env.pop("LOCKGATE_DATABASE_URL", None)

    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True)

    assert done.stdout.decode().split() == ["S3Store", "False"]
