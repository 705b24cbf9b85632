"""Readiness of every gate for generated projects under a shipped policy.

    python bench/readiness.py [--projects 10000] [--policy standard] [--seed 7] [--evidence]
    python bench/readiness.py --features
    python bench/readiness.py --programmes 4

Prints projects/s, gate evaluations/s, and the cost of one CEL evaluation (conditions are
compiled once, when the policy loads). Target: 10,000 projects x 5 gates in < 2 s on one core.

With --evidence, runs twice and prints both figures: without criteria over evidence fields
(the policy's own removed, projects without form values), then with them (the policy's own
plus EXTRA_CRITERIA, and the values of every form attached to the project).

With --features, prints the figure for the standard policy (none of issue 11's features),
then for the stage-gate and gateway library policies, which use them: advisory and consulted
sign-offs, a sign-off counted from the facts (`min: project.launch_markets`), criteria over
evidence fields, money in a base currency with a third of the projects' money given in a
foreign one, panel votes and assurance reviews (read at decision time, not by readiness).

With --programmes N, runs twice: the projects alone, then in programmes of N projects under
the policy with its first tier rule reading `programme.total_budget` and a criterion at its
second gate waiting for `programme.reached.<stage>` (the totals added up as the batch reader
adds them, each project's `programme` value built outside the timing); prints both figures.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import yaml

from gates.model import Evidence, ProjectState, Signature
from gates.programmes import Members, joined, programme_value
from gates.readiness import readiness_of_all
from gates.tiering import classify
from policies.conditions import evaluation_context
from policies.facts import parse_value
from policies.library import find_policy, policy_path
from policies.loader import parse_policy
from policies.model import ArtifactKind, Decision, FactType, FactValue, FormField, Policy

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def generate_facts(policy: Policy, rng: random.Random) -> dict[str, FactValue]:
    """Plausible facts for one project: a log-normal budget, a skewed risk, some flags; where
    the policy states a currency, a third of the money in another one it has a rate for."""
    facts: dict[str, FactValue] = {}
    for fact in policy.facts:
        if fact.type is FactType.MONEY:
            amount = int(rng.lognormvariate(12, 1.3)) * (-1 if fact.money.negative else 1)
            foreign = [c for c in fact.money.currencies if c != policy.currency]
            if foreign and rng.random() < 1 / 3:
                text = f"{rng.choice(foreign)} {amount}"
                facts[fact.id] = parse_value(FactType.MONEY, text, money=fact.money)
            else:
                facts[fact.id] = parse_value(FactType.MONEY, str(amount), money=fact.money)
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


# Criteria over evidence fields a PMO might add to the standard policy, by gate: with the
# library's own, every gate but planning reads a form (planning has none to read).
EXTRA_CRITERIA: dict[str, list[dict[str, Any]]] = {
    "initiation": [
        {"id": "afe_covers_budget", "title": "The AFE covers the budget",
         "expr": "evidence.budget_authorization.approved_amount >= project.budget"},
    ],
    "execution": [
        {"id": "uat_pass_rate", "title": "UAT passed at 95% or more",
         "expr": "evidence.uat_signoff.pass_rate_percent >= 95"},
        {"id": "uat_accepted", "title": "The business accepts the UAT",
         "expr": 'evidence.uat_signoff.recommendation != "reject"'},
    ],
    "cutover": [
        {"id": "rollback_tested", "title": "The rollback is tested",
         "expr": "evidence.go_no_go_checklist.rollback_tested"},
        {"id": "monitoring", "title": "Monitoring is configured",
         "expr": "evidence.service_readiness.monitoring_configured"},
    ],
    "closure": [
        {"id": "final_cost_within_budget", "title": "The final cost is within the budget",
         "expr": "evidence.cost_closure.final_cost <= project.budget * 1.1"},
    ],
}  # fmt: skip


def policy_variant(name: str, evidence: bool) -> Policy:
    """The policy `name` with no criterion over evidence fields, or with EXTRA_CRITERIA too."""
    data = yaml.safe_load(policy_path(name).read_text(encoding="utf-8"))
    for gate in data["gates"]:
        criteria = gate.get("criteria", [])
        if evidence:
            gate["criteria"] = criteria + EXTRA_CRITERIA.get(gate["id"], [])
        else:
            gate["criteria"] = [c for c in criteria if "evidence." not in c["expr"]]
    return parse_policy(yaml.safe_dump(data, sort_keys=False), f"{name} (bench)")


def generate_form(fields: tuple[FormField, ...], rng: random.Random) -> dict[str, FactValue]:
    """Plausible values of a form's fields: most counts of defects zero, most checks done."""
    values: dict[str, FactValue] = {}
    for field in fields:
        if not field.required and rng.random() < 0.3:
            continue
        if field.type is FactType.INTEGER:
            values[field.id] = rng.choice([0, 0, 0, 1, 2]) if "defect" in field.id else 97
        elif field.type is FactType.MONEY:
            values[field.id] = Decimal(int(rng.lognormvariate(12, 1.3)))
        elif field.type is FactType.BOOLEAN:
            values[field.id] = rng.random() < 0.9
        elif field.type is FactType.ENUM:
            values[field.id] = rng.choice(field.values)
        elif field.type is FactType.DATE:
            values[field.id] = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
        else:
            values[field.id] = f"{field.title} {rng.randint(1, 999)}"
    return values


