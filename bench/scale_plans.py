"""The SQL a page sends, and the plan of each statement (bench/scale.py).

PostgreSQL: EXPLAIN (ANALYZE, FORMAT JSON) of each SELECT, printed as its node types (with
the relation and index each scan reads) and its execution time; a Seq Scan on `projects` or
`audit_events` is flagged. SQLite: EXPLAIN QUERY PLAN, flagging a full SCAN of either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from workflows.workspace import Workspace

WATCHED = ("projects", "audit_events")


class Plans:
    """Records the statements sent while `recording()`, then explains them."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.statements: list[tuple[str, Any]] = []

    @contextmanager
    def recording(self) -> Iterator[None]:
        self.statements = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            self.statements.append((statement, parameters))

        engines = list({id(e): e for e in (self.ws.engine, self.ws.read_engine)}.values())
        for engine in engines:
            event.listen(engine, "before_cursor_execute", record)
        try:
            yield
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", record)

    def explain(self, backend: str) -> None:
        """Print the plan of every SELECT recorded."""
        with self.ws.read_engine.connect() as connection:
            for number, (statement, parameters) in enumerate(self.statements, 1):
                if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue
                if backend == "postgres":
                    line = _postgres(connection, statement, parameters)
                else:
                    line = _sqlite(connection, statement, parameters)
                print(f"      {number:2d}. {line}")


def _postgres(connection: Any, statement: str, parameters: Any) -> str:
    result = connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
    ).scalar()
    plan = result[0]
    nodes = list(_nodes(plan["Plan"]))
    flags = [n for n in nodes if n.startswith("Seq Scan") and any(t in n for t in WATCHED)]
    shown = " > ".join(dict.fromkeys(nodes))
    warning = "  <<< SEQ SCAN: " + ", ".join(flags) if flags else ""
    return f"{plan['Execution Time']:7.2f} ms  {_what(statement)}: {shown}{warning}"


def _nodes(node: dict[str, Any]) -> Iterator[str]:
    name = node["Node Type"]
    where = node.get("Index Name") or node.get("Relation Name")
    yield f"{name} ({where})" if where else name
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _sqlite(connection: Any, statement: str, parameters: Any) -> str:
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    steps = [row[-1] for row in rows]
    # A SCAN in rowid (seq) order under a LIMIT stops early; with a sort, or without a
    # LIMIT, it reads the whole table.
    limited = re.search(r"\bLIMIT\b", statement) is not None
    bounded = limited and not any("TEMP B-TREE" in step for step in steps)
    flags = [
        step
        for step in steps
        if step.startswith("SCAN") and "INDEX" not in step and step.split()[1] in WATCHED
    ]
    warning = "  <<< FULL SCAN: " + ", ".join(flags) if flags and not bounded else ""
    return f"{_what(statement)}: {' > '.join(steps)}{warning}"


def _what(statement: str) -> str:
    """The statement in a few words: its first selected thing and its main table."""
    flat = " ".join(statement.split())
    table = flat.split(" FROM ", 1)[1].split(" ", 1)[0] if " FROM " in flat else "?"
    return f"[{table}] {flat[:60]}"
