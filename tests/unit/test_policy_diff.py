"""Policy diff: what was added, removed or changed between two versions, gate by gate."""

from __future__ import annotations

from functools import cache

import pytest

from policies import Policy, parse_policy
from policies.diff import Change, diff_policies
from tests.unit.gate_fixtures import lite, standard

BASE = """\
id: diffed
version: 1
title: Diffed policy
facts:
  budget:
    type: money
    title: Approved budget
  vendor:
    type: boolean
    default: false
  business_unit:
    type: text
    required: false
    title: Business unit
roles:
  sponsor:
    title: Project sponsor
  architecture:
    title: Architecture board
tiers:
  - id: major
    title: Major
    when: project.budget > 1000000
  - id: large
    title: Large
    when: project.budget > 250000
  - id: small
    title: Small
gates:
  - id: start
    name: Start gate
    stage: build
    artifacts:
      - id: charter
        title: Project charter
        kind: file
      - id: contract
        title: Vendor contract
        kind: link
        when: project.vendor
    signoffs:
      - role: sponsor
      - role: architecture
        min: 2
        when: tier != "small"
"""

NEW_GATE = """\
  - id: ship
    name: Ship gate
    stage: live
    artifacts:
      - id: runbook
        title: Runbook
        kind: file
    signoffs:
      - role: sponsor
"""


def edited(old: str, new: str, text: str = BASE) -> Policy:
    """BASE (version 2) with one fragment replaced; fails when the fragment is not there."""
    assert text.count(old) == 1, old
    return parse_policy(text.replace(old, new).replace("version: 1", "version: 2"), "new.yaml")


@cache
def base() -> Policy:
    return parse_policy(BASE, "old.yaml")


def in_gates(changes: list[Change]) -> list[Change]:
    """The requirement-level changes (scope 'gate <id>')."""
    return [c for c in changes if c.scope.startswith("gate ")]


def test_identical_policies_have_no_changes() -> None:
    assert diff_policies(base(), base()) == []
    assert diff_policies(standard(), standard()) == []


def test_a_new_version_with_the_same_rules_has_no_changes() -> None:
    assert diff_policies(base(), edited("title: Diffed policy", "title: Diffed policy")) == []


REQUIREMENT_CHANGES = [
    pytest.param(
        (
            "        when: project.vendor\n",
            "        when: project.vendor && project.budget > 1000\n",
        ),
        [
            Change(
                "gate start",
                "changed",
                "artifact:contract",
                "Vendor contract",
                ("when: project.vendor -> project.vendor && project.budget > 1000",),
            )
        ],
        id="changed-when",
    ),
    pytest.param(
        (
            "        kind: link\n        when: project.vendor\n",
            "        kind: link\n",
        ),
        [
            Change(
                "gate start",
                "changed",
                "artifact:contract",
                "Vendor contract",
                ("when: project.vendor -> (none)",),
            )
        ],
        id="removed-when",
    ),
    pytest.param(
        (
            "      - id: charter\n",
            "      - id: plan\n        title: Project plan\n        kind: file\n"
            "      - id: charter\n",
        ),
        [Change("gate start", "added", "artifact:plan", "Project plan")],
        id="added-artifact",
    ),
    pytest.param(
        (
            "      - id: contract\n        title: Vendor contract\n        kind: link\n"
            "        when: project.vendor\n",
            "",
        ),
        [Change("gate start", "removed", "artifact:contract", "Vendor contract")],
        id="removed-artifact",
    ),
    pytest.param(
        ("        min: 2\n", "        min: 3\n"),
        [
            Change(
                "gate start",
                "changed",
                "signoff:architecture",
                "architecture sign-off",
                ("min: 2 -> 3",),
            )
        ],
        id="changed-signoff-min",
    ),
    pytest.param(
        ("        kind: file\n", "        kind: file\n        max_age_days: 30\n"),
        [
            Change(
                "gate start",
                "changed",
                "artifact:charter",
                "Project charter",
                ("max_age_days: (none) -> 30",),
            )
        ],
        id="added-max-age",
    ),
    pytest.param(
        ("      - role: sponsor\n", "      - role: sponsor\n        independent_of: []\n"),
        [
            Change(
                "gate start",
                "changed",
                "signoff:sponsor",
                "sponsor sign-off",
                ("independent_of: [evidence_attacher, project_manager, submitter] -> []",),
            )
        ],
        id="loosened-independence",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), REQUIREMENT_CHANGES)