def generate_state(policy: Policy, rng: random.Random, forms: bool = False) -> ProjectState:
    """A project with facts, its tier, about 70% of the evidence and a few signatures; with
    `forms`, the values of each form attached (for the forms the policy's criteria read)."""
    facts = generate_facts(policy, rng)
    tier = classify(policy, facts).tier.id
    evidence = {}
    values: dict[str, dict[str, FactValue]] = {}
    read = policy.fields_read()
    for gate in policy.gates:
        for artifact in gate.artifacts:
            if rng.random() < 0.7:
                attached = NOW - timedelta(days=rng.randint(0, 400))
                evidence[artifact.id] = Evidence(artifact.id, 1, "0" * 64, attached, "pm")
                if forms and artifact.kind is ArtifactKind.FORM and artifact.id in read:
                    # Only the fields the criteria read, as workflows.gate_inputs gives them.
                    values[artifact.id] = generate_form(read[artifact.id], rng)
    signatures = [
        Signature(f"user{rng.randint(1, 50)}", s.role, Decision.GO, NOW, "snap")
        for s in policy.gates[0].signoffs
        if rng.random() < 0.5
    ]
    return ProjectState(facts, tier, evidence, signatures, (), "snap", "pm", "pm", forms=values)


def measure_cel(policy: Policy, states: list[ProjectState]) -> tuple[int, float]:
    """Evaluate every compiled condition once per project; returns (evaluations, seconds)."""
    conditions = [
        c
        for gate in policy.gates
        for r in gate.requirements
        for c in (r.when, getattr(r, "expr", None))
        if c is not None
    ]
    contexts = [evaluation_context(s.facts, s.tier, s.forms) for s in states]
    count = 0
    start = time.perf_counter()
    for context in contexts:
        for condition in conditions:
            with contextlib.suppress(Exception):  # an unset optional fact: still an evaluation
                condition.program.execute(context)
            count += 1
    return count, time.perf_counter() - start


def run(policy: Policy, load: float, projects: int, seed: int, forms: bool) -> float:
    """Readiness of every gate of `projects` generated projects; prints the figures and
    returns the seconds readiness took."""
    rng = random.Random(seed)
    states = [generate_state(policy, rng, forms) for _ in range(projects)]
    requirements = sum(len(g.requirements) for g in policy.gates)
    reading = sum(1 for g in policy.gates for c in g.criteria if c.expr.evidence)
    print(
        f"policy {policy.ref}: {len(policy.gates)} gates, {requirements} requirements "
        f"({reading} criteria over evidence fields), loaded and compiled in {load * 1000:.1f} ms"
    )

    start = time.perf_counter()
    lines = 0
    for state in states:
        for report in readiness_of_all(policy, state, NOW):
            lines += len(report.lines)
    elapsed = time.perf_counter() - start
    gates = projects * len(policy.gates)
    print(
        f"readiness: {projects:,} projects x {len(policy.gates)} gates in {elapsed:.3f} s "
        f"= {projects / elapsed:,.0f} projects/s, {gates / elapsed:,.0f} gates/s, "
        f"{elapsed / lines * 1e6:.2f} us per requirement line "
        f"({lines:,} lines; reasons render when read)"
    )

    count, seconds = measure_cel(policy, states)
    print(
        f"CEL: {count:,} evaluations in {seconds:.3f} s = {seconds / count * 1e6:.2f} us each "
        f"(compiled once per policy, one context per project)"
    )
    verdict = "meets" if elapsed < 2.0 else "misses"
    target = f"{projects:,} x {len(policy.gates)} gates < 2 s"
    print(f"target: {target}: {verdict} ({elapsed:.2f} s)")
    return elapsed


