"""Readiness of every gate for generated projects under a shipped policy.

    python bench/readiness.py [--projects 10000] [--policy standard] [--seed 7]

Prints projects/s, gate evaluations/s, and the cost of one CEL evaluation (conditions are
compiled once, when the policy loads). Target: 10,000 projects x 5 gates in < 2 s on one core.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from gates.model import Evidence, ProjectState, Signature
from gates.readiness import readiness_of_all
from gates.tiering import classify
from policies.conditions import evaluation_context
from policies.library import find_policy
from policies.model import Decision, FactType, FactValue, Policy

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def generate_facts(policy: Policy, rng: random.Random) -> dict[str, FactValue]:
    """Plausible facts for one project: a log-normal budget, a skewed risk, some flags."""
    facts: dict[str, FactValue] = {}
    for fact in policy.facts:
        if fact.type is FactType.MONEY:
            facts[fact.id] = Decimal(int(rng.lognormvariate(12, 1.3)))
        elif fact.type is FactType.INTEGER:
            facts[fact.id] = rng.randint(1, 40)
        elif fact.type is FactType.BOOLEAN:
            facts[fact.id] = rng.random() < 0.3
        elif fact.type is FactType.ENUM:
            facts[fact.id] = rng.choice(fact.values)
        elif fact.type is FactType.DATE:
            facts[fact.id] = date(2027, 1, 1) + timedelta(days=rng.randint(0, 700))
        else:
            facts[fact.id] = f"unit {rng.randint(1, 20)}"
    return facts


def generate_state(policy: Policy, rng: random.Random) -> ProjectState:
    """A project with facts, its tier, about 70% of the evidence and a few signatures."""
    facts = generate_facts(policy, rng)
    tier = classify(policy, facts).tier.id
    evidence = {}
    for gate in policy.gates:
        for artifact in gate.artifacts:
            if rng.random() < 0.7:
                attached = NOW - timedelta(days=rng.randint(0, 400))
                evidence[artifact.id] = Evidence(artifact.id, 1, "0" * 64, attached, "pm")
    signatures = [
        Signature(f"user{rng.randint(1, 50)}", s.role, Decision.GO, NOW, "snap")
        for s in policy.gates[0].signoffs
        if rng.random() < 0.5
    ]
    return ProjectState(facts, tier, evidence, signatures, (), "snap", "pm", "pm")


def measure_cel(policy: Policy, states: list[ProjectState]) -> tuple[int, float]:
    """Evaluate every compiled condition once per project; returns (evaluations, seconds)."""
    conditions = [
        c
        for gate in policy.gates
        for r in gate.requirements
        for c in (r.when, getattr(r, "expr", None))
        if c is not None
    ]
    contexts = [evaluation_context(s.facts, s.tier) for s in states]
    count = 0
    start = time.perf_counter()
    for context in contexts:
        for condition in conditions:
            with contextlib.suppress(Exception):  # an unset optional fact: still an evaluation
                condition.program.execute(context)
            count += 1
    return count, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--policy", default="standard")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    policy = find_policy(args.policy)
    load = time.perf_counter() - start
    rng = random.Random(args.seed)
    states = [generate_state(policy, rng) for _ in range(args.projects)]
    requirements = sum(len(g.requirements) for g in policy.gates)
    print(
        f"policy {policy.ref}: {len(policy.gates)} gates, {requirements} requirements, "
        f"loaded and compiled in {load * 1000:.1f} ms"
    )

    start = time.perf_counter()
    lines = 0
    for state in states:
        for report in readiness_of_all(policy, state, NOW):
            lines += len(report.lines)
    elapsed = time.perf_counter() - start
    gates = args.projects * len(policy.gates)
    print(
        f"readiness: {args.projects:,} projects x {len(policy.gates)} gates in {elapsed:.3f} s "
        f"= {args.projects / elapsed:,.0f} projects/s, {gates / elapsed:,.0f} gates/s, "
        f"{elapsed / lines * 1e6:.2f} us per requirement line "
        f"({lines:,} lines; reasons render when read)"
    )

    count, seconds = measure_cel(policy, states)
    print(
        f"CEL: {count:,} evaluations in {seconds:.3f} s = {seconds / count * 1e6:.2f} us each "
        f"(compiled once per policy, one context per project)"
    )
    verdict = "meets" if elapsed < 2.0 else "misses"
    target = f"{args.projects:,} x {len(policy.gates)} gates < 2 s"
    print(f"target: {target}: {verdict} ({elapsed:.2f} s)")


if __name__ == "__main__":
    main()
