"""Shared fixtures for the unit tests."""

from __future__ import annotations

import pytest

from policies import Policy, parse_policy

# A small policy that uses every part of the language once: facts of every type (with and
# without defaults), roles, three tiers, two gates, artifacts of each kind (one a form with
# fields), criteria, sign-offs with order / min / independent_of / waivable_by, skip_when,
# sla_days and escalate_to. Tests edit it to make one mistake at a time, so every fragment a
# test replaces or looks for appears once.
VALID_POLICY = """\
id: standard
version: 3
title: Standard delivery policy
description: Projects run by the PMO.
initial_stage: proposed
facts:
  budget:
    type: money
    title: Approved budget
  headcount:
    type: integer
    default: 5
  regulated:
    type: boolean
    default: false
  risk:
    type: enum
    values: [low, medium, high]
    default: medium
  go_live:
    type: date
    required: false
    default: 2026-03-01
  summary:
    type: text
    required: false
roles:
  sponsor:
    title: Sponsor
  finance:
    title: Finance controller
  security:
    title: Security officer
  pmo:
    title: PMO lead
tiers:
  - id: major
    title: Major project
    when: project.budget >= 1000000.0 || project.risk == "high"
  - id: standard
    when: project.budget >= 100000.0
  - id: minor
gates:
  - id: initiation
    name: Initiation gate
    stage: planning
    artifacts:
      - id: charter
        title: Project charter
        kind: file
        why: States the goal.
        max_age_days: 90
        waivable_by: [pmo]
      - id: business_case
        title: Business case
        kind: link
        when: tier != "minor"
      - id: risk_register
        title: Risk register
        kind: form
        fields:
          - id: top_risk
            title: Top risk
            type: text
          - id: exposure
            title: Exposure
            type: money
            required: false
          - id: rating
            title: Rating
            type: enum
            values: [low, high]
    criteria:
      - id: budget_set
        title: A budget is approved
        expr: project.budget > 0.0
        why: Nothing starts without money.
        waivable_by: [finance]
    signoffs:
      - role: sponsor
        order: 1
      - role: finance
        order: 2
        min: 2
        when: project.budget > 250000.0
        independent_of: [submitter]
        waivable_by: [pmo]
    decisions: [go, recycle, kill]
    sla_days: 10
    escalate_to: pmo
  - id: execution
    name: Execution gate
    stage: execution
    skip_when: tier == "minor" && !project.regulated
    criteria:
      - id: headcount_ok
        title: The team is staffed
        expr: project.headcount >= 2
        when: project.regulated
    signoffs:
      - role: security
        independent_of: []
      - role: pmo
        kind: advisory
        min: majority
    assurance:
      reviewers: pmo
      scale: rag
      when: project.budget >= 500000.0
      independent_of: [project_manager, org_unit]
      rules:
        - when: assurance.rating == "red"
          decisions: [recycle, hold, kill]
          escalate_to: sponsor
rating_scales:
  rag:
    title: Red, amber, green
    ratings: [green, amber, red]
"""

# The valid policy with money in currencies: a base currency, rates pinned with the version,
# and a money fact that may be negative and is given in two currencies only.
MONEY_POLICY = VALID_POLICY.replace(
    "  summary:\n    type: text\n    required: false\n",
    "  summary:\n    type: text\n    required: false\n"
    "  npv:\n    type: money\n    title: Net present value\n    negative: true\n"
    "    currencies: [EUR, USD]\n    required: false\n",
) + (
    "currency: EUR\n"
    "exchange_rates:\n"
    "  as_of: 2026-11-30\n"
    "  source: ECB reference rates\n"
    "  rates:\n"
    "    USD: 0.92\n"
    "    GBP: 1.17\n"
)


@pytest.fixture(scope="session")
def valid_policy_text() -> str:
    """The text of a small policy that loads without a problem."""
    return VALID_POLICY


@pytest.fixture(scope="session")
def money_policy() -> Policy:
    """The valid policy with a base currency (EUR) and rates for USD and GBP."""
    return parse_policy(MONEY_POLICY, "money.yaml")


@pytest.fixture(scope="session")
def valid_policy(valid_policy_text: str) -> Policy:
    """The valid policy, loaded."""
    return parse_policy(valid_policy_text, "standard.yaml")
