"""Readiness of every gate for generated projects under a shipped policy.

    python bench/readiness.py [--projects 10000] [--policy standard] [--seed 7]
                              [--programmes 4]

Prints projects/s, gate evaluations/s, and the cost of one CEL evaluation (conditions are
compiled once, when the policy loads). Target: 10,000 projects x 5 gates in < 2 s on one core.

With --programmes N the projects are put in programmes of N projects each, under the policy
with its `major` rule reading `programme.total_budget` and a gate criterion waiting for
`programme.reached.planning`: the programmes' totals are added up (as the batch reader's one
grouped statement returns them), each project's `programme` value is built, and readiness is
timed again; both figures are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from gates.model import Evidence, ProjectState, Signature
from gates.programmes import Members, joined, programme_value
from gates.readiness import readiness_of_all
from gates.tiering import classify
from policies import parse_policy
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


PROGRAMME_RULE = ("project.budget >= 1000000 ||", "programme.total_budget >= 1000000.0 ||")
PROGRAMME_CRITERION = """    criteria:
      - id: programme_planned
        title: The programme's other projects have reached planning
        expr: programme.reached.planning
"""


def programme_policy(policy: Policy) -> Policy:
    """The shipped policy with its first tier rule over the programme's total budget and
    a criterion at its second gate waiting for the programme's other projects."""
    source = Path(__file__).parent.parent / "policies" / "library" / f"{policy.id}.yaml"
    text = source.read_text(encoding="utf-8")
    if PROGRAMME_RULE[0] not in text:
        raise SystemExit(f"--programmes needs a policy whose tier rule reads {PROGRAMME_RULE[0]}")
    text = text.replace(*PROGRAMME_RULE, 1)
    second = text.index(f"stage: {policy.gates[1].stage}\n")
    place = text.index("    criteria:\n", second)
    text = text[:place] + PROGRAMME_CRITERION + text[place + len("    criteria:\n") :]
    return parse_policy(text, f"{policy.id}-programmes.yaml")


def in_programmes(
    policy: Policy, states: list[ProjectState], size: int, rng: random.Random
) -> tuple[list[ProjectState], float]:
    """The states again, in programmes of `size` projects, each with its tier chosen from its
    programme's totals and its `programme` value; and the seconds this took."""
    start = time.perf_counter()
    stages = [rng.choice(policy.stages) for _ in states]
    groups = [range(i, min(i + size, len(states))) for i in range(0, len(states), size)]
    found = []
    for group in groups:
        members = Members(f"P{group.start}", 0)
        for i in group:
            members = joined(members, states[i].facts, stages[i])
        for i in group:
            value = programme_value(policy, members, stages[i])
            tier = classify(policy, states[i].facts, programme=value).tier.id
            found.append(replace(states[i], tier=tier, programme=value))
    return found, time.perf_counter() - start


def time_readiness(policy: Policy, states: list[ProjectState], label: str) -> float:
    """Readiness of every gate of every project, timed and printed; the seconds."""
    start = time.perf_counter()
    lines = 0
    for state in states:
        for report in readiness_of_all(policy, state, NOW):
            lines += len(report.lines)
    elapsed = time.perf_counter() - start
    gates = len(states) * len(policy.gates)
    print(
        f"readiness{label}: {len(states):,} projects x {len(policy.gates)} gates in "
        f"{elapsed:.3f} s = {len(states) / elapsed:,.0f} projects/s, {gates / elapsed:,.0f} "
        f"gates/s, {elapsed / lines * 1e6:.2f} us per requirement line "
        f"({lines:,} lines; reasons render when read)"
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--policy", default="standard")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--programmes",
        type=int,
        default=0,
        metavar="N",
        help="also put the projects in programmes of N projects, under a tier rule over "
        "programme.total_budget and a criterion over programme.reached, and time that too",
    )
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

    elapsed = time_readiness(policy, states, "")
    if args.programmes > 0:
        programmed = programme_policy(policy)
        grouped, built = in_programmes(programmed, states, args.programmes, rng)
        majors = sum(s.tier == "major" for s in grouped), sum(s.tier == "major" for s in states)
        print(
            f"programmes of {args.programmes}: totals, tiers and programme values built in "
            f"{built:.3f} s; major projects {majors[0]:,} (alone: {majors[1]:,})"
        )
        with_programmes = time_readiness(programmed, grouped, " in programmes")
        elapsed = max(elapsed, with_programmes)

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
