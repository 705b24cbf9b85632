"""The shipped stage-gate policy through its life cycle: a full-track product passes five
gates with the gatekeeper panel's votes, advisory architecture and consulted marketing, the
business case read from its form and a budget in dollars; a small one takes the lighter
track; a value-destroying case is stopped at the money gate."""

from __future__ import annotations

import pytest

from gates.readiness import Status
from policies.model import Signoff, SignoffKind
from tests.integration.conftest import grant_on_project
from tests.integration.factories import PASSWORD
from workflows.errors import Refused
from workflows.state import load_project
from workflows.verbs import audit, reviews

PANEL = ("deputy", "outsider", "owner")
SIGNERS = {
    "sponsor": ("sponsor",),
    "pmo": ("pmo",),
    "quality": ("qa",),
    "market_lead": ("ops", "security"),
}
FULL_TRACK = [
    "idea_screen", "second_screen", "go_to_development", "go_to_testing", "go_to_launch",
]  # fmt: skip


@pytest.fixture
def product(act, new_project):
    """A stage-gate project (USD 400,000: full track, two launch markets) with its panel,
    quality lead and market leads granted."""

    def make(key: str = "NPD-1", **facts: str) -> str:
        made = new_project(key, policy="stage_gate", launch_markets="2", **facts)
        for member in PANEL:
            act(grant_on_project, "admin", member, "gatekeeper", made)
        act(grant_on_project, "admin", "qa", "quality", made)
        for lead in SIGNERS["market_lead"]:
            act(grant_on_project, "admin", lead, "market_lead", made)
        act(grant_on_project, "admin", "finance", "marketing", made)
        return made

    return make


@pytest.fixture
def pass_stage_gate(act, submit_ready, status, read):
    """Pass the project's next gate: evidence, submission, every sign-off as its kind asks
    (architecture advises, marketing comments), the panel's votes, the sponsor's go."""

    def run(key: str) -> str:
        review = submit_ready(key)
        for line in status(key).lines:
            signoff = line.requirement
            if not isinstance(signoff, Signoff) or line.status is not Status.MISSING:
                continue
            if signoff.kind is SignoffKind.ADVISORY:
                act(reviews.sign, "architect", key, "disagree_but_support", PASSWORD,
                    signoff.role, "Would reuse the platform's billing")  # fmt: skip
                continue
            for who in SIGNERS[signoff.role]:
                act(reviews.sign, who, key, "go", PASSWORD, signoff.role)
        if status(key).line("signoff:marketing") is not None:  # consulted, awaited by nobody
            act(reviews.sign, "finance", key, "comment", PASSWORD, "marketing", "Price is fine")
        gate = read(lambda uow: load_project(uow, key).stage)
        if review.gate_id in ("go_to_development", "go_to_launch"):
            for member in PANEL[:2]:
                act(reviews.vote, member, key, "go", "Fund it")
        act(reviews.decide, "sponsor", key, "go")
        return gate

    return run


def test_a_full_track_product_passes_five_gates_with_the_panels_votes(
    product, pass_stage_gate, read, stage_of, workspace
):
    key = product()

    assert read(lambda uow: load_project(uow, key).tier) == "full"  # USD 400,000 is EUR 380,000
    left = [pass_stage_gate(key) for _ in FULL_TRACK]

    assert left == ["discovery", "scoping", "business_case", "development", "testing"]
    assert stage_of(key) == "launch"
    with workspace.unit_of_work(read_only=True) as uow:
        result, mismatches = audit.verify_deep(uow)
    assert result.ok and mismatches == []


def test_a_small_product_takes_the_lighter_track(product, pass_stage_gate, read, stage_of):
    key = product("NPD-2", budget="120000", risk="low")

    assert read(lambda uow: load_project(uow, key).tier) == "lite"
    for _ in range(3):
        pass_stage_gate(key)

    assert stage_of(key) == "launch"


def test_a_go_at_the_money_gate_waits_for_the_panel(
    product, pass_stage_gate, act, submit_ready, collect_signatures, refuses
):
    key = product("NPD-3")
    pass_stage_gate(key)
    pass_stage_gate(key)
    submit_ready(key)
    act(reviews.sign, "architect", key, "support", PASSWORD, "architecture")
    collect_signatures(key, skip=("architecture",))

    refused = refuses(Refused, reviews.decide, "sponsor", key, "go")

    assert [r.rule for r in refused.refusals] == ["decide.vote"]


def test_a_case_that_destroys_value_is_stopped_at_the_money_gate_unless_a_strategic_bet(
    product, pass_stage_gate, status
):
    key = product("NPD-4", npv="-250000")
    pass_stage_gate(key)
    pass_stage_gate(key)

    line = status(key).line("criterion:creates_value")

    assert line is not None and line.status is Status.MISSING
    assert "npv -250,000" in line.reason
