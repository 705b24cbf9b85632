"""A Lockgate workspace: one database, one evidence store, and the caches built from them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, Transaction
from sqlalchemy.orm import sessionmaker

from policies.loader import parse_policy
from policies.model import Policy
from workflows.machines import Lifecycle, project_lifecycle, review_lifecycle
from workflows.store.db import instance_path, make_engine
from workflows.store.evidence import (
    DEFAULT_MAX_BYTES,
    EvidenceStore,
    FolderStore,
    store_from_environment,
)
from workflows.store.records import PolicyVersion
from workflows.store.uow import UnitOfWork, utcnow


class Workspace:
    """Everything the verbs need that outlives one transaction."""

    def __init__(
        self,
        engine: Engine,
        evidence: EvidenceStore | Path,
        clock: Callable[[], datetime] = utcnow,
        max_upload_bytes: int = DEFAULT_MAX_BYTES,
        connection: Connection | None = None,
        read_engine: Engine | None = None,
    ) -> None:
        self.engine = engine
        # SQLite: every writing transaction takes the database's write lock when it begins.
        self.one_writer_at_a_time = engine.dialect.name == "sqlite"
        # Tests pass one connection whose outer transaction is rolled back after each test:
        # every unit of work is then a savepoint in it.
        self._outer = connection
        if connection is None:
            self.sessions = sessionmaker(engine, expire_on_commit=False)
            self.read_engine = read_engine or _reader_of(engine)
            self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        else:
            self.sessions = self.read_sessions = sessionmaker(
                bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            self.read_engine = engine
        # A folder is today's store; several hosts pass an S3Store (store_from_environment).
        self.evidence: EvidenceStore = (
            FolderStore(evidence, max_upload_bytes) if isinstance(evidence, Path) else evidence
        )
        self.clock = clock
        self.reviews = review_lifecycle()
        self._policies: dict[int, tuple[str, Policy, Lifecycle]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, url: str | None = None) -> Workspace:
        """The workspace of LOCKGATE_DATABASE_URL (or the instance SQLite file) and of
        LOCKGATE_EVIDENCE_URL (or the instance's evidence folder).

        Raises StoreUnavailable when LOCKGATE_EVIDENCE_URL is not an s3:// address.
        """
        evidence = store_from_environment(instance_path() / "evidence")
        return cls(make_engine(url), evidence)

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A new transaction: use it in a `with` block and call commit().

        A `read_only` one never takes SQLite's write lock and cannot record audit events.
        """
        return UnitOfWork(self, read_only=read_only)

    def begin(self, *, read_only: bool = False) -> Transaction:
        """A transaction on a bare connection (no ORM session); end it with end()."""
        if self._outer is not None:
            return self._outer.begin_nested()
        connection = (self.read_engine if read_only else self.engine).connect()
        return connection.begin()

    def end(self, transaction: Transaction) -> None:
        """Roll back `transaction` unless it was committed, and release its connection."""
        if transaction.is_active:
            transaction.rollback()
        if transaction.connection is not self._outer:
            transaction.connection.close()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A short read-only transaction on a bare connection, for rows read as values.

        Lighter than a read-only unit of work: for the password check that precedes every
        signature. Rolled back when the block ends.
        """
        transaction = self.begin(read_only=True)
        try:
            yield transaction.connection
        finally:
            self.end(transaction)

    def policy(self, row: PolicyVersion) -> Policy:
        """The parsed policy of a published version (parsed once, then cached)."""
        return self._compiled(row)[0]

    def lifecycle(self, row: PolicyVersion) -> Lifecycle:
        """The project state machine of a policy version (built once, then cached)."""
        return self._compiled(row)[1]

    def compiled(self, version_id: int, digest: str) -> tuple[Policy, Lifecycle] | None:
        """The policy and machine of a version already compiled here, or None.

        For readers that have the version's id and digest but not its row (the review verbs).
        """
        cached = self._policies.get(version_id)
        if cached is None or cached[0] != digest:
            return None
        return cached[1], cached[2]

    def _compiled(self, row: PolicyVersion) -> tuple[Policy, Lifecycle]:
        found = self.compiled(row.id, row.digest)
        if found is not None:
            return found
        with self._lock:
            policy = parse_policy(row.source, f"{row.ref} (published)")
            lifecycle = project_lifecycle(policy)
            self._policies[row.id] = (row.digest, policy, lifecycle)
        return policy, lifecycle

    def dispose(self) -> None:
        """Close every pooled database connection."""
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def _reader_of(engine: Engine) -> Engine:
    """SQLite gets a second, read-only engine on the same file; other databases need none."""
    if engine.dialect.name != "sqlite":
        return engine
    return make_engine(engine.url.render_as_string(hide_password=False), read_only=True)
