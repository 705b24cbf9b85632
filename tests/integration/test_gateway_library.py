"""The shipped gateway policy through its life cycle: a high-risk programme passes five gates,
each after an independent review of its delivery confidence, with the Treasury deciding the
investment above the department's delegated limit; a red rating moves a gate to the investment
committee and leaves only stopping; a low-risk project assures itself."""

from __future__ import annotations

import pytest

from gates.readiness import Status
from policies.model import Signoff, SignoffKind
from tests.integration.conftest import grant_on_project
from tests.integration.factories import PASSWORD, attach_evidence
from workflows import triggered
from workflows.errors import Refused
from workflows.state import load_project, policy_of
from workflows.verbs import audit, reviews, users
from workflows.verbs.assurance import Recommendation, record_assurance

GATES = [
    "business_justification", "delivery_strategy", "investment_decision",
    "readiness_for_service", "benefits_realisation",
]  # fmt: skip
PLACES = {
    "pm": ("Digital Services", "Benefits platform"),
    "sponsor": ("Digital Services", "Directorate"),
    "outsider": ("Infrastructure Authority", "Gateway reviews"),
}
GRANTS = {
    "gateway_reviewer": "outsider",
    "treasury": "deputy",
    "investment_committee": "owner",
    "commercial": "architect",
    "service_owner": "ops",
}
SIGNERS = {"sponsor": "sponsor", "finance": "finance", "service_owner": "ops"}
DECIDER = {"investment_decision": "deputy"}  # above the delegated limit: the Treasury


@pytest.fixture
def programme(act, new_project):
    """A gateway project (whole-life cost 80m against a 50m delegated limit, high risk) with
    its review team lead, Treasury, committee, commercial director and service owner."""

    def make(key: str = "GOV-1", **facts: str) -> str:
        made = new_project(key, policy="gateway", **facts)
        for role, who in GRANTS.items():
            act(grant_on_project, "admin", who, role, made)
        for who, (unit, team) in PLACES.items():
            act(users.set_attributes, "admin", who, unit, team)
        return made

    return make


@pytest.fixture
def pass_gateway(act, submit_ready, status):
    """Pass the next gate: evidence, submission, sign-offs (commercial advises), the
    independent review where the tier needs one, the decision by whoever decides it."""

    def run(key: str, rating: str | None = "amber_green") -> str:
        review = submit_ready(key)
        for line in status(key).lines:
            signoff = line.requirement
            if not isinstance(signoff, Signoff) or line.status is not Status.MISSING:
                continue
            if signoff.kind is SignoffKind.ADVISORY:
                act(reviews.sign, "architect", key, "support", PASSWORD, signoff.role)
            else:
                act(reviews.sign, SIGNERS[signoff.role], key, "go", PASSWORD, signoff.role)
        if rating is not None:
            act(record_assurance, "outsider", key, rating, "Sound, with actions",
                [Recommendation("Appoint a benefits owner", "essential", "sponsor")])  # fmt: skip
        act(reviews.decide, DECIDER.get(review.gate_id, "sponsor"), key, "go")
        return review.gate_id

    return run


def test_a_high_risk_programme_passes_five_reviewed_gates_to_closed(
    programme, pass_gateway, stage_of, workspace, read
):
    key = programme()

    assert read(lambda uow: load_project(uow, key).tier) == "high"
    passed = [pass_gateway(key) for _ in GATES]

    assert passed == GATES
    assert stage_of(key) == "closed"
    with workspace.unit_of_work(read_only=True) as uow:
        result, mismatches = audit.verify_deep(uow)
    assert result.ok and mismatches == []


