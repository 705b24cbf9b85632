"""A Lockgate workspace: one database, one evidence store, and the caches built from them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine
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

    def policy(self, row: PolicyVersion) -> Policy:
        """The parsed policy of a published version (parsed once, then cached)."""
        return self._compiled(row)[0]

    def known_policy(self, version_id: int, digest: str) -> Policy | None:
        """The parsed policy of version `version_id` when it is cached here with this digest
        (a reader with the id and digest need not load the version's row); else None."""
        cached = self._policies.get(version_id)
        return cached[1] if cached is not None and cached[0] == digest else None

    def lifecycle(self, row: PolicyVersion) -> Lifecycle:
        """The project state machine of a policy version (built once, then cached)."""
        return self._compiled(row)[1]

    def _compiled(self, row: PolicyVersion) -> tuple[Policy, Lifecycle]:
        cached = self._policies.get(row.id)
        if cached is not None and cached[0] == row.digest:
            return cached[1], cached[2]
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
    return make_engine(engine.url, read_only=True)
