"""Writing the bulk portfolio of bench/scale_seed.py: COPY on PostgreSQL (psycopg's
`cursor.copy`), bulk inserts on SQLite; then the chain head, id sequences, the derived tables
and fresh statistics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
from scale_seed import EVENTS, TABLES, Portfolio, Rows
from sqlalchemy import Table, insert, text

from workflows.store.records import ChainHead as ChainHeadRow
from workflows.store.records import table_of
from workflows.workspace import Workspace


def write(ws: Workspace, portfolio: Portfolio, rows: Rows) -> int:
    """Write one round (projects, evidence, reviews, signatures, grants, then the events);
    returns the number of events written."""
    if ws.engine.dialect.name == "postgresql":
        return _copy(ws, portfolio, rows)
    events = 0
    with ws.engine.begin() as connection:
        for table in TABLES:
            for batch in _batches(rows.tables[table.name]):
                connection.execute(insert(table), batch)
        for batch in _batches(list(portfolio.sealed(rows))):
            connection.execute(insert(EVENTS), batch)
            events += len(batch)
    return events


def _batches(rows: list[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _copy(ws: Workspace, portfolio: Portfolio, rows: Rows) -> int:
    raw = ws.engine.raw_connection()
    try:
        connection = raw.driver_connection
        with connection.cursor() as cursor:  # type: ignore[union-attr]
            # Bulk rows skip the triggers (the counts are rebuilt, the chain head set, after).
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in TABLES:
                _copy_rows(cursor, table, rows.tables[table.name])
            events = _copy_rows(cursor, EVENTS, portfolio.sealed(rows))
        raw.commit()
        return events
    finally:
        raw.close()


def _copy_rows(cursor: Any, table: Table, rows: Any) -> int:
    columns = [c.name for c in table.columns if c.name != "id" or table.name in _WITH_IDS]
    count = 0
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_value(row.get(c)) for c in columns])
            count += 1
    return count


_WITH_IDS = {"projects", "reviews"}


def _value(value: Any) -> Any:
    return orjson.dumps(value).decode() if isinstance(value, dict) else value


def finish(ws: Workspace, portfolio: Portfolio) -> None:
    """After the bulk rows: the chain head, id sequences, derived tables, fresh statistics."""
    from workflows.store import portfolio_counts

    head = portfolio.head
    with ws.unit_of_work() as uow:
        uow.session.execute(
            table_of(ChainHeadRow).update().where(table_of(ChainHeadRow).c.id == 1),
            {"seq": head.seq, "hash": head.hash},
        )
        portfolio_counts.rebuild(uow.session)
        uow.commit()
    print(f"  derived: portfolio_counts rebuilt; {_pending_signoffs(ws)}")
    if ws.engine.dialect.name == "postgresql":
        with ws.engine.connect() as connection:
            for table in ("projects", "reviews"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            connection.commit()
        with ws.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with ws.engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def _pending_signoffs(ws: Workspace) -> str:
    """Rebuild the pending sign-offs (My approvals reads them alone) from the authority rules."""
    from workflows.pending import rebuild_pending

    started = time.perf_counter()
    with ws.unit_of_work() as uow:
        rows = rebuild_pending(uow)
        uow.commit()
    return f"pending sign-offs rebuilt: {rows:,} rows in {time.perf_counter() - started:.0f} s"


def bulk_portfolio(ws: Workspace, projects: int) -> None:
    """A bulk portfolio of `projects` standard projects (and a trail as long) written at once,
    then finished: what the benches that need a portfolio but not its growth start from."""
    portfolio = Portfolio(ws, projects)
    for rows, _ in portfolio.rounds(projects, projects):
        write(ws, portfolio, rows)
    finish(ws, portfolio)
