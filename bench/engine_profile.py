"""Where the time of a verb goes: a cProfile report by layer, and light per-step timers.

A helper of bench/engine.py (bench only). cProfile instruments every Python call, which
inflates code made of many small calls (SQLAlchemy) far more than C code (SQLite); the step
timers wrap only a dozen functions, so their figures are close to the unprofiled run.
"""

from __future__ import annotations

import functools
import importlib
import io
import pstats
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

SQL = "SQL: Session.execute (ORM/Core + driver)"

# (label, module, function or Class.method): the steps of sign and decide, timed inclusively.
STEPS = (
    ("sign verb (whole transaction, in verb())", "workflows.verbs.reviews", "sign"),
    ("decide verb (whole transaction)", "workflows.verbs.reviews", "decide"),
    ("uow.commit: flush + COMMIT", "workflows.store.uow", "UnitOfWork.commit"),
    ("uow exit: close the session, release", "workflows.store.uow", "UnitOfWork.__exit__"),
    ("audit append: uow.record (lock head, hash)", "workflows.store.uow", "UnitOfWork.record"),
    ("password re-check: _reauthenticate", "workflows.verbs.reviews", "_reauthenticate"),
    ("load_under_review (project FOR UPDATE, open review)", "workflows.state", "load_under_review"),
    ("gate_inputs (signatures, waivers, evidence)", "workflows.gate_inputs", "gate_inputs"),
    ("authority collector (roles, delegations)", "workflows.authority", "_read"),
    ("pending sign-offs after a signature", "workflows.pending", "after_signature"),
    ("readiness() (pure, CEL)", "gates.readiness", "readiness"),
    ("check_sign() (pure)", "gates.signoffs", "check_sign"),
    ("can_decide() (pure)", "gates.decisions", "can_decide"),
    ("transitions: Lifecycle.fire", "workflows.machines", "Lifecycle.fire"),
    ("canonical_bytes (orjson)", "gates.chain", "canonical_bytes"),
    ("Session.flush (explicit + autoflush)", "sqlalchemy.orm.session", "Session.flush"),
    (SQL, "sqlalchemy.orm.session", "Session.execute"),
)

# Steps that are pure Lockgate computation (no SQL inside), shown apart from SQL and the rest.
PURE = (
    "readiness() (pure, CEL)",
    "check_sign() (pure)",
    "can_decide() (pure)",
    "transitions: Lifecycle.fire",
    "canonical_bytes (orjson)",
)


def _wrap(original: Callable[..., Any], slot: list[float]) -> Callable[..., Any]:
    clock = time.perf_counter

    @functools.wraps(original)
    def timed(*args: Any, **options: Any) -> Any:
        started = clock()
        try:
            return original(*args, **options)
        finally:
            slot[0] += clock() - started
            slot[1] += 1

    return timed


@contextmanager
def timed_steps() -> Iterator[dict[str, list[float]]]:
    """Time every step in STEPS (inclusive) while in the block.

    Module functions are replaced wherever workflows/gates modules imported them by name.
    Statements a flush sends are timed within Session.flush, not Session.execute.
    """
    totals: dict[str, list[float]] = {label: [0.0, 0] for label, _, _ in STEPS}
    patched: list[tuple[object, str, object]] = []
    for label, module_name, qualname in STEPS:
        module = importlib.import_module(module_name)
        owner_name, _, attr = qualname.rpartition(".")
        if owner_name:
            owner = getattr(module, owner_name)
            original = owner.__dict__[attr]
            patched.append((owner, attr, original))
            setattr(owner, attr, _wrap(original, totals[label]))
            continue
        original = getattr(module, attr)
        wrapper = _wrap(original, totals[label])
        for name, loaded in list(sys.modules.items()):
            if (
                name.split(".")[0] in ("workflows", "gates")
                and loaded.__dict__.get(attr) is original
            ):
                patched.append((loaded, attr, original))
                setattr(loaded, attr, wrapper)
    try:
        yield totals
    finally:
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)


