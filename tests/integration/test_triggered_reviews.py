"""Reviews that repeat or are triggered (issue 11, item 5): a repeatable gate held again after
it passed, a recurring review opened once by the tick, a condition gone overdue asking for a
review that blocks the next gate until it passes, and deep verify reconciling what the tick
opened."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import func, select, text

from gates.decisions import FollowUp
from gates.recurrence import add
from policies.model import Period, PeriodUnit
from tests.integration.factories import actor_of, policy_source
from workflows import triggered
from workflows.errors import Refused
from workflows.identity import system
from workflows.state import load_project, policy_of
from workflows.store.audit_keys import generate
from workflows.store.records import TriggeredReview
from workflows.verbs import audit, publishing, reviews
from workflows.verbs.compliance import read_report
from workflows.verbs.conditions import close_condition
from workflows.verbs.dossier import export_dossier
from workflows.views.history import project_as_of
from workflows.views.triggered import reviews_ahead

TRIGGERS = """
triggers:
  - on: condition_overdue
    review: planning
  - on: recurring
    review: planning
    every: 12 months
    first: 6 months after gate planning
    until: closure
"""
PLANNING = "    name: G2 Baseline approval\n    stage: execution\n"


def repeating_policy() -> str:
    """The standard policy whose planning gate is repeatable and reviewed when a condition
    goes overdue and every year from six months after it passed, until closure."""
    source = policy_source("standard", 4)
    assert PLANNING in source
    return source.replace(PLANNING, PLANNING + "    repeatable: true\n") + TRIGGERS


@pytest.fixture
def in_execution(act, new_project, pass_gate, stage_of):
    """ERP-7 under the repeating policy, past initiation and planning: in execution."""
    act(publishing.publish, system(), repeating_policy(), "standard-v4.yaml")
    key = new_project("ERP-7")
    pass_gate(key)
    pass_gate(key)
    assert stage_of(key) == "execution"
    return key


def tick(workspace, as_of=None):
    return [(o.key, o.gate, o.kind, o.cause) for o in triggered.tick(workspace, as_of)]


def owed(read, key):
    def find(uow):
        project = load_project(uow, key)
        return [
            (o.gate, o.kind.value)
            for o in triggered.owed_reviews(uow, project, policy_of(uow, project))
        ]

    return read(find)


def hold_again(act, collect_signatures, key, gate):
    """Submit `gate` again, collect its sign-offs and decide a go."""
    review = act(reviews.submit_gate, "pm", key, gate)
    collect_signatures(key)
    return review, act(reviews.decide, "sponsor", key, "go")


# -- a repeatable gate ---------------------------------------------------------------------------


def test_a_repeatable_gate_is_held_again_after_it_passed_without_moving_the_project(
    in_execution, act, collect_signatures, stage_of, events, head
):
    start = head()

    review, decided = hold_again(act, collect_signatures, in_execution, "planning")

    assert (review.gate_id, review.round) == ("planning", 2)
    assert (decided.old_stage, decided.new_stage, stage_of(in_execution)) == ("execution",) * 3
    submitted = [e for e in events(after=start) if e.action == "review.submitted"]
    assert [(e.actor, e.data["gate"], e.data["repeat"]) for e in submitted] == [
        ("pm", "planning", True)
    ]


def test_a_gate_the_policy_does_not_mark_repeatable_is_not_held_again(in_execution, refuses):
    error = refuses(Refused, reviews.submit_gate, "pm", in_execution, "initiation")

    [refusal] = error.refusals
    assert refusal.rule == "submit.not_next_gate"
    assert refusal.text == (
        "ERP-7 is in 'execution': the next gate is G3 Readiness for cutover (execution), not "
        "initiation; G1 Initiation approval is passed, and the policy does not let it be held "
        "again."
    )


# -- a recurring review --------------------------------------------------------------------------


def test_the_tick_opens_a_due_recurring_review_once(
    in_execution, workspace, clock, read, events, head
):
    passed = read(lambda uow: triggered.passed_gates(uow, load_project(uow, "ERP-7").id))
    six_months_after = add(passed.first["planning"], Period(6, PeriodUnit.MONTHS))
    assert tick(workspace) == []  # not six months yet
    clock.advance(days=200)
    start = head()

    first, second = tick(workspace), tick(workspace)

    assert first == [("ERP-7", "planning", "recurring", six_months_after.isoformat())]
    assert second == []
    [event] = events(after=start)
    assert (event.actor, event.action) == ("system", "review.triggered")
    assert (event.data["kind"], event.data["due_on"]) == ("recurring", six_months_after.isoformat())


def test_a_recurring_review_blocks_the_next_gate_until_it_passes(
    in_execution, workspace, clock, act, read, refuses, provide_evidence, collect_signatures
):
    key = in_execution
    clock.advance(days=200)
    tick(workspace)
    provide_evidence(key)

    error = refuses(Refused, reviews.submit_gate, "pm", key)

    assert [r.rule for r in error.refusals] == ["trigger.recurring"]
    assert "The recurring review of G2 Baseline approval came due on" in error.refusals[0].text
    assert "`--gate planning`" in error.refusals[0].text
    assert owed(read, key) == [("planning", "recurring")]
    hold_again(act, collect_signatures, key, "planning")
    assert owed(read, key) == []
    assert act(reviews.submit_gate, "pm", key).gate_id == "execution"


def test_the_next_date_is_shown_before_it_comes(in_execution, read, clock):
    def coming(uow):
        project = load_project(uow, in_execution)
        return triggered.coming(uow, project, policy_of(uow, project), clock.today())

    [schedule] = read(coming)

    assert schedule.due == ()
    assert (schedule.next - clock.today()).days in range(180, 186)


# -- a condition gone overdue --------------------------------------------------------------------


@pytest.fixture
def with_condition(act, new_project, pass_gate, submit_ready, collect_signatures, clock):
    """ERP-8 under the repeating policy, past planning by a conditional go whose one condition
    is due in ten days."""
    act(publishing.publish, system(), repeating_policy(), "standard-v4.yaml")
    key = new_project("ERP-8")
    pass_gate(key)
    submit_ready(key)
    collect_signatures(key)
    due = clock.today() + timedelta(days=10)
    act(reviews.decide, "sponsor", key, "conditional_go", "One condition",
        [FollowUp("Sign the support contract", "pm", due)])  # fmt: skip
    return key


def test_an_overdue_condition_asks_for_a_review_that_blocks_the_next_gate_until_it_passes(
    with_condition, workspace, clock, act, read, refuses, provide_evidence, collect_signatures
):
    key = with_condition
    clock.advance(days=10)
    assert tick(workspace) == []  # due today: not overdue yet
    clock.advance(days=1)
    [(_, gate, kind, cause)] = tick(workspace)
    condition = int(cause.split()[1])
    act(close_condition, "pm", condition, "Signed, late")  # closing it does not answer the review
    provide_evidence(key)

    error = refuses(Refused, reviews.submit_gate, "pm", key)

    assert (gate, kind) == ("planning", "condition_overdue")
    [refusal] = error.refusals
    assert refusal.rule == "trigger.condition_overdue"
    assert refusal.text.startswith(f"Condition {condition} went overdue on ")
    hold_again(act, collect_signatures, key, "planning")
    assert owed(read, key) == []
    assert act(reviews.submit_gate, "pm", key).gate_id == "execution"


def test_a_go_of_the_next_gate_is_refused_while_a_triggered_review_is_owed(
    with_condition, workspace, clock, act, refuses, submit_ready, collect_signatures, read
):
    key = with_condition
    [condition] = read(lambda uow: [c.id for c in _conditions(uow, key)])
    act(close_condition, "pm", condition, "Signed")
    submit_ready(key)  # submitted before anything was owed
    collect_signatures(key)
    clock.advance(days=200)  # the first recurring review has come meanwhile
    tick(workspace)

    error = refuses(Refused, reviews.decide, "sponsor", key, "go")

    # (its evidence has also gone stale meanwhile: each refusal is listed)
    [owed_review] = [r for r in error.refusals if r.rule.startswith("trigger.")]
    assert owed_review.rule == "trigger.recurring"
    assert "before the next gate is passed" in owed_review.text


def _conditions(uow, key):
    from workflows.verbs.conditions import open_conditions

    return open_conditions(uow, load_project(uow, key).id)


# -- the trail -----------------------------------------------------------------------------------


def test_deep_verify_agrees_with_the_tick_and_names_a_tampered_row(in_execution, workspace, clock):
    clock.advance(days=200)
    tick(workspace)

    def deep():
        with workspace.unit_of_work(read_only=True) as uow:
            result, mismatches = audit.verify_deep(uow)
        assert result.ok
        return [(m.table, m.column, m.expected, m.found) for m in mismatches]

    assert deep() == []
    with workspace.unit_of_work() as uow:
        cause = uow.session.execute(select(TriggeredReview.cause)).scalar_one()
        uow.session.execute(text("UPDATE triggered_reviews SET cause = '2099-01-01'"))
        uow.commit()
    assert deep() == [("triggered_reviews", "cause", cause, "2099-01-01")]
    with workspace.unit_of_work() as uow:
        uow.session.execute(text("DELETE FROM triggered_reviews"))
        uow.commit()
    assert [row[:1] + row[2:3] for row in deep()] == [("triggered_reviews", "a row")]


def test_a_killed_project_is_not_ticked(in_execution, workspace, clock, act, read):
    from workflows.verbs import projects

    act(projects.kill, "pmo", in_execution, "Cancelled")
    clock.advance(days=400)

    assert tick(workspace) == []
    assert (
        read(lambda uow: uow.session.execute(select(func.count(TriggeredReview.id))).scalar()) == 0
    )


# -- what people see -----------------------------------------------------------------------------


def test_a_review_is_listed_as_coming_then_due_then_owed(in_execution, workspace, clock, read):
    def ahead():
        def find(uow):
            project = load_project(uow, in_execution)
            return reviews_ahead(uow, project, policy_of(uow, project), uow.now.date())

        return [(r.state, r.gate) for r in read(find)]

    coming = ahead()
    clock.advance(days=200)
    due = ahead()
    tick(workspace)

    assert coming == [("coming", "planning")]
    assert due == [("due", "planning"), ("coming", "planning")]
    assert ahead() == [("owed", "planning"), ("coming", "planning")]


def test_the_dossier_and_the_as_of_view_show_the_triggered_review(
    in_execution, workspace, clock, act, read, monkeypatch
):
    secret, _ = generate("lockgate.test/audit")
    monkeypatch.setenv("LOCKGATE_AUDIT_KEY", secret)
    clock.advance(days=200)
    before = clock.now
    tick(workspace)
    act(audit.checkpoint, "auditor")
    out = io.BytesIO()
    act(export_dossier, "auditor", in_execution, out)

    record = orjson.loads(zipfile.ZipFile(out).read("record.json"))
    report = zipfile.ZipFile(out).read("report.html").decode()
    [opened] = record["triggered_reviews"]
    assert (opened["gate"], opened["kind"]) == ("planning", "recurring")
    assert "review of planning (recurring" in report

    def as_of(moment):
        return read(lambda uow: project_as_of(uow, actor_of(uow, "pmo"), in_execution, moment))

    assert as_of(before).triggered == {}
    assert [t.cause for t in as_of(clock.now).triggered.values()] == [opened["cause"]]


def test_the_report_lists_triggered_reviews_owed_then_passed(
    in_execution, workspace, clock, act, collect_signatures, provide_evidence
):
    since = clock.now
    clock.advance(days=200)  # some 18 days after the first date
    tick(workspace)
    period = (since, clock.now + timedelta(days=400))  # reaching past today: read as of today

    def states():
        rows = act(read_report, "auditor", "triggered-reviews", *period).rows
        return [(key, gate, kind, passed is not None, state)
                for key, gate, kind, _, _, _, passed, state in rows]  # fmt: skip

    owed_within_30_days = states()
    clock.advance(days=20)
    overdue = states()
    provide_evidence(in_execution)  # fresh again after 220 days
    hold_again(act, collect_signatures, in_execution, "planning")

    assert owed_within_30_days == [("ERP-7", "planning", "recurring", False, "owed")]
    assert overdue == [("ERP-7", "planning", "recurring", False, "overdue")]
    assert states() == [("ERP-7", "planning", "recurring", True, "passed late")]


# -- a repeat review's decisions -----------------------------------------------------------------


@pytest.fixture
def capped(act, new_project, pass_gate, stage_of):
    """ERP-9 in execution, under a policy whose repeatable planning gate takes at most two
    review rounds."""
    source = repeating_policy().replace(
        "    repeatable: true\n", "    repeatable: true\n    max_rounds: 2\n", 1
    )
    act(publishing.publish, system(), source, "standard-v4.yaml")
    key = new_project("ERP-9")
    pass_gate(key)
    pass_gate(key)
    return key


def test_a_repeat_review_recycled_leaves_the_project_where_it_is(capped, act, stage_of):
    act(reviews.submit_gate, "pm", capped, "planning")

    decided = act(reviews.decide, "sponsor", capped, "recycle", "Rework the vendor list")

    assert (decided.old_stage, decided.new_stage, stage_of(capped)) == ("execution",) * 3


def test_max_rounds_caps_each_holding_of_a_repeatable_gate(capped, act, refuses):
    act(reviews.submit_gate, "pm", capped, "planning")  # round 2: the first of this holding
    act(reviews.decide, "sponsor", capped, "recycle", "Rework the vendor list")
    act(reviews.submit_gate, "pm", capped, "planning")  # round 3: the second, the last

    error = refuses(Refused, reviews.decide, "sponsor", capped, "recycle", "Again")

    assert [r.rule for r in error.refusals] == ["decide.max_rounds"]
    assert "has had 2 review rounds" in error.refusals[0].text


def test_a_repeat_review_may_hold_the_project(capped, act, stage_of):
    act(reviews.submit_gate, "pm", capped, "planning")

    decided = act(reviews.decide, "sponsor", capped, "hold", "Vendor offers late")

    assert (decided.new_stage, stage_of(capped)) == ("on_hold", "on_hold")
