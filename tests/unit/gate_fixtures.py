"""Factories shared by the gate-rule tests: policies, facts, evidence, signatures, waivers.

A plain module, not a conftest: other test modules own `tests/unit/conftest.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache

from gates.model import Evidence, ProjectState, Signature, Waiver
from gates.readiness import Readiness, readiness
from gates.tiering import classify
from policies import Decision, FactValue, Gate, Policy, parse_policy, read_facts
from policies.library import find_policy

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
SNAPSHOT = "sha256:current"
OLD_SNAPSHOT = "sha256:superseded"

# One small policy that puts every requirement kind next to every kind of condition:
#   start: an artifact with max_age_days and a waiver role, an artifact with a `when` on a
#   required fact (absent from a state = cannot be checked), criteria (one waivable), a
#   quorum sign-off (min 2), and a sign-off whose `when` is an `a || b`;
#   ship: a skip_when, a sequential chain, and a sign-off with `independent_of: []`.
MATRIX_POLICY = """\
id: matrix
version: 1
title: Readiness matrix
initial_stage: idea
facts:
  budget:
    type: money
    title: Approved budget
  vendor:
    type: boolean
    title: Vendor involved
  regulated:
    type: boolean
    default: false
roles:
  sponsor:
    title: Project sponsor
  finance:
    title: Finance controller
  architecture:
    title: Architecture board
  pmo:
    title: PMO lead
tiers:
  - id: large
    when: project.budget > 250000
  - id: small
gates:
  - id: start
    name: Start gate
    stage: build
    artifacts:
      - id: charter
        title: Project charter
        kind: file
        max_age_days: 30
        waivable_by: [pmo]
      - id: contract
        title: Vendor contract
        kind: link
        when: project.vendor
    criteria:
      - id: budget_cap
        title: The budget is under the cap
        expr: project.budget <= 1000000
        waivable_by: [finance]
      - id: vendor_vetted
        title: The vendor is vetted
        expr: project.vendor
      - id: large_only
        title: Large projects are regulated
        expr: project.regulated
        when: tier == "large"
    signoffs:
      - role: sponsor
      - role: architecture
        min: 2
      - role: finance
        when: project.budget > 250000 || project.regulated
        waivable_by: [pmo]
  - id: ship
    name: Ship gate
    stage: live
    skip_when: tier == "small" && !project.regulated
    decisions: [go, recycle, hold]
    signoffs:
      - role: architecture
        order: 1
      - role: finance
        order: 2
      - role: sponsor
        independent_of: []
"""


@cache
def standard() -> Policy:
    """The shipped standard policy."""
    return find_policy("standard")


@cache
def lite() -> Policy:
    """The shipped lite policy."""
    return find_policy("lite")


@cache
def matrix() -> Policy:
    """The readiness-matrix policy above."""
    return parse_policy(MATRIX_POLICY, "matrix.yaml")


def gate(policy: Policy, gate_id: str) -> Gate:
    """The gate `gate_id` of `policy` (fails the test when there is none)."""
    found = policy.gate(gate_id)
    assert found is not None, f"{policy.ref} has no gate {gate_id}"
    return found


def facts_for(policy: Policy, **raw: object) -> dict[str, FactValue]:
    """Typed facts read as a person types them, defaults filled in; fails on a problem."""
    values, problems = read_facts(policy.facts, raw)
    assert not problems, problems
    return values


def standard_facts(**raw: object) -> dict[str, FactValue]:
    """Facts for the standard policy: a medium project unless overridden."""
    given: dict[str, object] = {"budget": "100000", "risk": "medium", "duration_months": 12}
    return facts_for(standard(), **{**given, **raw})


def state(
    policy: Policy,
    facts: Mapping[str, FactValue],
    *,
    evidence: Sequence[Evidence] = (),
    signatures: Sequence[Signature] = (),
    waivers: Sequence[Waiver] = (),
    submitted: bool = True,
    submitter: str | None = "sub",
    project_manager: str | None = "pm",
    tier: str | None = None,
    previous_signers: frozenset[str] = frozenset(),
) -> ProjectState:
    """A project state whose tier is classified from `facts` (unless `tier` is given)."""
    return ProjectState(
        facts=dict(facts),
        tier=tier or classify(policy, facts).tier.id,
        evidence={e.artifact_id: e for e in evidence},
        signatures=tuple(signatures),
        waivers=tuple(waivers),
        snapshot_digest=SNAPSHOT if submitted else None,
        submitter=submitter,
        project_manager=project_manager,
        previous_signers=previous_signers,
    )


def report(policy: Policy, gate_id: str, project: ProjectState) -> Readiness:
    """The readiness of `gate_id` for `project` at NOW."""
    return readiness(policy, gate(policy, gate_id), project, NOW)


def evidence(artifact_id: str, *, age_days: float = 1, version: int = 1, by: str = "") -> Evidence:
    """The current version of an artifact, attached `age_days` before NOW."""
    return Evidence(
        artifact_id=artifact_id,
        version=version,
        digest=f"sha256:{artifact_id}-{version}",
        attached_at=NOW - timedelta(days=age_days),
        attached_by=by,
    )


def signature(
    signer: str,
    role: str,
    decision: Decision = Decision.GO,
    *,
    on_behalf_of: str | None = None,
    snapshot: str = SNAPSHOT,
    comment: str = "",
) -> Signature:
    """A signature on the current snapshot (unless `snapshot` says otherwise)."""
    return Signature(
        signer=signer,
        role=role,
        decision=decision,
        signed_at=NOW - timedelta(hours=1),
        snapshot_digest=snapshot,
        on_behalf_of=on_behalf_of,
        comment=comment,
    )


def waiver(
    requirement: str,
    role: str,
    *,
    by: str = "pat",
    expires_at: datetime | None = NOW + timedelta(days=30),
    justification: str = "Agreed at the steering committee",
) -> Waiver:
    """A waiver of `requirement` (a key such as 'artifact:charter') granted as `role`."""
    return Waiver(
        requirement=requirement,
        granted_by=by,
        granted_role=role,
        justification=justification,
        granted_at=NOW - timedelta(days=1),
        expires_at=expires_at,
    )