def step_report(totals: dict[str, list[float]], count: int, wall: float) -> dict[str, float]:
    """Print the per-step table; returns ms per review of the headline parts."""
    print(
        f"\nstep timers (no profiler) over {count} sign+decide, {1000 * wall / count:.2f} ms per "
        "review wall-clock; inclusive times, steps nest:"
    )
    for label, (seconds, calls) in totals.items():
        print(
            f"  {label:<48} {1000 * seconds / count:7.3f} ms/review  {seconds / wall:6.1%}  "
            f"({calls / count:.1f} calls/review)"
        )
    per = {label: 1000 * seconds / count for label, (seconds, _) in totals.items()}
    total = 1000 * wall / count
    sql = per[SQL]
    pure = sum(per[label] for label in PURE)
    statements = totals[SQL][1] / count
    rest = total - sql - pure
    print("\nwhere the time goes (per review = one sign + one decide, two transactions):")
    print(
        f"  Session.execute (ORM/Core + driver):      {sql:6.3f} ms ({statements:.0f} statements, "
        f"{1000 * sql / statements:.0f} us each; flush, BEGIN and COMMIT not included)"
    )
    for label in PURE:
        print(f"  {label:<41} {per[label]:7.3f} ms")
    print(
        f"  the rest: connections, BEGIN/COMMIT, glue:  {rest:5.3f} ms ({rest / total:.0%}: "
        "pool checkout and return, transaction begin and commit, building values and rows)"
    )
    print(
        f"  of which audit append (uow.record: lock the head, hash, INSERT): "
        f"{per['audit append: uow.record (lock head, hash)']:.3f} ms; commit: "
        f"{per['uow.commit: flush + COMMIT']:.3f} ms"
    )
    return {"sql_ms": sql, "pure_ms": pure, "orm_ms": rest, "statements": statements}


# -- the cProfile report -----------------------------------------------------------------------


def bucket(filename: str, name: str) -> str:
    """Which layer a profiled function belongs to (by file, or by name for C functions)."""
    if filename == "~":
        lowered = name.lower()
        if "sqlite3" in lowered:
            return "SQL driver, C (sqlite3 execute/fetch/commit)"
        if "psycopg" in lowered:
            return "SQL driver, C (psycopg)"
        if "hashlib" in lowered or "scrypt" in lowered or "sha256" in lowered:
            return "hashing (sha256)"
        if "orjson" in lowered:
            return "orjson (canonical bytes)"
        if "cel." in lowered or "'cel" in lowered:
            return "CEL evaluation, C"
        return "other built-in calls (isinstance, getattr, dict.get: mostly from SQLAlchemy)"
    path = filename.replace("\\", "/")
    if "/sqlalchemy/orm/" in path:
        return "SQLAlchemy ORM, Python"
    if "/sqlalchemy/" in path:
        return "SQLAlchemy Core/engine, Python"
    if "/psycopg/" in path:
        return "SQL driver, Python (psycopg)"
    if "/sqlite3/" in path:
        return "SQL driver, Python (sqlite3 adapters)"
    if "/transitions/" in path:
        return "transitions"
    if "/gates/" in path or "/policies/" in path:
        return "gate rules: readiness, authority, check_sign, can_decide (Python)"
    if "/workflows/" in path:
        return "workflows verbs + unit of work (own code only)"
    if "/bench/" in path:
        return "benchmark harness"
    return "other Python (stdlib: datetime, enum, dataclasses, ...)"


def _matches(filename: str, name: str, module: str, qualname: str) -> bool:
    path = filename.replace("\\", "/")
    return name == qualname.rpartition(".")[2] and path.endswith(module.replace(".", "/") + ".py")


def profile_report(stats: pstats.Stats, count: int) -> None:
    """Print the layers, the steps and the top 15 functions of a cProfile of `count` reviews."""
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"\ncProfile of {count} sign+decide (cheap password check): {total:.2f} s, "
        f"{1000 * total / count:.2f} ms per review (profiler overhead included: it inflates "
        "SQLAlchemy's many small calls most)"
    )
    layers: Counter[str] = Counter()
    for (filename, _, name), (_, _, own, _, _) in table.items():
        layers[bucket(filename, name)] += own
    print("\nexclusive time by layer (tottime summed; adds up to 100%):")
    for layer, seconds in layers.most_common():
        print(f"  {layer:<78} {1000 * seconds / count:7.3f} ms  {seconds / total:6.1%}")

    print("\ninclusive time of the steps under the profiler (cumtime; steps nest):")
    for label, module, qualname in STEPS:
        calls = cumulative = 0.0
        for (filename, _, name), (_, ncalls, _, cum, _) in table.items():
            if _matches(filename, name, module, qualname):
                calls += ncalls
                cumulative += cum
        print(
            f"  {label:<48} {1000 * cumulative / count:7.3f} ms/review  "
            f"{cumulative / total:6.1%}  ({calls / count:.1f} calls/review)"
        )
    drivers = [
        (name, values)
        for (filename, _, name), values in table.items()
        if filename == "~" and ("sqlite3" in name or "psycopg" in name)
    ]
    print("\nSQL driver calls (C):")
    for name, (_, ncalls, own, _, _) in sorted(drivers, key=lambda item: -item[1][2]):
        print(f"  {name:<58} {ncalls / count:6.1f} calls/review  {1000 * own / count:7.3f} ms")

    stats.strip_dirs()
    for order in ("cumulative", "tottime"):
        print(f"\ntop 15 functions by {order}:")
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(order).print_stats(15)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print("\n".join(lines[start:]).rstrip())
