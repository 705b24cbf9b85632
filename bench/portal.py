"""Portal speed on a 10,000-project portfolio (SQLite).

    python bench/portal.py [--projects 10000] [--requests 60] [--seconds 10] [--quick]

1. Seeds the demo portfolio through the verbs, then adds N projects in bulk (rows written with
   SQLAlchemy Core: projects, evidence, open reviews, signatures, role grants; no audit events,
   which these pages do not read).
2. Server time: p50/p95 of the dashboard, My approvals and a review page through the Flask
   test client, with the SQL query count per page (target: p95 < 250 ms, bounded queries).
   Nothing is cached on the server: every request renders the page.
3. Throughput: serves the app with gunicorn (2 workers) on 127.0.0.1 and loads it with wrk
   (or, without wrk, a bounded Python client): requests/s for the dashboard and the review
   page as a ratio of the trivial /healthz route of the same app.

bench/scale.py measures every page at 100,000 and 1,000,000 projects, with plans.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import event, insert, select

from gates.tiering import classify
from policies.facts import read_facts
from web.app import create_app
from web.demo import APPROVERS, PASSWORD, seed_demo
from workflows.facts import to_stored
from workflows.pending import rebuild_pending
from workflows.store.db import make_engine
from workflows.store.records import (
    ArtifactVersion,
    PolicyVersion,
    Project,
    Review,
    RoleGrant,
    SignatureRecord,
    User,
)
from workflows.store.schema import upgrade
from workflows.views.approvals import my_approvals
from workflows.workspace import Workspace

NOW = datetime.now(UTC)


def bulk_projects(ws: Workspace, count: int, seed: int = 11) -> None:
    """Add `count` standard-policy projects at random stages, with evidence and reviews."""
    rng = random.Random(seed)
    with ws.unit_of_work() as uow:
        row = uow.session.execute(
            select(PolicyVersion).where(PolicyVersion.policy_id == "standard")
        ).scalar_one()
        policy, version_id = ws.policy(row), row.id
        users = {u.username: u.id for u in uow.session.execute(select(User)).scalars()}
        next_id = (
            uow.session.execute(select(Project.id).order_by(Project.id.desc())).scalars().first()
            or 0
        ) + 1
    managers = [users[u] for u in ("pm.lee", "pm.garcia", "pm.chen")]
    projects, evidence, reviews, signatures, grants = [], [], [], [], []
    review_id = 10_000_000
    for index in range(count):
        pid = next_id + index
        raw = {
            "budget": str(int(rng.lognormvariate(12, 1.2))),
            "risk": rng.choice(["low", "medium", "high"]),
            "duration_months": str(rng.randint(2, 30)),
            "vendor_involved": rng.choice(["true", "false"]),
            "business_unit": "Operations",
        }
        values, _ = read_facts(policy.facts, raw)
        gate_index = rng.randrange(len(policy.gates))
        gate = policy.gates[gate_index]
        projects.append(
            {
                "id": pid,
                "key": f"BLK-{index + 1}",
                "name": f"Bulk project {index + 1}",
                "policy_version_id": version_id,
                "stage": policy.stages[gate_index],
                "resume_stage": None,
                "tier": classify(policy, values).tier.id,
                "facts": to_stored(values),
                "manager_id": rng.choice(managers),
                "created_at": NOW - timedelta(days=200),
                "updated_at": NOW,
                "version": 1,
            }
        )
        for artifact in gate.artifacts:
            if rng.random() < 0.7:
                evidence.append(
                    {
                        "project_id": pid,
                        "artifact_id": artifact.id,
                        "version": 1,
                        "kind": artifact.kind.value,
                        "digest": f"{rng.getrandbits(256):064x}",
                        "filename": "",
                        "media_type": "",
                        "size": 0,
                        "url": "",
                        "form": None,
                        "note": "",
                        "attached_by": "pm.lee",
                        "attached_at": NOW - timedelta(days=rng.randint(1, 100)),
                    }
                )
        for role, username in APPROVERS.items():
            grants.append(
                {
                    "user_id": users[username],
                    "role": role,
                    "project_id": pid,
                    "granted_by": "admin",
                    "granted_at": NOW,
                    "revoked_at": None,
                }
            )
        grants.append(
            {
                "user_id": users[rng.choice(["sponsor.king", "sponsor.ali"])],
                "role": "sponsor",
                "project_id": pid,
                "granted_by": "admin",
                "granted_at": NOW,
                "revoked_at": None,
            }
        )
        if rng.random() < 0.1:
            review_id += 1
            digest = f"{rng.getrandbits(256):064x}"
            reviews.append(
                {
                    "id": review_id,
                    "project_id": pid,
                    "gate_id": gate.id,
                    "round": 1,
                    "state": "submitted",
                    "submitted_by": "pm.lee",
                    "submitted_at": NOW - timedelta(days=rng.randint(1, 30)),
                    "due_at": NOW + timedelta(days=rng.randint(-10, 10)),
                    "snapshot": {},
                    "snapshot_digest": digest,
                    "decision": None,
                    "decided_by": None,
                    "decided_at": None,
                    "reason": "",
                    "version": 1,
                }
            )
            signatures.append(
                {
                    "review_id": review_id,
                    "signer_id": users["pmo"],
                    "on_behalf_of_id": None,
                    "printed_name": "Priya Okafor",
                    "role": "pmo",
                    "meaning": "Approved as PMO",
                    "decision": "go",
                    "comment": "",
                    "snapshot_digest": digest,
                    "signed_at": NOW,
                    "superseded_at": None,
                }
            )
    with ws.engine.begin() as connection:
        for table, rows in (
            (Project, projects),
            (ArtifactVersion, evidence),
            (Review, reviews),
            (SignatureRecord, signatures),
            (RoleGrant, grants),
        ):
            for start in range(0, len(rows), 5000):
                connection.execute(insert(table), rows[start : start + 5000])
    # Rows inserted behind the verbs' back: what waits for whom is computed once for all.
    started = time.perf_counter()
    with ws.unit_of_work() as uow:
        pending = rebuild_pending(uow)
        uow.commit()
    print(
        f"bulk: {count:,} projects, {len(evidence):,} evidence rows, {len(reviews):,} open "
        f"reviews, {len(grants):,} role grants; {pending:,} pending sign-offs rebuilt in "
        f"{time.perf_counter() - started:.1f} s"
    )


def login(client: object, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)  # type: ignore[attr-defined]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,  # type: ignore[attr-defined]
            "csrf_token": token,
        },
    )


def server_times(
    app: object, ws: Workspace, pages: dict[str, tuple[str, str]], requests: int
) -> None:
    queries = [0]

    def _count(*_args: object) -> None:
        queries[0] += 1

    engines = {ws.engine, ws.read_engine}  # GET pages read through the read-only engine
    for engine in engines:
        event.listen(engine, "before_cursor_execute", _count)

    print(
        f"\nserver time over {requests} requests per page (Flask test client, in process; "
        "nothing is cached on the server):"
    )
    for label, (username, path) in pages.items():
        client = app.test_client()  # type: ignore[attr-defined]
        login(client, username)
        client.get(path)  # warm the policy caches
        times = []
        queries[0] = 0
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        per_page = queries[0] / requests
        p95 = statistics.quantiles(times, n=20)[18]
        verdict = "PASS" if p95 < 250 else "MISS"
        print(
            f"  {label:<14} {path:<22} p50 {statistics.median(times):7.1f} ms   "
            f"p95 {p95:7.1f} ms   {per_page:4.1f} queries/page   [{verdict} p95 < 250 ms]"
        )
    for engine in engines:
        event.remove(engine, "before_cursor_execute", _count)


def gunicorn_throughput(instance: Path, pages: dict[str, tuple[str, str]], seconds: int) -> None:
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "LOCKGATE_INSTANCE": str(instance), "LOCKGATE_SECRET_KEY": "bench"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "web.app:create_app()",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base)
        cookies = {u: _session_cookie(base, u) for u, _ in pages.values()}
        print(
            f"\nthroughput: gunicorn 2 workers on 127.0.0.1, {seconds} s per route, "
            f"{'wrk -t2 -c8' if shutil.which('wrk') else 'Python client, 8 threads'}:"
        )
        baseline = _load(f"{base}/healthz", "", seconds)
        print(f"  {'trivial':<14} {'/healthz':<28} {baseline:9,.0f} req/s")
        for label, (username, path) in pages.items():
            _check_signed_in(base + path, cookies[username])
            rate = _load(base + path, cookies[username], seconds)
            ratio = rate / baseline
            print(f"  {label:<14} {path:<28} {rate:9,.0f} req/s = {ratio:6.1%} of trivial")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


def _wait_until_up(base: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


AGENT = "lockgate-bench"  # Flask-Login's strong session protection binds a session to it


def _session_cookie(base: str, username: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrf_token": token}
    ).encode()
    opener.open(f"{base}/login", data).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _check_signed_in(url: str, cookie: str) -> None:
    """The load must hit the page itself, not a redirect to the login page."""
    request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": AGENT})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200 and "/login" not in response.url, url


def _load(url: str, cookie: str, seconds: int) -> float:
    if shutil.which("wrk"):
        command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "-H", f"User-Agent: {AGENT}", url]
        if cookie:
            command[1:1] = ["-H", f"Cookie: {cookie}"]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return _python_load(url, cookie, seconds)


def _python_load(url: str, cookie: str, seconds: int) -> float:
    done, deadline = [0], time.monotonic() + seconds

    def worker() -> None:
        request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": AGENT})
        while time.monotonic() < deadline:
            urllib.request.urlopen(request, timeout=10).read()
            done[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="1,000 projects, short loads")
    args = parser.parse_args()
    if args.quick:
        args.projects, args.requests, args.seconds = 1000, 20, 3
    instance = Path(tempfile.mkdtemp(prefix="lockgate-bench-"))
    os.environ["LOCKGATE_INSTANCE"] = str(instance)
    try:
        ws = Workspace(
            make_engine(f"sqlite:///{instance / 'lockgate.sqlite'}"), instance / "evidence"
        )
        upgrade(ws.engine)
        start = time.perf_counter()
        seed_demo(ws)
        print(f"demo portfolio seeded through the verbs in {time.perf_counter() - start:.1f} s")
        bulk_projects(ws, args.projects)
        with ws.unit_of_work() as uow:
            review = (
                uow.session.execute(
                    select(Review).where(Review.state == "submitted").order_by(Review.id)
                )
                .unique()
                .scalars()
                .first()
            )
            assert review is not None
            key = review.project.key
            finance = uow.session.execute(select(User.id).where(User.username == "finance"))
            found = my_approvals(uow, finance.scalar_one())
        counts = ", ".join(
            f"{n:,} {part.value.replace('_', ' ')}" for part, n in found.counts.items()
        )
        print(f"My approvals of finance: {counts} (every one listed, {found.size} to a page)")
        pages = {
            "dashboard": ("pmo", "/portfolio/"),
            "my approvals": ("finance", "/approvals/"),
            "review page": ("finance", f"/approvals/{key}"),
        }
        app = create_app({"WORKSPACE": ws, "SECRET_KEY": "bench"})
        server_times(app, ws, pages, args.requests)
        ws.dispose()
        gunicorn_throughput(instance, pages, args.seconds)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