def test_once_closed_benefits_are_reviewed_again_every_year(
    programme, pass_gateway, act, clock, workspace, status, stage_of, read
):
    key = programme("GOV-5")
    for _ in GATES:
        pass_gateway(key)
    clock.advance(days=200)
    early = triggered.tick(workspace)
    clock.advance(days=170)
    [opened] = triggered.tick(workspace)

    gate = read(lambda uow: policy_of(uow, load_project(uow, key)).gate("benefits_realisation"))
    for artifact in gate.artifacts:  # the benefits report is a year old: a new one
        act(attach_evidence, "pm", key, artifact, clock.today())
    review = act(reviews.submit_gate, "pm", key, "benefits_realisation")
    for role, who in SIGNERS.items():
        if status(key, "benefits_realisation").line(f"signoff:{role}") is not None:
            act(reviews.sign, who, key, "go", PASSWORD, role)
    act(record_assurance, "outsider", key, "green", "Benefits on track")
    act(reviews.decide, "sponsor", key, "go")

    assert early == []
    assert (opened.key, opened.gate, opened.kind) == (key, "benefits_realisation", "recurring")
    assert review.round == 2
    assert stage_of(key) == "closed"
    assert triggered.tick(workspace) == []


def test_above_the_delegated_limit_only_the_treasury_takes_the_investment_decision(
    programme, pass_gateway, act, submit_ready, collect_signatures, refuses
):
    key = programme("GOV-2")
    pass_gateway(key)
    pass_gateway(key)
    submit_ready(key)
    act(reviews.sign, "architect", key, "support", PASSWORD, "commercial")
    collect_signatures(key, skip=("commercial",))
    act(record_assurance, "outsider", key, "amber", "Affordable, tight contingency")

    by_sro = refuses(Refused, reviews.decide, "sponsor", key, "go")
    by_committee = refuses(Refused, reviews.decide, "owner", key, "go")
    act(reviews.decide, "deputy", key, "go")

    assert [r.rule for r in by_sro.refusals] == ["role.decide"]
    assert "Only the Treasury spending team may decide" in by_sro.reasons[0]
    assert [r.rule for r in by_committee.refusals] == ["role.decide"]


def test_a_red_rating_moves_the_gate_to_the_committee_which_may_only_stop_it(
    programme, act, submit_ready, collect_signatures, refuses, stage_of
):
    key = programme("GOV-3")
    submit_ready(key)
    collect_signatures(key)
    act(record_assurance, "outsider", key, "red", "No credible benefits case",
        [Recommendation("Rework the strategic outline case", "critical", "sponsor")])  # fmt: skip

    by_sro = refuses(Refused, reviews.decide, "sponsor", key, "go")
    go = refuses(Refused, reviews.decide, "owner", key, "go")
    act(reviews.decide, "owner", key, "recycle", "Rework the case with the review's actions")

    assert "the assurance rating red escalated the decision" in by_sro.reasons[0]
    assert [r.rule for r in go.refusals] == ["decide.assurance_rating"]
    assert stage_of(key) == "justification"


def test_a_low_risk_project_assures_itself(programme, pass_gateway, stage_of):
    key = programme("GOV-4", whole_life_cost="2000000", risk="low")

    pass_gateway(key, rating=None)

    assert stage_of(key) == "delivery_strategy"


def test_a_standing_treasury_member_decides_without_a_grant_on_the_project(
    programme, pass_gateway, act, submit_ready, collect_signatures, refuses, stage_of, workspace
):
    act(users.grant_role, "admin", "security", "treasury")  # on no project: everywhere
    key = programme("GOV-6")
    pass_gateway(key)
    pass_gateway(key)
    submit_ready(key)
    act(reviews.sign, "architect", key, "support", PASSWORD, "commercial")
    collect_signatures(key, skip=("commercial",))
    act(record_assurance, "outsider", key, "amber", "Affordable")

    everywhere_sponsor = refuses(Refused, users.grant_role, "admin", "qa", "sponsor")
    act(reviews.decide, "security", key, "go")

    assert [r.rule for r in everywhere_sponsor.refusals] == ["grant.not_standing"]
    assert stage_of(key) == "delivery"
    with workspace.unit_of_work(read_only=True) as uow:
        result, mismatches = audit.verify_deep(uow)
    assert result.ok and mismatches == []
