"""Writing one row of a record with a Core statement, in the session's transaction.

Sign and decide run on every gate: there, the ORM's flush (the unit of work sorting and
writing its dirty objects) cost more than the SQL it sends, about 0.2 ms for one signature
and 0.35 ms for a review and its project on SQLite (bench/engine.py). These two functions
write the same rows with one statement each; the records stay the only form of a row.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Insert, Update, bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflows.errors import Conflict
from workflows.store.records import Base, Project, Review, table_of

CONFLICT = "Someone else changed this record at the same moment; reload it and try again."


@cache
def _inserting(model: type[Base]) -> Insert:
    table = table_of(model)
    return insert(table).returning(table.c.id)


@cache
def _guarded(model: type[Project] | type[Review]) -> Update:
    # No SET clause: Core sets the columns named by the parameters of each execution.
    table = table_of(model)
    return update(table).where(
        table.c.id == bindparam("record_id"), table.c.version == bindparam("seen")
    )


def insert_row(session: Session, record: Base) -> int:
    """INSERT `record`'s column values (every column but the id must be set) and set its id.

    The record is not added to the session: there is nothing left for a flush to write.
    Returns the new id.
    """
    table = table_of(type(record))
    values = {c.key: getattr(record, c.key) for c in table.columns if c.key != "id"}
    record_id = session.execute(_inserting(type(record)), values).scalar_one()
    set_committed_value(record, "id", record_id)
    return int(record_id)


def update_row(session: Session, record: Project | Review, **values: Any) -> None:
    """UPDATE `record`'s row with `values` if its version is still the one read, and bump it.

    This is the check the mapper's version_id_col makes at flush. The record then holds the
    new values as committed (nothing left to flush). Raises Conflict when another transaction
    changed the row meanwhile.
    """
    seen = record.version
    changes = {**values, "version": seen + 1}
    result = session.execute(
        _guarded(type(record)), {"record_id": record.id, "seen": seen, **changes}
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(CONFLICT)
    for key, value in changes.items():
        set_committed_value(record, key, value)
