"""Policies as the command line prints them: `policy show` tables and `policy explain`."""

from __future__ import annotations

from gates.counts import count_in_words
from gates.decisions import deciders_described, rules_of_the_decision
from gates.explain import Explanation, Need
from gates.sentences import Sentence
from policies.model import Artifact, Criterion, Gate, Policy, Requirement, Signoff, SignoffKind
from policies.money import rates_described
from web.cli.shared import say, say_lines, show_table


def summary(policy: Policy) -> str:
    """'5 gates, 4 tiers, 60 requirements'."""
    requirements = sum(len(g.requirements) for g in policy.gates)
    return f"{len(policy.gates)} gates, {len(policy.tiers)} tiers, {requirements} requirements"


def print_policy(policy: Policy) -> None:
    """Print a policy as tables: its facts, its tiers, and each gate's requirements."""
    say(f"{policy.ref}  {policy.title}")
    say_lines(policy.description.strip())
    say()
    say(f"Stages: {' -> '.join(policy.stages)}")
    say()
    facts = [
        [f.id, f.type.value, _fact_detail(f.money.described(), f.values, f.required, f.default)]
        for f in policy.facts
    ]
    show_table(["FACT", "TYPE", "DETAILS"], facts)
    say()
    money = rates_described(policy.exchange_rates)
    for line in money:
        say(line)
    if money:
        say()
    tiers = [[t.id, t.title, str(t.when) if t.when else "(default)"] for t in policy.tiers]
    show_table(["TIER", "TITLE", "WHEN (first match wins)"], tiers)
    for gate in policy.gates:
        say()
        say(_gate_heading(policy, gate))
        rows = [_requirement_row(policy, r) for r in gate.requirements]
        show_table(["KIND", "REQUIREMENT", "WHEN", "DETAILS"], rows)


def _fact_detail(
    money: tuple[str, ...], values: tuple[str, ...], required: bool, default: object
) -> str:
    parts = [*money, *([f"one of {', '.join(values)}"] if values else [])]
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
    parts.append("decided by " + deciders_described(policy, gate))
    parts += rules_of_the_decision(policy, gate)
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
    detail = [f"min {count_in_words(signoff)}"]
    if signoff.kind is not SignoffKind.BLOCKING:
        detail.append(f"{signoff.kind} (never blocks)")
    if signoff.order is not None:
        detail.append(f"order {signoff.order}")
    independent = sorted(i.value.replace("_", " ") for i in signoff.independent_of)
    detail.append("independent of " + (", ".join(independent) or "nobody (allowed by policy)"))
    return detail


_MARKS = {"passes": "✓", "fails": "✗", "cannot tell yet": "?"}


def print_explanation(explanation: Explanation) -> None:
    """Print what a project needs, gate by gate, with the reason for each requirement and,
    for each criterion that applies, whether it passes and why."""
    say(f"Tier: {explanation.tier_reason}")
    for passed_over in explanation.passed_over:
        say(f"  {passed_over}")
    for needs in explanation.gates:
        say()
        say(f"{needs.gate.name} [{needs.gate.id}]")
        if needs.skipped:
            say(f"  {needs.skipped}")
            continue
        for item in needs.required:
            say(f"  {_line(item)}")
        for item in needs.not_needed:
            say(f"  - {item.title}: {item.reason}")


def _line(need: Need) -> str:
    """'+ Title: Required because ...' or, for a criterion, '✓ Title: passes because ...'."""
    if need.check is None:
        return f"+ {need.title}: {need.reason}"
    applies = f" ({need.reason[0].lower()}{need.reason[1:]})" if need.when else ""
    return f"{_MARKS[need.verdict]} {need.title}: {need.verdict_reason}{applies}"


def explanation_json(explanation: Explanation) -> dict[str, object]:
    """The explanation as a JSON-ready dict (`policy explain --json`)."""
    return {
        "tier": explanation.tier.tier.id,
        "tier_reason": explanation.tier_reason,
        "tiers_passed_over": list(explanation.passed_over),
        "gates": [
            {
                "gate": needs.gate.id,
                "skipped": needs.skipped or None,
                "required": [_need_json(i) for i in needs.required],
                "not_needed": [_need_json(i) for i in needs.not_needed],
            }
            for needs in explanation.gates
        ],
    }


def _need_json(need: Need) -> dict[str, object]:
    found: dict[str, object] = {"key": need.requirement.key, "title": need.title}
    found["reason"] = need.reason
    if need.when is not None:
        found["when"] = _sentence_json(need.when)
    if need.check is not None:
        found["check"] = {"verdict": need.verdict, **_sentence_json(need.check)}
    return found


def _sentence_json(sentence: Sentence) -> dict[str, object]:
    """A sentence with each part evaluated: held true, false or null (cannot tell yet)."""
    return {
        "held": sentence.held,
        "because": sentence.text,
        "parts": [{"text": p.text, "held": p.held} for p in sentence.parts],
    }
