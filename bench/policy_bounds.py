"""How fast `policy check` refuses a file past the policy language's bounds, and what the
refused conditions would have cost to run.

    python bench/policy_bounds.py

Prints the time to check the shipped standard policy, then files nested deep, a "billion
laughs", an oversized file and a condition with nested macros: each is refused before it is
composed or run. Then the time one evaluation of three nested maps takes as their lists grow,
which is what a worker would have spent on every gate review before the bound.
"""

from __future__ import annotations

import time

import cel

from policies import check_policy_text
from policies.cel_cost import estimate
from policies.library import LIBRARY
from policies.limits import MAX_POLICY_BYTES

STANDARD = (LIBRARY / "standard.yaml").read_text(encoding="utf-8")


def numbers(count: int) -> str:
    return "[" + ", ".join(str(n) for n in range(count)) + "]"


def nested_maps(size: int) -> str:
    items = numbers(size)
    return f"{items}.map(x, {items}.map(y, {items}.map(z, x + y + z))).size() > 0"


def laughs() -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def timed(text: str, repeat: int = 5) -> tuple[float, str]:
    """Best time of `repeat` checks of `text` (ms), and the first problem found, if any."""
    best, first = float("inf"), ""
    for _ in range(repeat):
        start = time.perf_counter()
        _, problems = check_policy_text(text, "bench.yaml")
        best = min(best, time.perf_counter() - start)
        first = problems[0].message if problems else "ok"
    return best * 1000, first


def main() -> None:
    cases = {
        "standard.yaml (23 KB, valid)": STANDARD,
        "nested 5,000 deep (flow)": "facts: " + "[" * 5000 + "]" * 5000,
        "nested 260,000 deep (flow, 512 KB)": "facts: " + "[" * 260_000 + "]" * 260_000,
        "billion laughs (10^9 values)": laughs(),
        "a file of 600 KB": STANDARD + "# " + "x" * (MAX_POLICY_BYTES + 100_000) + "\n",
        "three nested maps over 60 items": STANDARD.replace(
            "expr: project.duration_months <= 36", f"expr: '{nested_maps(60)}'", 1
        ),
    }
    print("policy check, best of 5:")
    for label, text in cases.items():
        ms, first = timed(text, repeat=3 if "260,000" in label else 5)
        print(f"  {label:<38} {ms:8.1f} ms   {first[:70]}")

    print("\none evaluation of three nested maps (what the bound now refuses):")
    for size in (5, 10, 20, 30, 40):
        source = nested_maps(size)
        program = cel.compile(source)
        start = time.perf_counter()
        program.execute({})
        took = time.perf_counter() - start
        runs = estimate(source).iterations
        print(f"  lists of {size:>3}: {runs:>9,} body runs  {took * 1000:9.1f} ms")
    print("  (the issue's 100-item lists: about 1,000,000 runs, past two minutes with the probes)")


if __name__ == "__main__":
    main()
