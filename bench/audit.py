"""The audit trail's proofs at scale: on a trail of N events (1,000,000 by default), how fast
`audit verify` runs alone and against signed checkpoints (the Merkle root recomputed in the
same pass), what a checkpoint costs (the first one stores the tree's nodes), and how long an
inclusion proof and a consistency proof take.

    python bench/audit.py [--events 1000000] [--backend postgres] [--proofs 200]

Seeds the demo (for an auditor), appends the events in bulk as the engine seals them, writes
a checkpoint half way and one at the end, then measures. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from scale import POSTGRES_URL, _fresh_database
from sqlalchemy import insert, select

from gates.chain import ChainHead, canonical_bytes, chain_next
from web.demo import seed_demo
from workflows.identity import Actor, authenticate
from workflows.store.audit_keys import generate
from workflows.store.db import make_engine
from workflows.store.records import AuditEvent, table_of
from workflows.store.records import ChainHead as ChainHeadRow
from workflows.store.schema import upgrade
from workflows.verbs import audit
from workflows.views.history import replay_project
from workflows.workspace import Workspace

BATCH = 10_000
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ROLES = ("sponsor", "finance", "security", "architecture", "operations")


def body(n: int) -> bytes:
    """A signature event as the engine records one (~330 bytes)."""
    role = ROLES[n % 5]
    return canonical_bytes(
        {
            "action": "review.signed",
            "actor": f"user{n % 977}",
            "at": START + timedelta(seconds=n),
            "project": f"PRJ-{n % 4_000:04d}",
            "data": {
                "gate": "planning",
                "round": 1 + n % 3,
                "role": role,
                "decision": "go",
                "meaning": f"Approved as {role}",
                "printed_name": "Dana Whitfield",
                "snapshot_digest": f"{n:064x}",
                "on_behalf_of": None,
            },
        }
    )


def append_bulk(ws: Workspace, count: int) -> None:
    """`count` events sealed after the head, inserted in batches (the triggers move the head)."""
    events = table_of(AuditEvent)
    with ws.unit_of_work(read_only=True) as uow:
        row = uow.session.execute(select(ChainHeadRow)).scalar_one()
        head: Any = ChainHead(row.seq, row.hash)
    done = 0
    while done < count:
        rows = []
        for n in range(done, min(done + BATCH, count)):
            sealed = chain_next(head, body(n))
            head = sealed
            rows.append(
                {"seq": sealed.seq, "prev_hash": sealed.prev_hash, "hash": sealed.hash,
                 "body": sealed.body, "at": START + timedelta(seconds=n),
                 "actor": f"user{n % 977}", "action": "review.signed",
                 "project_key": f"PRJ-{n % 4_000:04d}"}
            )  # fmt: skip
        with ws.engine.begin() as connection:
            connection.execute(insert(events), rows)
        done += len(rows)


def one_project_events(ws: Workspace, key: str, count: int) -> None:
    """`count` events of one project, shaped as the verbs write them: registration, then
    attachments, submissions, signatures and decisions in turn."""
    with ws.unit_of_work() as uow:
        uow.record("pm", "project.registered", key, name="Bench", policy="standard@2",
                   stage="initiation", tier="major", facts={"budget": "900000"},
                   manager="pm", sponsor="sponsor")  # fmt: skip
        for n in range(1, count):
            round_ = 1 + n // 8
            kind = n % 4
            if kind == 0:
                uow.record("pm", "artifact.attached", key, artifact=f"a{n % 12}", version=n,
                           kind="file", digest=f"{n:064x}", filename="x.pdf", size=10)  # fmt: skip
            elif kind == 1:
                uow.record("pm", "review.submitted", key, gate="planning", round=round_ * 10 + n,
                           snapshot_digest=f"{n:064x}", snapshot={})  # fmt: skip
            elif kind == 2:
                uow.record("sponsor", "review.signed", key, gate="planning",
                           round=round_ * 10 + n - 1, role="sponsor", decision="go",
                           meaning="Approved as sponsor", snapshot_digest=f"{n - 1:064x}",
                           signature=n)  # fmt: skip
            else:
                uow.record("sponsor", "review.decided", key, gate="planning",
                           round=round_ * 10 + n - 2, decision="recycle", reason="again",
                           old_stage="initiation", new_stage="initiation",
                           follow_ups=[])  # fmt: skip
        uow.commit()


def timed(action: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def checkpoint(ws: Workspace, auditor: Actor) -> tuple[str, float]:
    def write() -> str:
        with ws.unit_of_work() as uow:
            note = audit.checkpoint(uow, auditor)
            uow.commit()
        return note

    return timed(write)


def verify(ws: Workspace, notes: list[str]) -> tuple[Any, float]:
    def run() -> Any:
        with ws.unit_of_work(read_only=True) as uow:
            return audit.verify(uow, checkpoints=notes)

    return timed(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=200)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lockgate-audit-"))
    url = _fresh_database(args.backend, folder, args.postgres_url)
    ws = Workspace(make_engine(url), folder / "evidence")
    os.environ["LOCKGATE_AUDIT_KEY"] = generate("bench.lockgate/audit")[0]
    try:
        upgrade(ws.engine)
        seed_demo(ws)
        with ws.unit_of_work() as uow:
            auditor = authenticate(uow, "auditor", "demo-password", "bench")
            uow.commit()
        half = args.events // 2
        _, seconds = timed(lambda: append_bulk(ws, half))
        first, first_took = checkpoint(ws, auditor)
        _, more = timed(lambda: append_bulk(ws, args.events - half))
        second, second_took = checkpoint(ws, auditor)
        print(
            f"{args.backend}: {args.events:,} events appended in bulk in {seconds + more:.1f} s; "
            f"checkpoint at {half:,} (stores the tree nodes) {first_took:.2f} s, "
            f"at {args.events:,} (extends them) {second_took:.2f} s"
        )
        report(ws, auditor, first, second, args)
    finally:
        ws.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def report(ws: Workspace, auditor: Actor, first: str, second: str, args: Any) -> None:
    size = int(second.split("\n")[1])
    result, took = verify(ws, [])
    print(f"  verify (chain and head): {result.checked:,} events in {took:.2f} s = "
          f"{result.checked / took:,.0f} events/s, ok={result.ok}")  # fmt: skip
    result, took = verify(ws, [first, second])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  verify against 2 checkpoints (Merkle root recomputed): {took:.2f} s = "
        f"{result.checked / took:,.0f} events/s, ok={result.ok}; max RSS {rss:.0f} MB"
    )

    def deep() -> Any:
        with ws.unit_of_work(read_only=True) as uow:
            return audit.verify_deep(uow)

    (result, mismatches), took = timed(deep)
    print(
        f"  verify --deep (chain, then every event replayed and the tables reconciled): "
        f"{took:.2f} s = {result.checked / took:,.0f} events/s, {len(mismatches)} mismatches"
    )
    one_project_events(ws, "BENCH-1", 1_000)
    for _ in range(2):  # the first run warms the database's cache
        with ws.unit_of_work(read_only=True) as uow:
            seen, took = timed(lambda u=uow: replay_project(u, "BENCH-1", u.now))
    print(
        f"  a project as of now, rebuilt from its {seen.events:,} events: {took * 1000:.1f} ms "
        f"({len(seen.rounds)} review rounds)"
    )
    rng = random.Random(10)
    times = []
    for _ in range(args.proofs):
        seq = rng.randrange(1, size + 1)
        with ws.unit_of_work(read_only=True) as uow:
            _, took = timed(lambda s=seq, u=uow: audit.prove(u, auditor, s, second))
        times.append(took * 1000)
    times.sort()
    print(f"  inclusion proof ({args.proofs} random events of {size:,}): median "
          f"{statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, "
          f"worst {times[-1]:.1f} ms")  # fmt: skip
    with ws.unit_of_work(read_only=True) as uow:
        _, took = timed(lambda: audit.consistency(uow, auditor, first, second))
    print(f"  consistency proof between the two checkpoints: {took * 1000:.1f} ms")


if __name__ == "__main__":
    main()
