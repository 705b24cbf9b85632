"""The escalation part of My approvals at scale: p95 of one page for the PMO (every overdue
review escalates to them) and for a holder of the role on one project.

Seeds the demo, then a bulk portfolio (bench/scale_seed.py), then reads with the clock moved
`--later` days ahead so that most open reviews are past their service level. Prints the
number of overdue reviews and the p50/p95 of escalated_to (count + first page).

    python bench/escalations.py --projects 100000 [--backend postgres]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scale import POSTGRES_URL, _fresh_database
from scale_write import bulk_portfolio
from sqlalchemy import func, select

from web.demo import seed_demo
from workflows.machines import SUBMITTED
from workflows.store.db import make_engine
from workflows.store.records import Review
from workflows.store.schema import upgrade
from workflows.views.escalations import escalated_to
from workflows.workspace import Workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--later", type=int, default=90, help="days the clock moves ahead")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lockgate-escalations-"))
    url = _fresh_database(args.backend, folder, args.postgres_url)
    ws = Workspace(make_engine(url), folder / "evidence")
    try:
        upgrade(ws.engine)
        seed_demo(ws)
        bulk_portfolio(ws, args.projects)
        ws.dispose()
        later = datetime.now(UTC) + timedelta(days=args.later)
        measure(Workspace(make_engine(url), folder / "evidence", clock=lambda: later), args)
    finally:
        ws.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def measure(ws: Workspace, args: argparse.Namespace) -> None:
    with ws.unit_of_work(read_only=True) as uow:
        overdue = select(func.count()).where(Review.state == SUBMITTED, Review.due_at < uow.now)
        print(f"{args.backend}: {uow.session.execute(overdue).scalar():,} overdue open reviews")
    for username in ("pmo", "finance"):
        times, total = [], 0
        for _ in range(args.requests):
            with ws.unit_of_work(read_only=True) as uow:
                started = time.perf_counter()
                total = escalated_to(uow, username).total
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[max(int(len(times) * 0.95) - 1, 0)]
        print(
            f"  {username}: {total:,} escalated; first page p50 "
            f"{statistics.median(times):.1f} ms, p95 {p95:.1f} ms"
        )
    ws.dispose()


if __name__ == "__main__":
    main()
