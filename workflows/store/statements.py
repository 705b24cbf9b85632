"""Running the engine's hot statements: compiled once per database, executed on the driver.

Sign and decide run a dozen small statements on every gate, and SQLAlchemy's execution path
(parameter processing, the compiled-cache lookup, the execution context, result metadata,
event dispatch) costs about twice what SQLite needs to run each of them (bench/engine.py,
part 2). The statements stay SQLAlchemy statements, written once against the typed models
and rendered for each dialect; only their execution is done here, with the same bind and
result processing SQLAlchemy applies (UTCDateTime, JSON, booleans).

Whenever something watches the engine's statements (echo, a cursor event listener: a test
counting queries, the benchmark's SQL listing), statements go through SQLAlchemy instead, so
nothing is hidden from it. A statement this module cannot run as SQLAlchemy would (one with
Python-side defaults to fill in, or bind names the driver cannot take as they are) does too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, TypeVarTuple, cast

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any]
Row = TypeVarTuple("Row")
Statement = Select[*tuple[Any, ...]] | UpdateBase


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement as one dialect runs it."""

    sql: str
    arguments: Callable[[Mapping[str, Any]], Any]  # the driver's parameters, from the values
    fixed: Mapping[str, Any]  # values the statement binds itself (e.g. state = 'submitted')
    binds: tuple[tuple[str, Processor], ...]
    results: tuple[tuple[int, Processor], ...]


_NO_KEYS: frozenset[str] = frozenset()
# Per dialect of an engine (what it renders can depend on the server's version), keyed by
# the statement itself and, for INSERT and UPDATE, the parameter names, which decide the
# columns they write. Statements given to run() are built once, at module level: the key
# keeps each alive, and the plans are as many as statements times engines.
_plans: dict[Dialect, dict[tuple[Statement, frozenset[str]], _Plan | None]] = {}


class Runner:
    """Runs statements in one transaction of a connection (a unit of work holds one).

    Whether anything watches the engine is checked when the runner is made: a listener
    added in the middle of a transaction sees that transaction's statements only from the
    next one on.
    """

    def __init__(self, connection: Connection) -> None:
        if not connection.in_transaction():
            connection.begin()
        self.connection = connection
        self.dialect = connection.dialect
        self.watched = _watched(connection)
        self.driver = connection.connection.dbapi_connection
        self.plans = _plans.setdefault(self.dialect, {})

    def run(self, statement: Statement, params: Mapping[str, Any]) -> list[tuple[Any, ...]] | int:
        """Execute `statement`: its rows (tuples, types processed) when it returns rows,
        otherwise the number of rows it changed. Driver errors are raised as SQLAlchemy's
        DBAPIError family, as connection.execute raises them."""
        plan = None if self.watched else self._plan(statement, params)
        if plan is None:
            result = self.connection.execute(statement, params)
            return [tuple(row) for row in result] if result.returns_rows else result.rowcount
        values = {**plan.fixed, **params}
        for name, process in plan.binds:
            values[name] = process(values[name])
        arguments = plan.arguments(values)
        assert self.driver is not None, "a connection in a transaction has its driver connection"
        cursor = self.driver.cursor()
        try:
            cursor.execute(plan.sql, arguments)
            if cursor.description is None:
                return int(cursor.rowcount)
            found = cursor.fetchall()
        except self.dialect.loaded_dbapi.Error as error:
            raise self._failed(plan.sql, arguments, error, cursor) from error
        finally:
            cursor.close()
        if not plan.results:
            return [tuple(row) for row in found]
        processed = []
        for row in found:
            columns = list(row)
            for index, process in plan.results:
                columns[index] = process(columns[index])
            processed.append(tuple(columns))
        return processed

    def rows(self, statement: Select[*Row], params: Mapping[str, Any]) -> list[tuple[*Row]]:
        """The rows of a SELECT built once (module level), as run() returns them, typed."""
        return cast("list[tuple[*Row]]", self.run(statement, params))

    def _plan(self, statement: Statement, params: Mapping[str, Any]) -> _Plan | None:
        writes = isinstance(statement, UpdateBase)
        key = (statement, frozenset(params) if writes else _NO_KEYS)
        try:
            return self.plans[key]
        except KeyError:
            columns = sorted(params) if writes else None
            plan = self.plans[key] = _compile(self.dialect, statement, columns)
            return plan

    def _failed(self, sql: str, arguments: Any, error: Any, cursor: Any) -> Exception:
        # As SQLAlchemy does: a lost connection is invalidated, so the pool replaces it.
        dialect = self.dialect
        lost = dialect.is_disconnect(error, self.driver, cursor)
        if lost:
            self.connection.invalidate(error)
        failure: Exception = DBAPIError.instance(
            sql, arguments, error, dialect.loaded_dbapi.Error, lost, dialect=dialect
        )
        return failure


def run(
    connection: Connection, statement: Statement, params: Mapping[str, Any]
) -> list[tuple[Any, ...]] | int:
    """Run one statement in `connection`'s transaction (see Runner.run)."""
    return Runner(connection).run(statement, params)


def rows(
    connection: Connection, statement: Select[*Row], params: Mapping[str, Any]
) -> list[tuple[*Row]]:
    """The rows of one SELECT in `connection`'s transaction (see Runner.rows)."""
    return Runner(connection).rows(statement, params)


def _watched(connection: Connection) -> bool:
    if connection.engine.echo:
        return True
    # SQLAlchemy keeps a flag per connection and engine for its own fast path: unset, nothing
    # has ever listened. Only when one is set are the listeners themselves asked (slower).
    if not (
        getattr(connection, "_has_events", True) or getattr(connection.engine, "_has_events", True)
    ):
        return False
    dispatch = connection.dispatch
    return bool(
        dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or dispatch.before_execute
        or dispatch.after_execute
    )


def _compile(dialect: Dialect, statement: Statement, columns: list[str] | None) -> _Plan | None:
    compiled: Any = statement.compile(dialect=dialect, column_keys=columns)
    if (
        getattr(compiled, "insert_prefetch", None)
        or getattr(compiled, "update_prefetch", None)
        or getattr(compiled, "escaped_bind_names", None)
        or any(bind.callable is not None or bind.expanding for bind in compiled.binds.values())
    ):
        return None
    fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
    binds = tuple(
        (name, process)
        for name, bind in compiled.binds.items()
        if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    columns_out = getattr(statement, "exported_columns", ())
    results = tuple(
        (index, process)
        for index, column in enumerate(columns_out)
        if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
        is not None
    )
    return _Plan(compiled.string, _arguments(dialect, compiled), fixed, binds, results)


def _arguments(dialect: Dialect, compiled: Any) -> Callable[[Mapping[str, Any]], Any]:
    """How the driver takes the values: a dict by name, or a tuple in placeholder order."""
    if not dialect.positional:
        return dict
    order = tuple(compiled.positiontup)
    if not order:
        return lambda _values: ()
    if len(order) == 1:
        name = order[0]
        return lambda values: (values[name],)
    return itemgetter(*order)
