"""Gates a project passes over: where a gate's `skip_when` holds, the project moves past it
with a `gate.skipped` event and no review."""

from __future__ import annotations

from gates.decisions import next_gate
from gates.model import ProjectState
from gates.readiness import skip_reason
from policies.model import Policy
from workflows.facts import from_stored
from workflows.machines import Lifecycle
from workflows.store.records import Project
from workflows.store.uow import UnitOfWork


def pass_skipped_gates(
    uow: UnitOfWork, actor: str, project: Project, policy: Policy, lifecycle: Lifecycle
) -> list[str]:
    """Move `project` past every gate ahead of it whose `skip_when` holds for its facts and
    tier now, one audited step each; returns the ids of the gates passed over.

    Called wherever a project arrives at a stage (registration, a go, a resume, a policy
    move) or its facts change: a skipped gate never waits for a review.
    """
    state = ProjectState(facts=from_stored(policy, project.facts), tier=project.tier)
    skipped = []
    gate = next_gate(policy, project.stage)
    while gate is not None and gate.skip_when is not None:
        reason = skip_reason(gate, state)
        if not reason:
            break
        old = project.stage
        project.stage = lifecycle.fire(old, f"skip_{gate.id}", [], f"skip {gate.name}")
        project.updated_at = uow.now
        uow.record(
            actor, "gate.skipped", project.key, gate=gate.id, reason=reason,
            old_stage=old, new_stage=project.stage,
        )  # fmt: skip
        skipped.append(gate.id)
        gate = next_gate(policy, project.stage)
    return skipped
