"""How long a `lockgate` command takes from start to exit, in fresh processes.

    python bench/cli_startup.py [--runs 15] [--projects 10]

Prints the median wall time of `python -c "import click"` (the floor of any click program),
`lockgate --help`, `lockgate policy check policies/library/standard.yaml` and `lockgate
project list` on a small demo database, and the ratio `--help` / `import click`.
Target: `lockgate --help` under 5x `import click`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lockgate() -> list[str]:
    """The console script installed next to this Python, else the package run as a module."""
    script = Path(sys.executable).with_name("lockgate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "web.cli"]


def median_seconds(command: list[str], runs: int, env: dict[str, str]) -> float:
    """The median wall time of `command`, each run a new process (one warm-up run first)."""
    times = []
    for attempt in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        if attempt:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--projects", type=int, default=10)
    options = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="lockgate-cli-bench-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOCKGATE_")} | {
        "LOCKGATE_INSTANCE": str(instance)
    }
    try:
        seed = [*lockgate(), "demo", "--seed-only", "--projects", str(options.projects)]
        subprocess.run(seed, env=env, check=True, capture_output=True)
        commands = {
            'python -c "import click"': [sys.executable, "-c", "import click"],
            "lockgate --help": [*lockgate(), "--help"],
            "lockgate policy check standard.yaml": [
                *lockgate(),
                "policy",
                "check",
                "policies/library/standard.yaml",
            ],
            f"lockgate project list ({options.projects} projects)": [
                *lockgate(),
                "project",
                "list",
            ],
        }
        print(f"median of {options.runs} runs, each a fresh process")
        medians = {}
        for label, command in commands.items():
            medians[label] = median_seconds(command, options.runs, env)
            print(f"  {label:<42} {medians[label] * 1000:7.0f} ms")
        ratio = medians["lockgate --help"] / medians['python -c "import click"']
        print(f"lockgate --help / import click: {ratio:.1f}x (target: under 5x)")
    finally:
        shutil.rmtree(instance)


if __name__ == "__main__":
    main()
