"""A standard-policy project from registration through all five gates to `closed`."""

from __future__ import annotations

from collections import Counter

from workflows.errors import Refused
from workflows.state import load_project
from workflows.verbs import audit, reviews

GATES = ["initiation", "planning", "execution", "cutover", "closure"]
STAGES = ["initiation", "planning", "execution", "cutover", "closure", "closed"]

# Large tier (400,000), vendor involved; no personal data, not regulated, no legacy system.
ARTIFACTS_PER_GATE = {
    "initiation": 3,  # charter, business case, budget authorization (form)
    "planning": 11,  # scope .. benefits plan, vendor contract
    "execution": 3,  # UAT plan, UAT sign-off (form), cutover plan; the risk register is current
    "cutover": 4,  # CAB link, go/no-go and service readiness forms, business readiness
    "closure": 5,  # acceptance, hypercare exit, cost closure (form), vendor closure, lessons
}
SIGNOFFS_PER_GATE = {"initiation": 3, "planning": 3, "execution": 3, "cutover": 4, "closure": 4}


def test_a_large_vendor_project_passes_all_five_gates_to_closed_with_an_intact_trail(
    workspace, act, read, new_project, pass_gate, stage_of, events, head
):
    start, verbs_before = head(), act.count
    key = new_project("ERP-1", budget="400,000", vendor_involved="true")
    assert read(lambda uow: load_project(uow, key).tier) == "large"

    passed = []
    for _ in GATES:
        review = pass_gate(key).review
        passed.append((review.gate_id, review.decision, stage_of(key)))

    assert passed == [(g, "go", s) for g, s in zip(GATES, STAGES[1:], strict=True)]
    trail = events(after=start)
    actions = Counter(e.action for e in trail)
    assert actions == {
        "project.registered": 1,
        "role.granted": 6,
        "artifact.attached": sum(ARTIFACTS_PER_GATE.values()),
        "review.submitted": 5,
        "review.signed": sum(SIGNOFFS_PER_GATE.values()),
        "review.decided": 5,
    }
    assert len(trail) == act.count - verbs_before, "every verb wrote exactly one audit event"
    assert {e.project for e in trail} == {key}
    with workspace.unit_of_work() as uow:
        verification = audit.verify(uow)
    assert verification.ok, verification.problem
    assert verification.checked == head()


def test_each_decision_of_the_lifecycle_records_the_stage_it_left_and_entered(
    new_project, pass_gate, events, head
):
    start = head()
    key = new_project("ERP-2")
    for _ in GATES:
        pass_gate(key)

    moves = [
        (e.data["gate"], e.data["old_stage"], e.data["new_stage"])
        for e in events(after=start)
        if e.action == "review.decided"
    ]
    assert moves == list(zip(GATES, STAGES[:-1], STAGES[1:], strict=True))


def test_a_closed_project_has_no_next_gate_to_submit(new_project, pass_gate, refuses):
    key = new_project("ERP-3")
    for _ in GATES:
        pass_gate(key)

    refuses(Refused, reviews.submit_gate, "pm", key, match="no gate follows this stage")
