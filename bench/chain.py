"""Benchmark the audit chain: build N events in memory, then verify them.

Run from the repository root:  python bench/chain.py [--events N]
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gates.chain import ChainedEvent, canonical_bytes, chain_next, verify_chain
from gates.checkpoints import sign_checkpoint

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ROLES = ("sponsor", "finance", "security", "architecture", "operations")
GATES = ("initiation", "planning", "execution", "cutover", "closure")
BATCH = 10_000


def record(n: int) -> dict[str, object]:
    """A realistic audit event body: a sponsor signing a gate review (about 300 bytes)."""
    return {
        "action": "review.signed",
        "actor": {"id": 1_000 + n % 977, "name": "Dana Whitfield", "role": ROLES[n % 5]},
        "at": START + timedelta(seconds=n),
        "project": f"PRJ-{n % 4_000:04d}",
        "gate": GATES[n % 5],
        "review": n // 7,
        "meaning": f"approved as {ROLES[n % 5]}",
        "snapshot": f"{n:064x}",
        "budget": Decimal("250000.00"),
    }


def build(count: int) -> tuple[list[ChainedEvent], float, float]:
    """Build the trail; return it with the seconds spent in canonical_bytes and in chain_next.

    The records themselves are made outside the timings: that cost belongs to the caller.
    """
    events: list[ChainedEvent] = []
    head: ChainedEvent | None = None
    encoding = chaining = 0.0
    for first in range(0, count, BATCH):
        records = [record(n) for n in range(first, min(first + BATCH, count))]
        started = time.perf_counter()
        bodies = [canonical_bytes(r) for r in records]
        encoded = time.perf_counter()
        for body in bodies:
            head = chain_next(head, body)
            events.append(head)
        chaining += time.perf_counter() - encoded
        encoding += encoded - started
    return events, encoding, chaining


def report(what: str, count: int, seconds: float) -> None:
    rate = count / seconds
    print(f"{what}: {count:,} events in {seconds:.2f} s ({rate:,.0f} events/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events to build")
    parser.add_argument("--repeat", type=int, default=3, help="verifications (best is shown)")
    options = parser.parse_args()
    count = options.events

    gc.disable()  # a million long-lived objects: the collector would time itself, not us
    events, encoding, chaining = build(count)
    gc.enable()
    report("event bodies (canonical_bytes)", count, encoding)
    report("chaining (chain_next)", count, chaining)
    report("chain build", count, encoding + chaining)
    print(f"body size: {sum(len(e.body) for e in events) / max(count, 1):.0f} bytes on average")

    gc.collect()
    gc.freeze()  # the built trail is permanent: keep the collector from rescanning it
    checkpoint = sign_checkpoint(events[-1].head, START, b"bench key") if events else None
    timings = []
    for _ in range(max(options.repeat, 1)):
        started = time.perf_counter()
        result = verify_chain(events, checkpoint)
        timings.append(time.perf_counter() - started)
    runs = ", ".join(f"{seconds:.2f}" for seconds in timings)
    report(f"chain verify (best of {len(timings)}: {runs} s)", result.checked, min(timings))
    print("verified: ok" if result.ok else f"verified: FAILED: {result.problem}")


if __name__ == "__main__":
    main()
