"""Independent assurance reviews: a reviewer from outside the project (not its manager, sponsor
or team, nor their org units) rates the round on the policy's scale with recommendations; a go
waits for it, and the rating's rules narrow the decisions or move the decision to a board.
Every review and every user attribute is on the trail and reconciled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.integration.conftest import grant_on_project
from tests.integration.factories import policy_source
from workflows.errors import InvalidInput, Refused
from workflows.identity import system
from workflows.store.records import AssuranceRecord
from workflows.verbs import audit, publishing, reviews, users
from workflows.verbs.assurance import Recommendation, record_assurance
from workflows.verbs.compliance import read_report
from workflows.views.history import replay_project

SCALES = """\
rating_scales:
  delivery_confidence:
    title: Delivery confidence
    ratings: [green, amber_green, amber, amber_red, red]
"""
ROLES = """\
roles:
  gateway_reviewer:
    title: Gateway reviewer
  investment_board:
    title: Investment board
"""
ASSURANCE = """\
  - id: initiation
    assurance:
      reviewers: gateway_reviewer
      scale: delivery_confidence
      rules:
        - when: assurance.rating == "red"
          decisions: [recycle, hold, kill]
        - when: assurance.level >= 3
          escalate_to: investment_board
"""
PLACES = {
    "pm": ("Information Technology", "ERP programme"),
    "sponsor": ("Group Finance", "CFO office"),
    "outsider": ("Internal Audit", "Gateway reviews"),
    "finance": ("Group Finance", "Controlling"),
    "deputy": ("Strategy", "Investment office"),
}
URGENT = Recommendation("Name a benefits owner", "critical", "sponsor")


TRIGGERS = """\
triggers:
  - on: assurance_red
    review: initiation
