"""The gate dossier of a large project: 5 gates passed, about 200 events and 50 evidence files
of 10 MB in all. Times the export (pinned to a signed checkpoint, every event proven) and its
check with no database, and the memory the export adds.

    python bench/dossier.py [--backend postgres] [--files 50] [--megabytes 10]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from engine import LifecycleCounts, add_people, lifecycle, verb
from scale import POSTGRES_URL, _fresh_database
from sqlalchemy import func, select

from workflows.store.audit_keys import generate
from workflows.store.db import make_engine
from workflows.store.records import AuditEvent
from workflows.store.schema import upgrade
from workflows.verbs import attach, audit
from workflows.verbs.dossier import export_dossier, verify_dossier
from workflows.workspace import Workspace

KEY = "DOS-1"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--megabytes", type=float, default=10)
    parser.add_argument("--links", type=int, default=95, help="more events: link versions")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--pdf", action="store_true", help="print the report to PDF too")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lockgate-dossier-"))
    url = _fresh_database(args.backend, folder, args.postgres_url)
    ws = Workspace(make_engine(url), folder / "evidence")
    secret, public = generate("bench.lockgate/audit")
    os.environ["LOCKGATE_AUDIT_KEY"] = secret
    try:
        upgrade(ws.engine)
        add_people(ws)
        lifecycle(ws, KEY, LifecycleCounts())
        rng = random.Random(5)
        size = int(args.megabytes * 1024 * 1024 / args.files)
        for n in range(args.files):
            body = io.BytesIO(rng.randbytes(size))
            verb(ws, attach.attach_file, "pm", KEY, "lessons_learned", body, f"annex-{n}.pdf")
        for n in range(args.links):
            verb(ws, attach.attach_link, "pm", KEY, "risk_register", f"https://wiki/x/{n}")
        verb(ws, audit.checkpoint, "pmo")
        with ws.unit_of_work(read_only=True) as uow:
            events = uow.session.execute(
                select(func.count()).where(AuditEvent.project_key == KEY)
            ).scalar_one()
        measure(ws, args, events, public, folder)
    finally:
        ws.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def measure(
    ws: Workspace, args: argparse.Namespace, events: int, public: str, folder: Path
) -> None:
    from engine import actor_in

    auditor = actor_in(ws, "pmo")  # the PMO may export dossiers too
    path = folder / "dossier.zip"
    before = rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    with ws.unit_of_work() as uow, path.open("wb") as out:
        done = export_dossier(uow, auditor, KEY, out, pdf=args.pdf)
        uow.commit()
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    grew = rss_mb() - before
    started = time.perf_counter()
    verify_dossier(str(path), [public])
    checked = time.perf_counter() - started
    print(
        f"{args.backend}: dossier of {KEY} ({events} events, {args.files} evidence files of "
        f"{args.megabytes:g} MB, 5 gates{', with the PDF' if args.pdf else ''}): "
        f"{done.files} files, "
        f"{path.stat().st_size / 1024 / 1024:.1f} MB zip, exported in {took:.2f} s, "
        f"peak resident memory grew {grew:.1f} MB (Python allocations peaked at {peak:.1f} MB); "
        f"checked with no database in {checked:.2f} s"
    )


if __name__ == "__main__":
    main()
