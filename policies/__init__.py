"""The policy language: what a PMO writes, checked and loaded into frozen dataclasses."""

from policies.facts import FactError, format_value, parse_value, read_facts, read_form
from policies.loader import check_policy_text, load_policy, parse_policy
from policies.model import (
    Artifact,
    ArtifactKind,
    Condition,
    Criterion,
    Decision,
    Fact,
    FactType,
    FactValue,
    FormField,
    Gate,
    Independence,
    Policy,
    Requirement,
    Role,
    Signoff,
    Tier,
)
from policies.problems import PolicyError, Problem

__all__ = [
    "Artifact",
    "ArtifactKind",
    "Condition",
    "Criterion",
    "Decision",
    "Fact",
    "FactError",
    "FactType",
    "FactValue",
    "FormField",
    "Gate",
    "Independence",
    "Policy",
    "PolicyError",
    "Problem",
    "Requirement",
    "Role",
    "Signoff",
    "Tier",
    "check_policy_text",
    "format_value",
    "load_policy",
    "parse_policy",
    "parse_value",
    "read_facts",
    "read_form",
]
