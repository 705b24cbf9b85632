"""The unit of work: one transaction per verb, with its audit event appended inside it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVarTuple

from sqlalchemy import Result, Select, Update, bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from gates.chain import GENESIS, ChainedEvent, ChainHead, canonical_bytes, chain_next
from workflows.errors import Conflict
from workflows.records import AuditEvent, Project, Review, SignatureRecord
from workflows.records import ChainHead as ChainHeadRow

if TYPE_CHECKING:
    from workflows.workspace import Workspace


Row = TypeVarTuple("Row")

_LOCK_HEAD = (
    select(ChainHeadRow.seq, ChainHeadRow.hash).where(ChainHeadRow.id == 1).with_for_update()
)
_APPEND = insert(AuditEvent)
_INSERT_SIGNATURE = insert(SignatureRecord).returning(SignatureRecord.id)
_ADVANCE_HEAD = (
    update(ChainHeadRow)
    .where(ChainHeadRow.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


CONFLICT = "Someone else changed this record at the same moment; reload it and try again."


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
        self.session: Session
        self.events: list[ChainedEvent] = []

    def __enter__(self) -> UnitOfWork:
        sessions = self.workspace.read_sessions if self.read_only else self.workspace.sessions
        self.session = sessions()
        self.session.begin()
        self.now = self.workspace.clock()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.session.in_transaction():
            self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        """Commit the change and its audit events together."""
        try:
            self.session.commit()
        except StaleDataError as error:
            self.session.rollback()
            raise Conflict(CONFLICT) from error

    # The hot verbs (sign, decide) write their rows with the two methods below rather than
    # through the ORM's flush: the same rows and the same checks, at a quarter of the cost.

    def insert(self, record: SignatureRecord) -> None:
        """INSERT a new record now, in Core, and keep it in the session as a loaded object.

        Its id is set from the database, as a flush would set it.
        """
        values = {
            column.key: getattr(record, column.key)
            for column in inspect(SignatureRecord).column_attrs
            if column.key in record.__dict__
        }
        record.id = self.session.connection().execute(_INSERT_SIGNATURE, values).scalar_one()
        make_transient_to_detached(record)  # a row that exists, with the values just written
        self.session.add(record)

    def update(self, record: Project | Review, **values: Any) -> None:
        """UPDATE a project or review now, in Core, and set `values` on the object.

        The statement makes the check the mapper's version_id_col makes at flush: it changes
        the row only if its version is still the one read, and bumps it. Raises Conflict when
        another transaction changed the row meanwhile.
        """
        seen = record.version
        values["version"] = seen + 1
        result = self.session.connection().execute(
            _guarded_update(type(record)), {"record_id": record.id, "seen": seen, **values}
        )
        if result.rowcount != 1:
            raise Conflict(CONFLICT)
        for key, value in values.items():
            set_committed_value(record, key, value)

    def rows(self, statement: Select[*Row], params: Mapping[str, Any]) -> Result[*Row]:
        """Run a column-only SELECT on this transaction's connection and return its rows.

        For values the verbs only read (evidence, waivers, roles): it skips the ORM's
        per-statement work (~2x the cost of the query on SQLite). Pending changes are flushed
        first, as the ORM's autoflush would, so the rows include what this verb wrote.
        """
        self.session.flush()
        return self.session.connection().execute(statement, params)

    def record(
        self,
        actor: str,
        action: str,
        project_key: str | None = None,
        **data: Any,
    ) -> ChainedEvent:
        """Append one audit event to the chain, inside this transaction.

        The chain head row is locked first (FOR UPDATE on PostgreSQL; SQLite transactions
        already hold the write lock), so appends have one total order.
        """
        if self.read_only:
            raise RuntimeError(f"'{action}' changes state: it needs a writing unit of work")
        head = self._lock_head()
        body = canonical_bytes(
            {"action": action, "actor": actor, "at": self.now, "project": project_key, "data": data}
        )
        sealed = chain_next(head if head.seq else None, body)
        # Written in Core on the session's connection: the event and the head are never read
        # back as ORM objects, so the unit-of-work bookkeeping would be pure cost.
        connection = self.session.connection()
        connection.execute(
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
        connection.execute(_ADVANCE_HEAD, {"new_seq": sealed.seq, "new_hash": sealed.hash})
        self.events.append(sealed)
        return sealed

    def _lock_head(self) -> ChainHead:
        connection = self.session.connection()
        head = connection.execute(_LOCK_HEAD).first()
        if head is None:  # a schema made without the migration that seeds the head row
            connection.execute(insert(ChainHeadRow), {"id": 1, "seq": 0, "hash": GENESIS})
            return ChainHead(0, GENESIS)
        return ChainHead(head.seq, head.hash)