PROGRAMME_RULE = ("project.budget >= 1000000 ||", "programme.total_budget >= 1000000.0 ||")


def programme_policy(policy: Policy) -> Policy:
    """The shipped policy with its first tier rule over the programme's total budget and a
    criterion at its second gate waiting for the programme's other projects."""
    text = policy_path(policy.id).read_text(encoding="utf-8")
    if PROGRAMME_RULE[0] not in text:
        raise SystemExit(f"--programmes needs a policy whose tier rule reads {PROGRAMME_RULE[0]}")
    data = yaml.safe_load(text.replace(*PROGRAMME_RULE, 1))
    stage = policy.gates[0].stage
    data["gates"][1].setdefault("criteria", []).append(
        {"id": "programme_ready", "title": "The programme's other projects are ready",
         "expr": f"programme.reached.{stage}"}
    )  # fmt: skip
    return parse_policy(yaml.safe_dump(data, sort_keys=False), f"{policy.id} (programmes)")


def in_programmes(policy: Policy, states: list[ProjectState], size: int) -> list[ProjectState]:
    """The states in programmes of `size` projects: each tier chosen from its programme's
    totals, each with its `programme` value."""
    rng = random.Random(size)
    stages = [rng.choice(policy.stages) for _ in states]
    found = []
    for first in range(0, len(states), size):
        group = range(first, min(first + size, len(states)))
        members = Members(f"P{first}", 0)
        for i in group:
            members = joined(members, states[i].facts, stages[i])
        for i in group:
            value = programme_value(policy, members, stages[i])
            tier = classify(policy, states[i].facts, programme=value).tier.id
            found.append(replace(states[i], tier=tier, programme=value))
    return found


def time_readiness(policy: Policy, states: list[ProjectState]) -> float:
    """Seconds for the readiness of every gate of every project."""
    start = time.perf_counter()
    for state in states:
        readiness_of_all(policy, state, NOW)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--policy", default="standard")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--evidence",
        action="store_true",
        help="print the figures without and with criteria over evidence fields",
    )
    parser.add_argument(
        "--features",
        action="store_true",
        help="print the figures of the standard policy, then of stage_gate and gateway",
    )
    parser.add_argument(
        "--programmes",
        type=int,
        default=0,
        metavar="N",
        help="print the figure alone, then in programmes of N projects",
    )
    args = parser.parse_args()

    if args.programmes:
        policy = find_policy(args.policy)
        programmed = programme_policy(policy)
        rng = random.Random(args.seed)
        states = [generate_state(programmed, rng, True) for _ in range(args.projects)]
        alone_s = time_readiness(policy, states)
        grouped = in_programmes(programmed, states, args.programmes)
        grouped_s = time_readiness(programmed, grouped)
        majors = sum(s.tier == "major" for s in grouped), sum(s.tier == "major" for s in states)
        print(
            f"readiness, {args.projects:,} projects x {len(policy.gates)} gates: "
            f"{alone_s:.2f} s alone, {grouped_s:.2f} s in programmes of {args.programmes} "
            f"(major projects {majors[1]:,} alone, {majors[0]:,} in programmes); target < 2 s"
        )
        return
    if args.features:
        figures = {}
        for name in ("standard", "stage_gate", "gateway"):
            start = time.perf_counter()
            policy = find_policy(name)
            figures[name] = run(policy, time.perf_counter() - start, args.projects, args.seed, True)
            print()
        shown = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in figures.items())
        print(f"issue 11 features: {shown}")
        return
    if not args.evidence:
        start = time.perf_counter()
        policy = find_policy(args.policy)
        run(policy, time.perf_counter() - start, args.projects, args.seed, forms=True)
        return
    figures = []
    for evidence in (False, True):
        print("with criteria over evidence fields:" if evidence else "without them:")
        start = time.perf_counter()
        policy = policy_variant(args.policy, evidence)
        load = time.perf_counter() - start
        figures.append(run(policy, load, args.projects, args.seed, forms=evidence))
    without, with_ = figures
    print(
        f"evidence fields: {without:.2f} s without, {with_:.2f} s with "
        f"({(with_ / without - 1) * 100:+.0f}%)"
    )


if __name__ == "__main__":
    main()
