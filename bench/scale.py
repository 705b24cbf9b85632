"""Lockgate at scale: the portal's cold pages, their SQL and plans, throughput, audit verify.

    python bench/scale.py                                  # both backends, full sizes (~30 min+)
    python bench/scale.py --backend sqlite --projects 20000 --events 200000 --quick

Not run by CI. For each backend (SQLite: 100,000 projects and 1,000,000 audit events;
PostgreSQL: 1,000,000 and 10,000,000, in database `lockgate_scale_bench`):

1. Seeds the demo portfolio through the verbs (policies, users, 25 projects with real
   history), then bulk rows (bench/scale_seed.py: COPY on PostgreSQL, bulk inserts on
   SQLite; `finance` is granted on every project), first --first projects (10,000), then
   grows to the full size; after each, rebuilds the derived tables and refreshes statistics.
2. At both sizes, renders every portal page cold (nothing is cached) through the Flask test
   client, logged in as the person who uses it: p50/p95 (target p95 < 150 ms), the SQL
   statements per page (must be equal at both sizes), and on PostgreSQL the plan of every
   statement (EXPLAIN ANALYZE, FORMAT JSON) with its node types; a Seq Scan on projects or
   audit_events is flagged. On SQLite, EXPLAIN QUERY PLAN flags a full scan of either.
3. At the full size, the dashboard under gunicorn (2 workers, web.app:create_app()) against
   /healthz of the same server: requests/s as a share of trivial (target >= 10%).
4. `audit verify` over the whole trail: events/s (target >= 300,000 SQLite, >= 200,000
   PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_load import throughput
from scale_plans import Plans
from scale_seed import Portfolio, project_key
from scale_write import finish, write

from web.app import create_app
from web.demo import PASSWORD, seed_demo
from workflows.store.db import make_engine
from workflows.store.records import AuditEvent, Project, Review
from workflows.store.schema import upgrade
from workflows.verbs.audit import verify
from workflows.views.counts import count_by_stage_and_tier
from workflows.views.portfolio import ProjectFilter
from workflows.workspace import Workspace

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/lockgate_scale_bench"
SIZES = {"sqlite": (100_000, 1_000_000), "postgres": (1_000_000, 10_000_000)}
P95_TARGET_MS = 150


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--projects", type=int, help="full size (default per backend)")
    parser.add_argument("--events", type=int, help="full trail (default: 10 per project)")
    parser.add_argument("--first", type=int, default=10_000, help="the first, smaller size")
    parser.add_argument("--requests", type=int, default=30, help="renders per page")
    parser.add_argument("--seconds", type=int, default=10, help="load per route")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--quick", action="store_true", help="fewer renders, short loads")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.seconds = 8, 3
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        projects = args.projects or SIZES[backend][0]
        events = args.events or (SIZES[backend][1] if not args.projects else projects * 10)
        run(backend, projects, events, args)


def run(backend: str, projects: int, events: int, args: argparse.Namespace) -> None:
    print(f"\n=== {backend}: {projects:,} projects, {events:,} audit events ===", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="lockgate-scale-"))
    url = _fresh_database(backend, folder, args.postgres_url)
    ws = Workspace(make_engine(url), folder / "evidence")
    try:
        upgrade(ws.engine)
        started = time.perf_counter()
        seed_demo(ws)
        print(f"demo portfolio through the verbs: {time.perf_counter() - started:.0f} s")
        portfolio = Portfolio(ws, events)
        counts = {}
        for size in sorted({min(args.first, projects), projects}):
            _grow(ws, portfolio, size, round(events * size / projects))
            counts[size] = _measure(ws, backend, args.requests)
        _counts_both_ways(ws)
        _compare(counts)
        ws.dispose()
        throughput(url, folder, PASSWORD, args.seconds)
        _verify_speed(ws, backend)
    finally:
        ws.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def _fresh_database(backend: str, folder: Path, postgres_url: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'lockgate.sqlite'}"
    target = make_url(postgres_url)
    admin = create_engine(
        target.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return postgres_url


def _grow(ws: Workspace, portfolio: Portfolio, projects: int, events: int) -> None:
    started, written = time.perf_counter(), 0
    for rows, count in portfolio.rounds(projects, events):
        written += write(ws, portfolio, rows)
        done = portfolio.projects + count
        if done % 100_000 == 0 or done == projects:
            print(f"  {done:,} bulk projects, {time.perf_counter() - started:.0f} s", flush=True)
    finish(ws, portfolio)
    with ws.unit_of_work(read_only=True) as uow:
        total = uow.session.execute(select(func.count(Project.id))).scalar()
        trail = uow.session.execute(select(func.max(AuditEvent.seq))).scalar()
    print(
        f"seeded: {total:,} projects, {trail:,} audit events "
        f"({written:,} written now; {portfolio.dropped:,} projects' events left out to keep "
        f"the trail's size) in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def _pages(ws: Workspace) -> dict[str, tuple[str, str]]:
    """Every portal page, as (who reads it, address), with keys and seqs from the data."""
    with ws.unit_of_work(read_only=True) as uow:
        count = uow.session.execute(select(func.count(Project.id))).scalar() or 0
        middle = project_key(count // 2)  # deep pages: the middle of the list at each size
        one = project_key(min(count, 10_000) // 2)  # one project: the same at each size
        head = uow.session.execute(select(func.max(AuditEvent.seq))).scalar() or 0
        day = uow.session.execute(select(AuditEvent.at).where(AuditEvent.seq == head // 2))
        day = day.scalar_one().date().isoformat()
        review = select(Project.key).join(Review, Review.project_id == Project.id)
        open_key = uow.session.execute(
            review.where(Review.state == "submitted", Project.key.like("S%"))
            .order_by(Review.id)
            .limit(1)
        ).scalar_one()
    return {
        "dashboard": ("pmo", "/portfolio/"),
        "dashboard, one stage": ("pmo", "/portfolio/?stage=execution"),
        "dashboard, search": ("pmo", "/portfolio/?search=Cloud+exit"),
        "dashboard, rare search": ("pmo", f"/portfolio/?search={one}"),
        "projects list": ("pmo", "/projects/"),
        "projects list, deep": ("pmo", f"/projects/?after={middle}"),
        "projects list, last page": ("pmo", "/projects/?last=1"),
        "projects, a dashboard count": ("pmo", "/projects/?stage=execution&tier=large"),
        "projects, granted on all": ("finance", "/projects/"),
        "projects, a manager": ("pm.lee", "/projects/"),
        "my approvals": ("finance", "/approvals/"),
        "review page": ("finance", f"/approvals/{open_key}"),
        "project page": ("pmo", f"/projects/{one}"),
        "audit log": ("auditor", "/audit/"),
        "audit log, deep": ("auditor", f"/audit/?after={head // 2}"),
        "audit log, one project": ("auditor", f"/audit/?project={one}"),
        "audit log, one actor": ("auditor", "/audit/?actor=pm.lee"),
        "audit log, rare actor": ("auditor", "/audit/?actor=validation"),
        "audit log, one action": ("auditor", "/audit/?action=review.decided"),
        "audit log, prefix": ("auditor", "/audit/?action=review."),
        "audit log, rare prefix": ("auditor", "/audit/?action=policy."),
        "audit log, one day": ("auditor", f"/audit/?since={day}&until={day}"),
    }


def _measure(ws: Workspace, backend: str, requests: int) -> dict[str, int]:
    """Render every page `requests` times; print times, statements and plans. Returns the
    statements per page."""
    app = create_app({"WORKSPACE": ws, "SECRET_KEY": "bench"})
    plans = Plans(ws)
    clients: dict[str, Any] = {}
    counts = {}
    print(f"\ncold renders, {requests} per page (Flask test client; nothing is cached):")
    for label, (username, path) in _pages(ws).items():
        client = clients.get(username) or _logged_in(app, username)
        clients[username] = client
        assert client.get(path).status_code == 200, path  # parses the policies once
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        with plans.recording():
            client.get(path)
        counts[label] = len(plans.statements)
        p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
        verdict = "PASS" if p95 < P95_TARGET_MS else "MISS"
        print(
            f"  {label:<26} {path[:40]:<40} p50 {statistics.median(times):6.1f} ms  "
            f"p95 {p95:6.1f} ms  {counts[label]:2d} statements  [{verdict} p95 < "
            f"{P95_TARGET_MS} ms]",
            flush=True,
        )
        plans.explain(backend)
    return counts


def _logged_in(app: Any, username: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302, username
    return client


def _counts_both_ways(ws: Workspace) -> None:
    """The dashboard's counts read from portfolio_counts, against a GROUP BY over the projects
    with an index that covers it (made for this measurement, then dropped)."""
    grouped = select(Project.policy_version_id, Project.stage, Project.tier, func.count())
    grouped = grouped.group_by(Project.policy_version_id, Project.stage, Project.tier)
    index = "CREATE INDEX bench_projects_counted ON projects (policy_version_id, stage, tier)"
    with ws.engine.connect() as connection:
        connection.execute(text(index))
        connection.execute(text("ANALYZE projects"))
        connection.commit()
    try:
        with ws.unit_of_work(read_only=True) as uow:
            stored = _best(lambda: count_by_stage_and_tier(uow, ProjectFilter()))
            scanned = _best(lambda: uow.session.execute(grouped).all())
    finally:
        with ws.engine.connect() as connection:
            connection.execute(text("DROP INDEX bench_projects_counted"))
            connection.commit()
    print(
        f"\ndashboard counts: portfolio_counts {stored:.2f} ms; GROUP BY over the projects "
        f"with a covering index {scanned:.2f} ms (best of 5)"
    )


def _best(run: Any, times: int = 5) -> float:
    found = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        found.append((time.perf_counter() - started) * 1000)
    return min(found)


def _compare(counts: dict[int, dict[str, int]]) -> None:
    if len(counts) < 2:
        return
    (small, few), (large, many) = sorted(counts.items())
    print(f"\nstatements per page at {small:,} and at {large:,} projects:")
    for label, n in few.items():
        verdict = "equal" if many[label] == n else "DIFFER"
        print(f"  {label:<26} {n:3d} {many[label]:3d}  {verdict}")


def _verify_speed(ws: Workspace, backend: str) -> None:
    target = 300_000 if backend == "sqlite" else 200_000
    with ws.unit_of_work(read_only=True) as uow:
        started = time.perf_counter()
        result = verify(uow)
        seconds = time.perf_counter() - started
    rate = result.checked / seconds
    verdict = "PASS" if rate >= target else "MISS"
    print(
        f"\naudit verify: {result.checked:,} events, ok={result.ok}, {seconds:.1f} s, "
        f"{rate:,.0f} events/s  [{verdict} >= {target:,}]",
        flush=True,
    )


if __name__ == "__main__":
    os.environ.setdefault("LOCKGATE_INSTANCE", tempfile.mkdtemp(prefix="lockgate-scale-"))
    main()
