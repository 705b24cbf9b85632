"""The unit of work: one transaction per verb, with its audit events appended inside it."""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gates.chain import ChainedEvent
from workflows.errors import Conflict
from workflows.store.audit_log import append
from workflows.store.writes import CONFLICT

if TYPE_CHECKING:
    from workflows.workspace import Workspace


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UnitOfWork:
    """A transaction: `with workspace.unit_of_work() as uow: ...; uow.commit()`.

    One ORM session; its transaction begins at the first statement. Leaving the block
    without commit() rolls everything back, audit events included. After commit() the unit
    of work may be used again: the next statement begins a new transaction.
    """

    session: Session

    def __init__(self, workspace: Workspace, *, read_only: bool = False) -> None:
        self.workspace = workspace
        self.read_only = read_only
        self.events: list[ChainedEvent] = []

    def __enter__(self) -> UnitOfWork:
        self.now = self.workspace.clock()
        sessions = self.workspace.read_sessions if self.read_only else self.workspace.sessions
        self.session = sessions()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.session.close()

    def commit(self) -> None:
        """Commit the change and its audit events together.

        Raises Conflict (and rolls back) when another transaction changed a versioned row
        (a project, a review) after this one read it.
        """
        try:
            self.session.commit()
        except StaleDataError as error:
            self.session.rollback()
            raise Conflict(CONFLICT) from error

    def rollback(self) -> None:
        """Undo everything since the last commit."""
        self.session.rollback()

    def record(
        self,
        actor: str,
        action: str,
        project_key: str | None = None,
        **data: Any,
    ) -> ChainedEvent:
        """Append one audit event to the chain, inside this transaction (see audit_log)."""
        if self.read_only:
            raise RuntimeError(f"'{action}' changes state: it needs a writing unit of work")
        sealed = append(self.session, actor, action, project_key, self.now, data)
        self.events.append(sealed)
        return sealed
