"""`lockgate policy ...`: check, show, diff and explain policies, and print their JSON Schema."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import NoReturn

import click

from gates.explain import Explanation, explain
from policies.diff import diff_policies
from policies.facts import read_facts
from policies.library import find_policy, policy_path, shipped
from policies.loader import check_policy_text
from policies.model import Artifact, Criterion, Gate, Policy, Requirement, Signoff
from policies.problems import PolicyError, Problem
from policies.schema import json_schema
from web.tables import table


@click.group("policy")
def policy_group() -> None:
    """Check, show, compare and explain policies."""


def _load(name_or_path: str) -> Policy:
    try:
        return find_policy(name_or_path)
    except PolicyError as error:
        _fail_with(error.problems)


def _fail_with(problems: tuple[Problem, ...] | list[Problem]) -> NoReturn:
    for problem in problems:
        click.echo(str(problem), err=True)
    noun = "problem" if len(problems) == 1 else "problems"
    click.echo(f"{len(problems)} {noun}", err=True)
    sys.exit(1)


@policy_group.command("check")
@click.argument("files", nargs=-1, required=True)
def check(files: tuple[str, ...]) -> None:
    """Check policy FILES and list every problem with its line and column.

    FILES may be paths or names of shipped policies. Exits 1 when any problem is found.
    """
    total, failed = 0, 0
    for name in files:
        problems = _check_one(name)
        total += len(problems)
        failed += bool(problems)
    noun = "problem" if total == 1 else "problems"
    plural = "file" if len(files) == 1 else "files"
    click.echo(f"{total} {noun} in {len(files)} {plural}")
    sys.exit(1 if total else 0)


def _check_one(name: str) -> list[Problem]:
    try:
        path = policy_path(name)
        text = path.read_text(encoding="utf-8")
    except PolicyError as error:
        problems = list(error.problems)
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        problems = [Problem(name, 1, 1, "", f"cannot read the file: {reason}")]
    else:
        policy, problems = check_policy_text(text, str(path))
        if policy is not None:
            click.echo(f"{path}: ok ({policy.ref}, {_summary(policy)})")
    for problem in problems:
        click.echo(str(problem))
    return problems


def _summary(policy: Policy) -> str:
    requirements = sum(len(g.requirements) for g in policy.gates)
    return f"{len(policy.gates)} gates, {len(policy.tiers)} tiers, {requirements} requirements"


@policy_group.command("list")
def list_library() -> None:
    """List the policies shipped with Lockgate."""
    rows = []
    for name in shipped():
        policy = _load(name)
        rows.append([policy.ref, policy.title, _summary(policy)])
    click.echo(table(["POLICY", "TITLE", "CONTENTS"], rows))


@policy_group.command("show")
@click.argument("policy")
def show(policy: str) -> None:
    """Show POLICY (a file or a shipped policy name) as tables: facts, tiers, gates."""
    loaded = _load(policy)
    click.echo(f"{loaded.ref}  {loaded.title}")
    if loaded.description:
        click.echo(loaded.description.strip())
    click.echo(f"\nStages: {' -> '.join(loaded.stages)}\n")
    facts = [
        [f.id, f.type.value, _fact_detail(f.values, f.required, f.default)] for f in loaded.facts
    ]
    click.echo(table(["FACT", "TYPE", "DETAILS"], facts))
    tiers = [[t.id, t.title, str(t.when) if t.when else "(default)"] for t in loaded.tiers]
    click.echo("\n" + table(["TIER", "TITLE", "WHEN (first match wins)"], tiers))
    for gate in loaded.gates:
        click.echo("\n" + _gate_heading(loaded, gate))
        rows = [_requirement_row(loaded, r) for r in gate.requirements]
        click.echo(table(["KIND", "REQUIREMENT", "WHEN", "DETAILS"], rows))


def _fact_detail(values: tuple[str, ...], required: bool, default: object) -> str:
    parts = [f"one of {', '.join(values)}"] if values else []
    parts.append("required" if required and default is None else "optional")
    if default is not None:
        parts.append(f"default {default}")
    return "; ".join(parts)


def _gate_heading(policy: Policy, gate: Gate) -> str:
    before = policy.stages[policy.gates.index(gate)]
    parts = [f"{gate.name} [{gate.id}]: {before} -> {gate.stage}"]
    if gate.sla_days:
        escalation = (
            f", escalates to {policy.role_title(gate.escalate_to)}" if gate.escalate_to else ""
        )
        parts.append(f"SLA {gate.sla_days} days{escalation}")
    parts.append("decisions: " + ", ".join(d.label for d in gate.decisions))
    if gate.skip_when:
        parts.append(f"skipped when {gate.skip_when}")
    return "; ".join(parts)


def _requirement_row(policy: Policy, requirement: Requirement) -> list[str]:
    when = str(requirement.when) if requirement.when else "always"
    waivable = (
        f"waivable by {', '.join(requirement.waivable_by)}" if requirement.waivable_by else ""
    )
    if isinstance(requirement, Artifact):
        detail = [requirement.kind.value]
        if requirement.fields:
            detail.append("fields " + ", ".join(f.id for f in requirement.fields))
        if requirement.max_age_days:
            detail.append(f"max age {requirement.max_age_days} days")
        row = ["artifact", f"{requirement.id}: {requirement.title}"]
    elif isinstance(requirement, Criterion):
        detail = [f"must hold: {requirement.expr}"]
        row = ["criterion", f"{requirement.id}: {requirement.title}"]
    else:
        detail = _signoff_detail(requirement)
        row = ["sign-off", policy.role_title(requirement.role)]
    return [*row, when, "; ".join([*detail, waivable] if waivable else detail)]


def _signoff_detail(signoff: Signoff) -> list[str]:
    detail = [f"min {signoff.min}"]
    if signoff.order is not None:
        detail.append(f"order {signoff.order}")
    independent = sorted(i.value.replace("_", " ") for i in signoff.independent_of)
    detail.append("independent of " + (", ".join(independent) or "nobody (allowed by policy)"))
    return detail


@policy_group.command("diff")
@click.argument("old")
@click.argument("new")
def diff(old: str, new: str) -> None:
    """Compare two policy versions: requirements added, removed and changed, per gate."""
    before, after = _load(old), _load(new)
    changes = diff_policies(before, after)
    click.echo(f"{before.ref} -> {after.ref}")
    for change in changes:
        click.echo(str(change))
    click.echo(f"{len(changes)} change{'s' if len(changes) != 1 else ''}")


@policy_group.command("explain")
@click.argument("policy")
@click.option("--fact", "facts", multiple=True, metavar="NAME=VALUE", help="A project fact.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def explain_command(policy: str, facts: tuple[str, ...], as_json: bool) -> None:
    """Show what a project with the given facts needs under POLICY, gate by gate, and why."""
    loaded = _load(policy)
    raw = _parse_fact_options(facts)
    values, problems = read_facts(loaded.facts, raw)
    invalid = {k: v for k, v in problems.items() if k in raw or k not in values}
    blocking = {k: v for k, v in invalid.items() if k in raw}
    if blocking:
        for message in blocking.values():
            click.echo(f"error: {message}", err=True)
        sys.exit(2)
    explanation = explain(loaded, values, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(_explanation_json(explanation), indent=2))
        return
    for name, message in invalid.items():
        click.echo(f"note: {message} (conditions reading {name} cannot be checked)")
    _print_explanation(explanation)


def _parse_fact_options(options: tuple[str, ...]) -> dict[str, str]:
    raw = {}
    for option in options:
        name, sep, value = option.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"'{option}' is not NAME=VALUE", param_hint="--fact")
        raw[name.strip()] = value.strip()
    return raw


def _print_explanation(explanation: Explanation) -> None:
    click.echo(f"Tier: {explanation.tier.reason}")
    for needs in explanation.gates:
        click.echo(f"\n{needs.gate.name} [{needs.gate.id}]")
        if needs.skipped:
            click.echo(f"  {needs.skipped}")
            continue
        for item in needs.required:
            click.echo(f"  + {item.title}: {item.reason}")
        for item in needs.not_needed:
            click.echo(f"  - {item.title}: {item.reason}")


def _explanation_json(explanation: Explanation) -> dict[str, object]:
    return {
        "tier": explanation.tier.tier.id,
        "tier_reason": explanation.tier.reason,
        "gates": [
            {
                "gate": needs.gate.id,
                "skipped": needs.skipped or None,
                "required": [
                    {"key": i.requirement.key, "title": i.title, "reason": i.reason}
                    for i in needs.required
                ],
                "not_needed": [
                    {"key": i.requirement.key, "title": i.title, "reason": i.reason}
                    for i in needs.not_needed
                ],
            }
            for needs in explanation.gates
        ],
    }


@policy_group.command("schema")
def schema() -> None:
    """Print the JSON Schema of policy files, for editors to validate and autocomplete."""
    click.echo(json.dumps(json_schema(), indent=2))
