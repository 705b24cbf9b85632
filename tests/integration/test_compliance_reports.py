"""Compliance reports over the portfolio: each kind lists what happened in its period, read
from indexed columns; a report states its period, rows and digest, and exporting it is
audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from workflows.errors import Refused
from workflows.store.records import Review
from workflows.verbs import overrides, reviews, waivers
from workflows.verbs.compliance import export_report, read_report

CASE = "artifact:business_case"


@pytest.fixture
def period(clock):
    """(since, until): the days around the test clock, time enough for a late decision."""
    return clock.now - timedelta(days=1), clock.now + timedelta(days=30)


def test_refused_attempts_are_counted_by_the_rule_kept_beside_each_event(
    act, new_project, submit_ready, refuses, period
):
    key = new_project("ERP-1")
    submit_ready(key)
    refuses(Refused, reviews.decide, "pm", key, "go")
    refuses(Refused, reviews.decide, "pm", key, "go")

    found = act(read_report, "auditor", "refusals", *period)

    counts = {rule: attempts for rule, attempts, _, _ in found.rows}
    assert counts == {"role.decide": 2}


def test_a_gate_decided_after_its_service_level_is_listed_with_the_days_late(
    act, new_project, submit_ready, collect_signatures, clock, period
):
    key = new_project("ERP-1")
    submit_ready(key)
    clock.advance(days=14)  # the initiation gate's service level is 10 days
    collect_signatures(key)
    act(reviews.decide, "sponsor", key, "go")

    found = act(read_report, "auditor", "late-approvals", *period)

    [(project, gate, number, _, _, late, decision, by)] = found.rows
    assert (project, gate, number, decision, by) == (key, "initiation", 1, "go", "sponsor")
    assert late >= 4


def test_a_gate_passed_by_override_while_its_risk_register_was_stale_is_listed(
    act, read, new_project, pass_gate, submit_ready, collect_signatures, refuses, clock
):
    fresh, stale = new_project("ERP-1"), new_project("ERP-2")
    since = clock.now
    for key in (fresh, stale):
        pass_gate(key)
        submit_ready(key)  # planning: the risk register may be at most 90 days old
        collect_signatures(key)
    act(reviews.decide, "sponsor", fresh, "go")
    clock.advance(days=100)
    refuses(Refused, reviews.decide, "sponsor", stale, "go", match="stale")
    asked = act(overrides.request_override, "pmo", stale, "Register reviewed in the steering call")
    act(overrides.answer_override, "pmo2", asked.id, True, "Minutes attached")

    found = act(read_report, "auditor", "stale-evidence", since, clock.now + timedelta(days=1))

    [row] = found.rows
    project, gate, number, _, decision, _, artifact, _, age, limit, passed_by = row
    recorded = read(
        lambda uow: uow.session.execute(
            select(func.count()).where(Review.stale_evidence.is_not(None))
        ).scalar_one()
    )
    assert recorded == 1, "only the decision on stale evidence records it (SQL NULL otherwise)"
    assert (project, gate, number, decision, artifact) == (stale, "planning", 1, "go",
                                                          "risk_register")  # fmt: skip
    assert (age, limit, passed_by) == (100, 90, f"override {asked.id}")


def test_the_upgrade_finds_the_gates_passed_on_stale_evidence_before_decisions_recorded_it(
    act, new_project, pass_gate, submit_ready, collect_signatures, clock, workspace
):
    from importlib import import_module

    from sqlalchemy import update

    from workflows.store.records import Review

    migration = import_module("migrations.versions.0020_stale_evidence_at_decision")
    key = new_project("ERP-1")
    since = clock.now
    pass_gate(key)
    submit_ready(key)
    collect_signatures(key)
    clock.advance(days=100)
    asked = act(overrides.request_override, "pmo", key, "Register reviewed in the steering call")
    act(overrides.answer_override, "pmo2", asked.id, True, "Minutes attached")
    until = clock.now + timedelta(days=1)
    recorded = act(read_report, "auditor", "stale-evidence", since, until).rows

    with workspace.unit_of_work() as uow:  # as before decisions recorded their stale evidence
        uow.session.execute(update(Review).values(stale_evidence=None))
        uow.commit()
    assert act(read_report, "auditor", "stale-evidence", since, until).rows == []
    with workspace.unit_of_work() as uow:
        migration._fill_in(uow.session.connection())
        uow.commit()

    assert act(read_report, "auditor", "stale-evidence", since, until).rows == recorded != []


def test_waivers_are_listed_as_requested_active_or_revoked(act, new_project, clock, period):
    key = new_project("ERP-1")
    until = clock.now + timedelta(days=30)
    first = act(waivers.request_waiver, "pm", key, CASE, "Regulatory mandate", until)
    act(waivers.approve_waiver, "pmo", first.id)
    other = new_project("ERP-2")
    second = act(waivers.request_waiver, "pm", other, CASE, "Later", until)

    found = act(read_report, "auditor", "waivers", *period)
    act(waivers.revoke_waiver, "pmo", first.id, "No longer needed")
    later = act(read_report, "auditor", "waivers", *period)

    assert [(row[0], row[4]) for row in found.rows] == [
        (first.id, "active"),
        (second.id, "requested"),
    ]
    assert next((row[0], row[4]) for row in later.rows) == (first.id, "revoked")


def test_people_holding_roles_who_have_not_acted_for_90_days_are_listed_for_recertification(
    act, new_project, provide_evidence, clock
):
    key = new_project("ERP-1")  # the admin grants each approver a role on it
    clock.advance(days=100)
    provide_evidence(key)  # the project manager acts; the approvers do not

    found = act(read_report, "auditor", "unused-roles", clock.now - timedelta(days=1), clock.now)

    names = {row[0] for row in found.rows}
    assert {"finance", "security"} <= names
    assert "pm" not in names


def test_an_export_is_audited_with_its_period_rows_and_digest(act, new_project, events, period):
    new_project("ERP-1")

    found = act(export_report, "auditor", "late-approvals", *period)

    [exported] = [e for e in events() if e.action == "report.exported"]
    assert exported.data["digest"] == found.digest and exported.data["rows"] == found.count
    assert exported.data["kind"] == "late-approvals"
    assert found.digest == act(read_report, "auditor", "late-approvals", *period).digest


def test_only_auditors_the_pmo_and_admins_read_reports_and_periods_must_make_sense(refuses, period):
    since, until = period

    pm = refuses(Refused, read_report, "pm", "waivers", since, until)
    backwards = refuses(Refused, read_report, "auditor", "waivers", until, since)

    assert [r.rule for r in pm.refusals] == ["role.audit"]
    assert [r.rule for r in backwards.refusals] == ["report.period"]