"""


@pytest.fixture
def assured_gate(act, new_project, submit_ready, collect_signatures):
    """ERP-1 under standard v4, whose first gate needs a gateway review (outsider is the
    reviewer, deputy sits on the investment board); every person's place recorded;
    submitted and signed."""
    source = (
        policy_source("standard", 4)
        .replace("roles:\n", ROLES, 1)
        .replace("tiers:\n", SCALES + TRIGGERS + "tiers:\n", 1)
        .replace("  - id: initiation\n", ASSURANCE, 1)
    )
    act(publishing.publish, system(), source, "standard-v4.yaml")
    key = new_project("ERP-1")
    act(grant_on_project, "admin", "outsider", "gateway_reviewer", key)
    act(grant_on_project, "admin", "deputy", "investment_board", key)
    for who, (unit, team) in PLACES.items():
        act(users.set_attributes, "admin", who, unit, team)
    submit_ready(key)
    collect_signatures(key)
    return key


def rate(act, key: str, rating: str, who: str = "outsider", *items: Recommendation):
    return act(record_assurance, who, key, rating, f"Rated {rating}", list(items))


def test_a_go_waits_for_the_assurance_review_and_passes_after_an_amber(
    assured_gate, act, refuses, stage_of
):
    key = assured_gate
    waiting = refuses(Refused, reviews.decide, "sponsor", key, "go")
    rated = rate(act, key, "amber", "outsider", URGENT)

    act(reviews.decide, "sponsor", key, "go")

    assert [r.rule for r in waiting.refusals] == ["decide.assurance_missing"]
    assert "needs an independent assurance review (Delivery confidence)" in waiting.reasons[0]
    assert rated.recommendations == [
        {"action": "Name a benefits owner", "urgency": "critical", "owner": "sponsor"}
    ]
    assert stage_of(key) == "planning"


def test_a_red_rating_leaves_only_stopping_and_moves_the_decision_to_the_board(
    assured_gate, act, refuses, stage_of
):
    key = assured_gate
    rate(act, key, "red")

    sponsor = refuses(Refused, reviews.decide, "sponsor", key, "recycle", "Rework the case")
    board_go = refuses(Refused, reviews.decide, "deputy", key, "go")
    act(reviews.decide, "deputy", key, "recycle", "Rework the benefits case")

    assert [r.rule for r in sponsor.refusals] == ["role.decide"]
    assert "the assurance rating red escalated the decision" in sponsor.reasons[0]
    assert [r.rule for r in board_go.refusals] == ["decide.assurance_rating"]
    assert board_go.reasons == [
        "The assurance rating red (Delivery confidence) leaves recycle, hold, kill at G1 "
        "Initiation approval: 'go' is not one of them."
    ]
    assert stage_of(key) == "initiation"


@pytest.mark.parametrize(
    ("who", "grant", "rule"),
    [
        ("finance", True, "sod.assurance_team"),  # holds the finance role on the project
        ("sponsor", True, "sod.assurance_sponsor"),
        ("architect", True, "assure.attributes_unknown"),  # their place is not recorded
        ("deputy", False, "role.assure"),  # not a gateway reviewer
    ],
)
def test_only_an_independent_gateway_reviewer_rates(assured_gate, act, refuses, who, grant, rule):
    if grant:
        act(grant_on_project, "admin", who, "gateway_reviewer", assured_gate)

    refused = refuses(Refused, record_assurance, who, assured_gate, "green", "Fine")

    assert rule in [r.rule for r in refused.refusals]


def test_a_reviewer_from_the_sponsors_org_unit_is_refused(assured_gate, act, refuses):
    act(users.set_attributes, "admin", "outsider", "group finance", None)

    refused = refuses(Refused, record_assurance, "outsider", assured_gate, "green", "Fine")

    assert [r.rule for r in refused.refusals] == ["sod.assurance_org_unit"]
    assert "as sponsor is" in refused.reasons[0]


def test_one_review_a_round_on_the_scale_with_sound_recommendations(assured_gate, act, refuses):
    key = assured_gate
    off_scale = refuses(Refused, record_assurance, "outsider", key, "purple", "Odd")
    vague = refuses(
        InvalidInput,
        record_assurance,
        "outsider",
        key,
        "amber",
        "Fine",
        [Recommendation("Do it", "soonish", "pm")],
    )
    rate(act, key, "amber")
    twice = refuses(Refused, record_assurance, "outsider", key, "green", "Again")

    assert [r.rule for r in off_scale.refusals] == ["assure.rating"]
    assert "use critical, essential, recommended" in str(vague.problems)
    assert [r.rule for r in twice.refusals] == ["assure.once_per_round"]


def test_nobody_records_their_own_place(act, refuses):
    refused = refuses(Refused, users.set_attributes, "admin", "admin", "Internal Audit", None)

    assert [r.rule for r in refused.refusals] == ["user.own_attributes"]


def test_reviews_and_places_are_on_the_trail_in_the_report_and_reconciled(
    assured_gate, act, workspace, clock
):
    key = assured_gate
    rate(act, key, "amber_green", "outsider", URGENT,
         Recommendation("Baseline the schedule", "essential", "pm"))  # fmt: skip
    act(reviews.decide, "sponsor", key, "go")

    found = act(read_report, "auditor", "assurance", clock.now - timedelta(days=1),
                clock.now + timedelta(days=1))  # fmt: skip
    with workspace.unit_of_work(read_only=True) as uow:
        history = replay_project(uow, key)
        result, mismatches = audit.verify_deep(uow)
    with workspace.unit_of_work() as uow:
        uow.session.execute(text("UPDATE assurance_reviews SET rating = 'green'"))
        moved = "UPDATE users SET org_unit = 'Group Finance' WHERE username = 'outsider'"
        uow.session.execute(text(moved))
        uow.commit()
    with workspace.unit_of_work(read_only=True) as uow:
        _, tampered = audit.verify_deep(uow)

    assert [(row[3], row[5], row[7], row[8], row[11]) for row in found.rows] == [
        ("outsider", "amber_green", "critical", "sponsor", "go"),
        ("outsider", "amber_green", "essential", "pm", "go"),
    ]
    [round_] = history.rounds
    assert round_.assurance is not None
    assert (round_.assurance.reviewer, round_.assurance.rating) == ("outsider", "amber_green")
    assert result.ok and mismatches == []
    assert sorted((m.table, m.column) for m in tampered) == [
        ("assurance_reviews", "rating"),
        ("users", "org_unit, team"),
    ]


def test_the_worst_rating_opens_the_review_the_policy_asks_for(assured_gate, act, read, workspace):
    from workflows.state import load_project, policy_of
    from workflows.triggered import owed_reviews

    key = assured_gate
    rate(act, key, "amber_red")
    before = read(
        lambda uow: owed_reviews(
            uow, load_project(uow, key), policy_of(uow, load_project(uow, key))
        )
    )
    act(reviews.decide, "deputy", key, "recycle", "Rework with the review's actions")
    act(reviews.submit_gate, "pm", key)
    rate(act, key, "red")

    owed = read(
        lambda uow: owed_reviews(
            uow, load_project(uow, key), policy_of(uow, load_project(uow, key))
        )
    )
    with workspace.unit_of_work(read_only=True) as uow:
        result, mismatches = audit.verify_deep(uow)

    assert before == []
    assert [(o.gate, o.kind) for o in owed] == [("initiation", "assurance_red")]
    [red] = read(
        lambda uow: (
            uow.session.execute(select(AssuranceRecord.id).where(AssuranceRecord.rating == "red"))
            .scalars()
            .all()
        )
    )
    assert owed[0].cause == f"assurance review {red}"
    assert result.ok and mismatches == []
