"""Several hosts under load: 50 approvers signing at once through two gunicorn hosts.

    python bench/hosts.py [--seconds 60] [--clients 50] [--projects N] [--workers 2]

Two gunicorn hosts share one PostgreSQL database (`lockgate_hosts_bench`, recreated, on the
server of LOCKGATE_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432) and one
SeaweedFS S3 store, started here. The seed: `--clients` approvers and N projects (default 6
per approver) of the standard policy, each with its initiation gate submitted and waiting
for three signatures: its sponsor, its PMO and its finance approver, three different
approvers. Every approver client (a thread with its own http.client connections) logs in
once, then loops, alternating the hosts request by request like a load balancer: open My
approvals, open the first (oldest) review there, sign it with the password (scrypt as shipped), and,
when it holds the sponsor or PMO role there, decide go once every signature is in.

Then it checks, and prints: zero lost or doubled transitions (each project's stage against
its decided reviews and its `review.decided` events), zero HTTP 500, and `lockgate audit
verify`; and the throughput: requests/s overall and p50/p95 per request kind. It exits 1
when a check fails, after printing everything. Not run by CI.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' helpers

import orjson
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from policies.model import Artifact
from tests.browsing import Browser, Page
from tests.integration.factories import STANDARD_FACTS, attach_evidence
from tests.servers import BUCKET, Host, start_host, start_seaweedfs
from workflows.identity import authenticate, system
from workflows.state import load_project
from workflows.store.db import make_engine
from workflows.store.evidence import S3Store
from workflows.store.records import AuditEvent, Project, Review
from workflows.store.schema import upgrade
from workflows.verbs import projects, publishing, reviews, users
from workflows.workspace import Workspace

DATABASE = "lockgate_hosts_bench"
PASSWORD = "bench-password"
PREFIX = "bench"
ROLES = ("sponsor", "pmo", "finance")  # the initiation gate's sign-offs at a 400,000 budget
REVIEW_LINK = re.compile(r'href="/approvals/([A-Z]+-\d+)"')
REFUSAL = re.compile(r'<(?:p|span) class="(?:message )?error"[^>]*>(?!Could not)([^<]+)<')
ROLE_SELECT = re.compile(r'<select[^>]*name="role"[^>]*>(.*?)</select>', re.S)
ROLE_HIDDEN = re.compile(r'<input type="hidden" name="role" value="([^"]*)"')
OPTION = re.compile(r'<option[^>]*value="([^"]*)"')


# -- the deployment ------------------------------------------------------------------------------


def recreate_database() -> str:
    """The URL of an empty `lockgate_hosts_bench` (dropped and created again)."""
    server = make_url(
        os.environ.get("LOCKGATE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    )
    admin = create_engine(
        server.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return server.set(database=DATABASE).render_as_string(hide_password=False)


def approver(index: int) -> str:
    return f"approver{index + 1:02d}"


def seed(ws: Workspace, clients: int, count: int) -> list[str]:
    """Users, then `count` projects with their initiation gate submitted; returns the keys."""
    with ws.unit_of_work() as uow:
        publishing.publish_library(uow)
        users.add_user(uow, system(), "admin", "Ada Admin", PASSWORD, roles=("admin",))
        uow.commit()
        admin = authenticate(uow, "admin", PASSWORD, "bench")
        users.add_user(uow, admin, "pm", "Pat Manager", PASSWORD, roles=("project_manager",))
        for index in range(clients):
            name = approver(index)
            users.add_user(uow, admin, name, f"Approver {index + 1}", PASSWORD)
        uow.commit()
        pm = authenticate(uow, "pm", PASSWORD, "bench")
    keys = []
    for index in range(count):
        key = f"HB-{index + 1:04d}"
        with ws.unit_of_work() as uow:
            sponsor, pmo, finance = (approver((index + k) % clients) for k in range(3))
            projects.register_project(
                uow,
                pm,
                key,
                f"Bench project {index + 1}",
                "standard",
                STANDARD_FACTS,
                sponsor=sponsor,
            )
            project = load_project(uow, key)
            users.grant_role(uow, admin, pmo, "pmo", project)
            users.grant_role(uow, admin, finance, "finance", project)
            status = reviews.gate_status(uow, pm, key)
            for line in status.report.lines:
                if isinstance(line.requirement, Artifact) and not line.status.ok:
                    attach_evidence(uow, pm, key, line.requirement, uow.now.date())
            reviews.submit_gate(uow, pm, key)
            uow.commit()
        keys.append(key)
        if (index + 1) % 50 == 0:
            print(f"  seeded {index + 1}/{count} projects", flush=True)
    return keys


# -- the approvers -------------------------------------------------------------------------------


@dataclass
class Tally:
    """Every request's kind, status and time, from all clients."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            self.statuses[(kind, status)] += 1