def test_a_requirement_change_is_listed_under_its_gate_by_key(
    edit: tuple[str, str], expected: list[Change]
) -> None:
    assert in_gates(diff_policies(base(), edited(*edit))) == expected


def test_a_requirement_change_does_not_also_report_its_gate_as_changed() -> None:
    changes = diff_policies(base(), edited("        min: 2\n", "        min: 3\n"))
    assert [str(c) for c in changes] == [
        "gate start: changed signoff:architecture (architecture sign-off)\n    min: 2 -> 3"
    ]


def test_a_new_gate_is_added_with_all_its_requirements() -> None:
    new = parse_policy((BASE + NEW_GATE).replace("version: 1", "version: 2"), "new.yaml")
    assert diff_policies(base(), new) == [
        Change("gates", "added", "ship", "Ship gate"),
        Change("gate ship", "added", "artifact:runbook", "Runbook"),
        Change("gate ship", "added", "signoff:sponsor", "sponsor sign-off"),
    ]


def test_a_removed_gate_is_listed_with_all_its_requirements() -> None:
    old = parse_policy(BASE + NEW_GATE, "old.yaml")
    assert diff_policies(old, base()) == [
        Change("gates", "removed", "ship", "Ship gate"),
        Change("gate ship", "removed", "artifact:runbook", "Runbook"),
        Change("gate ship", "removed", "signoff:sponsor", "sponsor sign-off"),
    ]


def test_a_changed_gate_attribute_is_listed_with_its_details() -> None:
    new = edited("    stage: build\n", "    stage: build\n    sla_days: 5\n")
    assert diff_policies(base(), new) == [
        Change("gates", "changed", "start", "Start gate", ("sla_days: (none) -> 5",))
    ]


def test_a_removed_fact_is_listed() -> None:
    new = edited(
        "  business_unit:\n    type: text\n    required: false\n    title: Business unit\n", ""
    )
    assert diff_policies(base(), new) == [
        Change("facts", "removed", "business_unit", "Business unit")
    ]


def test_a_changed_fact_lists_what_changed() -> None:
    new = edited("    default: false\n", "    default: true\n")
    assert diff_policies(base(), new) == [
        Change("facts", "changed", "vendor", "Vendor", ("default: False -> True",))
    ]


def test_a_changed_tier_rule_is_listed() -> None:
    new = edited("when: project.budget > 250000", "when: project.budget > 500000")
    assert diff_policies(base(), new) == [
        Change(
            "tiers",
            "changed",
            "large",
            "Large",
            ("when: project.budget > 250000 -> project.budget > 500000",),
        )
    ]


def test_a_change_of_tier_order_is_listed() -> None:
    major = "  - id: major\n    title: Major\n    when: project.budget > 1000000\n"
    large = "  - id: large\n    title: Large\n    when: project.budget > 250000\n"
    new = edited(major + large, large + major)
    assert diff_policies(base(), new) == [
        Change("tiers", "changed", "order", "tier order", ("now large > major > small",))
    ]


def test_a_change_is_printed_with_scope_kind_key_title_and_details() -> None:
    change = Change("gate start", "changed", "signoff:architecture", "Arch", ("min: 2 -> 3",))
    assert str(change) == "gate start: changed signoff:architecture (Arch)\n    min: 2 -> 3"
    assert str(Change("facts", "removed", "vendor", "Vendor")) == "facts: removed vendor (Vendor)"


def test_the_shipped_policies_differ_in_their_gates_and_tiers() -> None:
    changes = diff_policies(standard(), lite())
    removed_gates = {c.key for c in changes if c.scope == "gates" and c.kind == "removed"}
    assert removed_gates == {"planning", "execution"}
    assert Change("tiers", "added", "standard", "Standard") in changes
    assert Change("gate closure", "added", "artifact:closure_note", "Closure note") in changes
