"""The unit of work: one transaction per verb, with its audit event appended inside it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVarTuple

from sqlalchemy import (
    Select,
    Transaction,
    Update,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import ReturningInsert

from gates.chain import GENESIS, ChainedEvent, ChainHead, canonical_bytes, chain_next
from workflows.errors import Conflict
from workflows.store.records import AuditEvent, Project, Review, SignatureRecord
from workflows.store.records import ChainHead as ChainHeadRow
from workflows.store.statements import Runner, Statement

if TYPE_CHECKING:
    from workflows.workspace import Workspace


Row = TypeVarTuple("Row")

_LOCK_HEAD = (
    select(ChainHeadRow.seq, ChainHeadRow.hash).where(ChainHeadRow.id == 1).with_for_update()
)
_SEED_HEAD = insert(ChainHeadRow)
_APPEND = insert(AuditEvent)


CONFLICT = "Someone else changed this record at the same moment; reload it and try again."


@cache
def _inserting(model: type[SignatureRecord]) -> ReturningInsert[int]:
    return insert(model).returning(model.id)


@cache
def _guarded_update(model: type[Project] | type[Review]) -> Update:
    # No SET clause: Core sets the columns named by the parameters of each execution.
    return update(model).where(
        model.id == bindparam("record_id"), model.version == bindparam("seen")
    )


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UnitOfWork:
    """A transaction: `with workspace.unit_of_work() as uow: ...; uow.commit()`.

    Leaving the block without commit() rolls everything back, audit events included.
    """

    def __init__(self, workspace: Workspace, *, read_only: bool = False) -> None:
        self.workspace = workspace
        self.read_only = read_only
        self.events: list[ChainedEvent] = []
        self._session: Session | None = None
        # The transaction of the hot statements (rows, insert, update, record) when they run
        # before anything opened an ORM session: sign and decide never need one.
        self._bare: Transaction | None = None
        self._runner: Runner | None = None  # runs the hot statements in this transaction

    def __enter__(self) -> UnitOfWork:
        self.now = self.workspace.clock()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._close()

    @property
    def session(self) -> Session:
        """The ORM session, opened on first use; it joins the transaction already begun, if any."""
        if self._session is None:
            if self._bare is not None:
                self._session = Session(
                    bind=self._bare.connection,
                    expire_on_commit=False,
                    join_transaction_mode="rollback_only",
                )
            else:
                sessions = (
                    self.workspace.read_sessions if self.read_only else self.workspace.sessions
                )
                self._session = sessions()
                self._session.begin()
        return self._session

    def commit(self) -> None:
        """Commit the change and its audit events together."""
        self._runner = None  # what follows begins anew, maybe on another connection
        if self._bare is None:
            if self._session is not None:
                try:
                    self._session.commit()
                except StaleDataError as error:
                    self._session.rollback()
                    raise Conflict(CONFLICT) from error
            return
        if self._session is not None:
            try:
                self._session.flush()
            except StaleDataError as error:
                self._close()
                raise Conflict(CONFLICT) from error
            # A session that joined the transaction leaves it to us: closing it first keeps
            # it from rolling back a transaction already committed.
            self._session.close()
            self._session = None
        self._bare.commit()
        self._close()

    def _close(self) -> None:
        if self._session is not None:
            if self._session.in_transaction():
                self._session.rollback()
            self._session.close()
            self._session = None
        if self._bare is not None:
            self.workspace.end(self._bare)
            self._bare = None
        self._runner = None

    # The hot verbs (sign, decide) read and write through the methods below rather than the
    # ORM: the same rows and the same checks, run by workflows.store.statements (bench/engine.py).

    def insert(self, model: type[SignatureRecord], **values: Any) -> int:
        """INSERT a new row of `model` now, with every column's value; returns its id."""
        [(record_id,)] = self._run(_inserting(model), values)
        return int(record_id)

    def update(
        self, model: type[Project] | type[Review], record_id: int, seen: int, **values: Any
    ) -> None:
        """UPDATE one project or review row now: `values` on the row `record_id`.

        The statement makes the check the mapper's version_id_col makes at flush: it changes
        the row only if its version is still `seen`, the one read, and bumps it. Raises
        Conflict when another transaction changed the row meanwhile.
        """
        values["version"] = seen + 1
        changed = self._run(
            _guarded_update(model), {"record_id": record_id, "seen": seen, **values}
        )
        if changed != 1:
            raise Conflict(CONFLICT)

    def rows(self, statement: Select[*Row], params: Mapping[str, Any]) -> list[tuple[*Row]]:
        """The rows of a column-only SELECT built once (module level), in this transaction.

        For values the verbs only read (evidence, waivers, roles): it skips the ORM's
        per-statement work. Pending changes are flushed first, as the ORM's autoflush would,
        so the rows include what this verb wrote.
        """
        if self._session is not None:
            self._session.flush()
        return self._runner_now().rows(statement, params)

    def _run(self, statement: Statement, params: Mapping[str, Any]) -> Any:
        return self._runner_now().run(statement, params)

    def _runner_now(self) -> Runner:
        if self._runner is None:
            if self._session is not None:
                self._runner = Runner(self._session.connection())
            else:
                if self._bare is None:
                    self._bare = self.workspace.begin(read_only=self.read_only)
                self._runner = Runner(self._bare.connection)
        return self._runner

    def record(
        self,
        actor: str,
        action: str,
        project_key: str | None = None,
        **data: Any,
    ) -> ChainedEvent:
        """Append one audit event to the chain, inside this transaction.

        The chain head row is locked first (FOR UPDATE on PostgreSQL; SQLite transactions
        already hold the write lock), so appends have one total order; the database moves the
        head to the new event as part of its INSERT (a trigger: migrations 0004).
        """
        if self.read_only:
            raise RuntimeError(f"'{action}' changes state: it needs a writing unit of work")
        head = self._lock_head()
        body = canonical_bytes(
            {"action": action, "actor": actor, "at": self.now, "project": project_key, "data": data}
        )
        sealed = chain_next(head if head.seq else None, body)
        # The event is never read back as an ORM object: the unit-of-work bookkeeping would
        # be pure cost.
        self._run(
            _APPEND,
            {
                "seq": sealed.seq,
                "prev_hash": sealed.prev_hash,
                "hash": sealed.hash,
                "body": sealed.body,
                "at": self.now,
                "actor": actor,
                "action": action,
                "project_key": project_key,
            },
        )
        self.events.append(sealed)
        return sealed

    def _lock_head(self) -> ChainHead:
        found = self._run(_LOCK_HEAD, {})
        if not found:  # a schema made without the migration that seeds the head row
            self._run(_SEED_HEAD, {"id": 1, "seq": 0, "hash": GENESIS})
            return ChainHead(0, GENESIS)
        return ChainHead(*found[0])