class Approver:
    """One person at a browser: logs in once, then signs and decides until the deadline."""

    def __init__(self, username: str, hosts: list[Host], tally: Tally, offset: int) -> None:
        self.username = username
        self.hosts = hosts
        self.tally = tally
        self.turn = offset
        self.browser = Browser()
        self.to_decide: list[str] = []

    def base(self) -> str:
        self.turn += 1
        return self.hosts[self.turn % len(self.hosts)].base

    def timed(self, kind: str, send: object) -> Page:
        start = time.perf_counter()
        page: Page = send()  # type: ignore[operator]
        self.tally.add(kind, page.status, time.perf_counter() - start)
        return page

    def run(self, deadline: float) -> None:
        login = self.timed(
            "login", lambda: self.browser.log_in(self.base(), self.username, PASSWORD)
        )
        if login.status != 302:
            self.tally.outcomes["login refused"] += 1
            return
        while time.monotonic() < deadline:
            if self.to_decide and self.decide(self.to_decide[0]):
                self.to_decide.pop(0)
                continue
            inbox = self.timed(
                "my approvals", lambda: self.browser.get(f"{self.base()}/approvals/")
            )
            keys = REVIEW_LINK.findall(inbox.text)
            if not keys:
                self.tally.outcomes["nothing to sign"] += 1
                if not self.to_decide:
                    return  # this approver's work is done
                self.to_decide.append(self.to_decide.pop(0))
                time.sleep(0.5)
                continue
            self.sign(keys[0])  # the oldest first, as My approvals orders them
        self.browser.close()

    def sign(self, key: str) -> None:
        page = self.timed("review page", lambda: self.browser.get(f"{self.base()}/approvals/{key}"))
        if page.status != 200 or f"/approvals/{key}/sign" not in page.text:
            self.tally.outcomes["nothing to sign there"] += 1
            return
        # A choice for someone who may sign in several roles, else the one role, hidden.
        roles = ROLE_SELECT.search(page.text)
        hidden = ROLE_HIDDEN.search(page.text)
        role = OPTION.findall(roles.group(1))[0] if roles else hidden.group(1) if hidden else ""
        fields = {"decision": "go", "role": role, "comment": "", "password": PASSWORD}
        signed = self.post("sign", f"/approvals/{key}/sign", fields, page.csrf())
        if signed.status == 302:
            self.tally.outcomes["signed"] += 1
        else:  # counted by the first reason the page gives
            found = REFUSAL.search(signed.text)
            why = html.unescape(found.group(1)).strip() if found else f"HTTP {signed.status}"
            self.tally.outcomes[f"sign refused ({why})"] += 1
        if signed.status == 302 and f"/approvals/{key}/decide" in page.text:
            self.to_decide.append(key)

    def decide(self, key: str) -> bool:
        """Try to decide go; True when done (decided here, or no longer open)."""
        page = self.timed("review page", lambda: self.browser.get(f"{self.base()}/approvals/{key}"))
        if page.status != 200 or f"/approvals/{key}/decide" not in page.text:
            self.tally.outcomes["decided by the other"] += 1
            return True
        if "ready to decide" not in page.text:
            return False
        fields = {"decide-decision": "go", "decide-reason": ""}
        decided = self.post("decide", f"/approvals/{key}/decide", fields, page.csrf(), "decide-")
        # Sponsor and PMO may both decide: the second one to try finds the review decided.
        self.tally.outcomes["decided" if decided.status == 302 else "decide lost a race"] += 1
        return True

    def post(
        self, kind: str, path: str, fields: dict[str, str], token: str, prefix: str = ""
    ) -> Page:
        body = urlencode({**fields, f"{prefix}csrf_token": token}).encode()
        url = f"{self.base()}{path}"
        return self.timed(
            kind,
            lambda: self.browser.request("POST", url, body, "application/x-www-form-urlencoded"),
        )


# -- the checks ----------------------------------------------------------------------------------


