"""Compliance reports at scale: each kind over the last 90 days and over the whole trail, on a
bulk portfolio (bench/scale_seed.py) with refusals added, and on PostgreSQL each query's plan
(EXPLAIN ANALYZE) — the plans docs/reports.md shows.

    python bench/reports.py --backend postgres --projects 1000000 --events 10000000
    python bench/reports.py --projects 20000 --events 200000          # SQLite, quick

Prints figures and plans; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import psycopg
from scale import POSTGRES_URL, _fresh_database
from scale_seed import Portfolio
from scale_write import finish, write
from sqlalchemy import event, insert, select

from gates.chain import ChainHead, canonical_bytes, chain_next
from web.demo import seed_demo
from workflows.store.db import make_engine
from workflows.store.records import AuditEvent, table_of
from workflows.store.records import ChainHead as ChainHeadRow
from workflows.store.schema import upgrade
from workflows.views import compliance
from workflows.workspace import Workspace

RULES = ("role.decide", "sod.manager_decides", "sign.once_per_round", "change.needs_request",
         "sod.incompatible_roles", "decide.open_conditions", "role.audit")  # fmt: skip


def add_refusals(ws: Workspace, count: int) -> None:
    """`count` refusals spread over the trail's last year, sealed after the head."""
    with ws.unit_of_work(read_only=True) as uow:
        row = uow.session.execute(select(ChainHeadRow)).scalar_one()
        head: Any = ChainHead(row.seq, row.hash)
        now = uow.now
    rng, rows = random.Random(3), []
    for n in range(count):
        at = now - timedelta(days=365) + timedelta(seconds=n * 31_536_000 / max(count, 1))
        rule = rng.choice(RULES)
        data = {"attempted": "decide", "rules": [rule], "fields": [None], "reasons": ["No."]}
        body = canonical_bytes({"action": "action.refused", "actor": f"user{n % 500}", "at": at,
                                "project": f"PRJ-{n % 9999:05d}", "data": data})  # fmt: skip
        head = chain_next(head, body)
        rows.append({"seq": head.seq, "prev_hash": head.prev_hash, "hash": head.hash,
                     "body": head.body, "at": at, "actor": f"user{n % 500}",
                     "action": "action.refused", "project_key": f"PRJ-{n % 9999:05d}",
                     "rule": rule})  # fmt: skip
        if len(rows) == 10_000 or n == count - 1:
            with ws.engine.begin() as connection:
                connection.execute(insert(table_of(AuditEvent)), rows)
            rows = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--refusals", type=float, default=0.01, help="share of the trail")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--plans", action="store_true", help="print each query's plan")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lockgate-reports-"))
    url = _fresh_database(args.backend, folder, args.postgres_url)
    ws = Workspace(make_engine(url), folder / "evidence")
    try:
        upgrade(ws.engine)
        seed_demo(ws)
        started = time.perf_counter()
        portfolio = Portfolio(ws, args.events)
        for rows, _ in portfolio.rounds(args.projects, args.events):
            write(ws, portfolio, rows)
        finish(ws, portfolio)
        add_refusals(ws, int(args.events * args.refusals))
        if args.backend == "postgres":
            with ws.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        print(f"{args.backend}: seeded {args.projects:,} projects and about {args.events:,} "
              f"events in {time.perf_counter() - started:.0f} s")  # fmt: skip
        measure(ws, args)
    finally:
        ws.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def measure(ws: Workspace, args: argparse.Namespace) -> None:
    statements: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any) -> None:
        # The statement with its values written in, for EXPLAIN (psycopg's client-side cursor).
        if ws.engine.dialect.name == "postgresql":
            statements.append(psycopg.ClientCursor(cursor.connection).mogrify(statement, params))

    with ws.unit_of_work(read_only=True) as uow:
        now = uow.now
    for label, since in (
        ("last 90 days", now - timedelta(days=90)),
        ("two years", now - timedelta(days=730)),
    ):
        print(f"  period: {label}")
        for kind in compliance.KINDS:
            times, found = [], None
            for _ in range(3):
                statements.clear()
                event.listen(ws.engine, "before_cursor_execute", keep)
                with ws.unit_of_work(read_only=True) as uow:
                    started = time.perf_counter()
                    found = compliance.report(uow, kind, since, now)
                    times.append(time.perf_counter() - started)
                event.remove(ws.engine, "before_cursor_execute", keep)
            assert found is not None
            median, worst = statistics.median(times) * 1000, max(times) * 1000
            print(f"    {kind:20} {found.count:>9,} rows  median {median:8.1f} ms  "
                  f"worst {worst:8.1f} ms")  # fmt: skip
            if args.plans and args.backend == "postgres" and label == "two years":
                with ws.engine.connect() as connection:
                    for statement in statements:
                        explain = f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {statement}"
                        plan = connection.exec_driver_sql(explain.replace("%", "%%"))
                        print("      " + "\n      ".join(row[0] for row in plan))


if __name__ == "__main__":
    main()
