"""How fresh a page is: every change appends an audit event, so the chain head's sequence
number tells whether anything changed since a page was rendered (web.conditional tags pages
with it); `lockgate audit verify` sizes its progress bar by it."""

from __future__ import annotations

from sqlalchemy import select

from workflows.store.records import ChainHead
from workflows.store.uow import UnitOfWork


def last_change(uow: UnitOfWork) -> int:
    """The number of the newest audit event: it grows with every change, of any kind."""
    seq = uow.session.execute(select(ChainHead.seq).where(ChainHead.id == 1)).scalar()
    return seq or 0