def check_transitions(ws: Workspace, keys: list[str]) -> list[str]:
    """Every problem found: a project whose stage does not follow from its decided reviews."""
    problems = []
    with ws.unit_of_work(read_only=True) as uow:
        stages = dict(uow.session.execute(select(Project.key, Project.stage)).all())
        query = (
            select(Project.key, func.count(Review.id))
            .join(Review, Review.project_id == Project.id)
            .where(Review.state == "decided")
            .group_by(Project.key)
        )
        decided = dict(uow.session.execute(query).all())
        events: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        chain = select(AuditEvent.project_key, AuditEvent.body).where(
            AuditEvent.action == "review.decided"
        )
        for key, body in uow.session.execute(chain):
            data = orjson.loads(body)["data"]
            events[key].append((data["decision"], data["old_stage"], data["new_stage"]))
    for key in keys:
        moves = events.get(key, [])
        expected = "planning" if moves else "initiation"
        if len(moves) > 1 or decided.get(key, 0) != len(moves):
            problems.append(
                f"{key}: {len(moves)} review.decided events, {decided.get(key, 0)} decided reviews"
            )
        if moves and moves[0] != ("go", "initiation", "planning"):
            problems.append(f"{key}: decided {moves[0]}")
        if stages[key] != expected:
            problems.append(f"{key}: in {stages[key]}, its decisions say {expected}")
    return problems


def audit_verify(env: dict[str, str]) -> tuple[bool, str]:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lockgate")), "audit", "verify"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    return done.returncode == 0, done.stdout.strip()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(tally: Tally, elapsed: float, clients: int, workers: int) -> int:
    total = sum(len(v) for v in tally.times.values())
    print(
        f"\n{total:,} requests in {elapsed:.1f} s from {clients} approvers on 2 hosts x "
        f"{workers} gunicorn workers: {total / elapsed:,.1f} requests/s"
    )
    print(f"  {'kind':<14}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}   statuses")
    for kind, values in sorted(tally.times.items()):
        statuses = ", ".join(
            f"{status}: {n}" for (k, status), n in sorted(tally.statuses.items()) if k == kind
        )
        print(
            f"  {kind:<14}{len(values):>8,}{statistics.median(values) * 1000:>10.0f}"
            f"{percentile(values, 0.95) * 1000:>10.0f}   {statuses}"
        )
    print("  outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.outcomes.items())))
    return sum(n for (_, status), n in tally.statuses.items() if status >= 500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--projects", type=int, help="default: 6 per client")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    args = parser.parse_args()
    count = args.projects or 6 * args.clients
    folder = Path(tempfile.mkdtemp(prefix="lockgate-hosts-bench-"))
    s3 = start_seaweedfs(folder / "seaweedfs")
    hosts: list[Host] = []
    try:
        s3.create_bucket(BUCKET)
        os.environ.update(s3.env)
        url = recreate_database()
        engine = make_engine(url)
        upgrade(engine)
        ws = Workspace(engine, S3Store(BUCKET, PREFIX))
        start = time.perf_counter()
        keys = seed(ws, args.clients, count)
        took = time.perf_counter() - start
        print(f"seeded {args.clients} approvers and {count} projects in {took:.1f} s")
        env = {
            **s3.env,
            "LOCKGATE_DATABASE_URL": url,
            "LOCKGATE_EVIDENCE_URL": f"s3://{BUCKET}/{PREFIX}",
            "LOCKGATE_SECRET_KEY": "bench",
        }
        for name in ("a", "b"):
            env_host = {**env, "LOCKGATE_INSTANCE": str(folder / name)}
            hosts.append(start_host(env_host, folder / f"{name}.log", workers=args.workers))
        tally = Tally()
        people = [Approver(approver(i), hosts, tally, i) for i in range(args.clients)]
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=p.run, args=(deadline,)) for p in people]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        errors = report(tally, elapsed, args.clients, args.workers)
        problems = check_transitions(ws, keys)
        verified, verify_output = audit_verify(env)
        print(f"\nHTTP 500 or worse: {errors}")
        print(f"lost or doubled transitions: {len(problems)}")
        for problem in problems[:20]:
            print(f"  {problem}")
        print(f"lockgate audit verify: {'passed' if verified else 'FAILED'}: {verify_output}")
        ws.dispose()
        if errors or problems or not verified:
            sys.exit(1)
    finally:
        for host in hosts:
            host.stop()
        s3.stop()


if __name__ == "__main__":
    main()
