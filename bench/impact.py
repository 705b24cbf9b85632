"""A policy version's impact on the projects in flight, at scale: the time to list what a new
version of `standard` would change for every project on an older one (the PMO's impact page
and `lockgate policy impact`), and, with --move, the time to move them all.

Seeds the demo, then a bulk portfolio (bench/scale_seed.py) on standard, then publishes the
library's standard renumbered as the next version and measures `migration.impact`.

    python bench/impact.py --projects 10000 [--backend postgres] [--move]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scale import POSTGRES_URL, _fresh_database
from scale_write import bulk_portfolio

from policies.library import policy_path
from policies.loader import parse_policy
from web.demo import seed_demo
from workflows.identity import authenticate, system
from workflows.store.db import make_engine
from workflows.store.schema import upgrade
from workflows.verbs import migration, publishing
from workflows.workspace import Workspace

PASSWORD = "demo-password"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--move", action="store_true", help="also move every movable project")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lockgate-impact-"))
    url = _fresh_database(args.backend, folder, args.postgres_url)
    ws = Workspace(make_engine(url), folder / "evidence")
    try:
        upgrade(ws.engine)
        seed_demo(ws)
        bulk_portfolio(ws, args.projects)
        measure(ws, args)
    finally:
        ws.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def measure(ws: Workspace, args: argparse.Namespace) -> None:
    with ws.unit_of_work() as uow:
        current = uow.workspace.policy(publishing.latest(uow, "standard"))
        source = policy_path("standard").read_text(encoding="utf-8")
        newer = re.sub(r"\nversion: \d+\n", f"\nversion: {current.version + 1}\n", source, count=1)
        publishing.publish(uow, system(), newer, "standard-next.yaml")
        uow.commit()
        policy = parse_policy(newer, "standard-next.yaml")
    with ws.unit_of_work(read_only=True) as uow:
        pmo = authenticate(uow, "pmo", PASSWORD, "bench")
    rss_before = rss_mb()
    started = time.perf_counter()
    found = [
        (i.preview.project_key, bool(i.preview.refusals))
        for i in migration.each_impact(ws, pmo, policy)
    ]
    took = time.perf_counter() - started
    movable = [key for key, refused in found if not refused]
    pages = []
    for _ in range(10):
        with ws.unit_of_work(read_only=True) as uow:
            started = time.perf_counter()
            page = migration.impact_page(uow, pmo, policy)
            pages.append(time.perf_counter() - started)
    pages.sort()
    print(
        f"  the portal's page ({len(page.page.rows)} of {page.in_flight:,}): median "
        f"{pages[len(pages) // 2] * 1000:.0f} ms, worst {pages[-1] * 1000:.0f} ms"
    )
    print(
        f"{args.backend}: the whole impact (the CLI) of {policy.ref} on {len(found):,} projects "
        f"in flight ({len(movable):,} movable): {took:.2f} s, "
        f"{took / max(len(found), 1) * 1000:.2f} ms each; max RSS {rss_before:.0f} MB before, "
        f"{rss_mb():.0f} MB after"
    )
    if args.move:
        started = time.perf_counter()
        for key in movable:
            with ws.unit_of_work() as uow:
                migration.migrate(uow, pmo, key, policy.version, "bench: move to the new version")
                uow.commit()
        took = time.perf_counter() - started
        print(
            f"  moved {len(movable):,}: {took:.2f} s, "
            f"{took / max(len(movable), 1) * 1000:.2f} ms each"
        )


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
