"""The S3 store: evidence in S3-compatible object storage, shared by every host.

Chosen by LOCKGATE_EVIDENCE_URL=s3://bucket/prefix. The endpoint, the credentials and the
region come from the standard AWS variables (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION), read by boto3 itself. boto3 is
imported on first use: commands that never touch evidence do not pay for it.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from workflows.store.evidence.integrity import SPOOL_IN_MEMORY, checked, receive
from workflows.store.evidence.store import (
    DEFAULT_MAX_BYTES,
    EvidenceMissing,
    StoreUnavailable,
    missing,
    require_digest,
)

_CREDENTIALS = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to a key that may read and write it"
_REFUSED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "Forbidden"}
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


class S3Store:
    """Evidence objects at `prefix/<sha256>` in `bucket`: the key is the digest, nothing else."""

    def __init__(self, bucket: str, prefix: str = "", max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.max_bytes = max_bytes
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        """s3://bucket/prefix."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, digest: str) -> str:
        """The object key of the file with this digest."""
        require_digest(digest)
        return f"{self.prefix}/{digest}" if self.prefix else digest

    def put(self, stream: BinaryIO) -> tuple[str, int]:
        """Store the bytes of `stream`; returns (sha256 hex digest, size).

        The key is the digest, so the bytes are spooled first (to memory, then to a temporary
        file past 1 MiB, never the whole file in memory) while they are hashed and counted;
        one PUT then stores them, and a failed PUT stores nothing. An object already there
        is kept as it is (write once). Raises InvalidInput when the file is empty or too
        large, StoreUnavailable when the store cannot be used.
        """
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            digest, size = receive(stream, spool, self.max_bytes)
            if not self.exists(digest):
                spool.seek(0)
                with self._reporting():
                    self._s3().put_object(
                        Bucket=self.bucket,
                        Key=self.key(digest),
                        Body=spool,
                        ContentLength=size,
                        ContentType="application/octet-stream",
                        Metadata={"sha256": digest},
                    )
        return digest, size

    def open(self, digest: str, size: int | None = None) -> BinaryIO:
        """The stored object, checked against `digest` (and `size`) as it is read.

        Raises EvidenceMissing when there is no such object, StoreUnavailable when the
        store cannot be used; the stream raises EvidenceMismatch.
        """
        key = self.key(digest)
        with self._reporting(digest):
            body = self._s3().get_object(Bucket=self.bucket, Key=key)["Body"]
        return checked(_Body(body, self._reporting), digest, size, self.location)

    def exists(self, digest: str) -> bool:
        """True when an object is stored under this digest (its content is not read)."""
        key = self.key(digest)
        try:
            with self._reporting(digest):
                self._s3().head_object(Bucket=self.bucket, Key=key)
        except EvidenceMissing:
            return False
        return True

    def check(self) -> None:
        """Raises StoreUnavailable, saying what to set, unless the bucket answers."""
        with self._reporting():
            self._s3().head_bucket(Bucket=self.bucket)

    def _s3(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = _client()
        return self._client

    def _endpoint(self) -> str:
        return str(self._client.meta.endpoint_url) if self._client is not None else "S3"

    @contextmanager
    def _reporting(self, digest: str | None = None) -> Iterator[None]:
        """botocore's errors as one line in words: what happened and what to set."""
        from botocore import exceptions as boto

        try:
            yield
        except boto.NoCredentialsError:
            raise StoreUnavailable(
                f"No S3 credentials for {self.location}: {_CREDENTIALS}."
            ) from None
        except boto.NoRegionError:
            raise StoreUnavailable(
                f"No region for {self.location}: set AWS_DEFAULT_REGION."
            ) from None
        except (boto.ConnectionError, boto.HTTPClientError) as error:
            raise StoreUnavailable(
                f"The S3 endpoint {self._endpoint()} of {self.location} cannot be reached "
                f"({type(error).__name__}): set AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3) to "
                "a running S3 server."
            ) from None
        except boto.ClientError as error:
            raise self._answer(error, digest) from None
        except boto.BotoCoreError as error:  # e.g. a download cut off half way
            raise StoreUnavailable(
                f"The S3 store {self.location} at {self._endpoint()} failed: {error}"
            ) from None

    def _answer(self, error: Any, digest: str | None) -> Exception:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code == "NoSuchBucket" or (digest is None and code in _NOT_FOUND):
            return self._no_bucket()
        if digest is not None and code in _NOT_FOUND:
            return missing(digest, self.location)
        if code in _REFUSED:
            # Some servers refuse a write to a bucket that does not exist rather than say so.
            if not self._bucket_answers():
                return self._no_bucket()
            where = f"{self._endpoint()} refused access to {self.location} ({code})"
            return StoreUnavailable(f"{where}: {_CREDENTIALS}.")
        message = error.response.get("Error", {}).get("Message", "")
        return StoreUnavailable(
            f"The S3 store {self.location} at {self._endpoint()} answered {code}: {message}"
        )

    def _no_bucket(self) -> StoreUnavailable:
        return StoreUnavailable(
            f"The bucket '{self.bucket}' does not exist at {self._endpoint()}: create it, "
            "or set LOCKGATE_EVIDENCE_URL to s3://<an existing bucket>/<prefix>."
        )

    def _bucket_answers(self) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._s3().head_bucket(Bucket=self.bucket)
        except ClientError as error:
            return str(error.response.get("Error", {}).get("Code", "")) not in _NOT_FOUND
        return True


class _Body:
    """An object's streaming body whose failures, half way through, are said in words too."""

    def __init__(self, body: Any, reporting: Any) -> None:
        self._body = body
        self._reporting = reporting

    def read(self, size: int = -1) -> bytes:
        with self._reporting():
            chunk: bytes = self._body.read(None if size < 0 else size)
        return chunk

    def close(self) -> None:
        self._body.close()


def _client() -> Any:
    import boto3
    from botocore.config import Config

    # S3-compatible servers behind a custom endpoint address buckets by path: a virtual host
    # name (bucket.localhost) would not resolve.
    custom = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": "path" if custom else "auto"},
    )
    return boto3.session.Session().client("s3", config=config)
