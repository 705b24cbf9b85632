"""The unit of work: one transaction per verb, with its audit event appended inside it."""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gates.chain import GENESIS, ChainHead, canonical_bytes, chain_next
from workflows.errors import Conflict
from workflows.records import AuditEvent
from workflows.records import ChainHead as ChainHeadRow

if TYPE_CHECKING:
    from workflows.workspace import Workspace


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
        self.events: list[AuditEvent] = []

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
            raise Conflict(
                "Someone else changed this record at the same moment; reload it and try again."
            ) from error

    def record(
        self,
        actor: str,
        action: str,
        project_key: str | None = None,
        **data: Any,
    ) -> AuditEvent:
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
        sealed = chain_next(ChainHead(head.seq, head.hash) if head.seq else None, body)
        event = AuditEvent(
            seq=sealed.seq,
            prev_hash=sealed.prev_hash,
            hash=sealed.hash,
            body=sealed.body,
            at=self.now,
            actor=actor,
            action=action,
            project_key=project_key,
        )
        head.seq, head.hash = sealed.seq, sealed.hash
        self.session.add(event)
        self.events.append(event)
        return event

    def _lock_head(self) -> ChainHeadRow:
        query = select(ChainHeadRow).where(ChainHeadRow.id == 1).with_for_update()
        head = self.session.execute(query).scalar_one_or_none()
        if head is None:
            head = ChainHeadRow(id=1, seq=0, hash=GENESIS)
            self.session.add(head)
        return head
