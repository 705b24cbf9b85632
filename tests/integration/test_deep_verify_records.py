"""The trail is the whole record: beside stages, grants, active flags and signatures, deep
verify rebuilds facts, tiers, policy versions, evidence versions, reviews, conditions,
waivers, delegations, change requests and overrides from the events, and names every row an
insider edits, adds or deletes with plain SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from gates.decisions import FollowUp
from tests.integration.test_change_requests import CUT
from tests.integration.test_decisions_bind import submitted_with_sponsor_missing
from tests.integration.test_delegation_verbs import delegate_on
from workflows.verbs import audit, overrides, reviews, waivers
from workflows.verbs import change_requests as changes

CASE = "artifact:business_case"


@pytest.fixture
def portfolio(act, new_project, pass_gate, submit_ready, collect_signatures, clock):
    """ERP-1 past its first gate with a condition and an applied change request; ERP-2 with
    an approved waiver and a delegation; OPS-1 passed by an override."""
    key = new_project("ERP-1", budget="400000", regulated="true", duration_months="6")
    submit_ready(key)
    collect_signatures(key)
    due = clock.now.date() + timedelta(days=14)
    act(reviews.decide, "sponsor", key, "conditional_go", "One condition",
        [FollowUp("Close the open risks", "pm", due)])  # fmt: skip
    change = act(changes.propose_change, "pm", key, CUT, "Phase 2 moved to a new project")
    act(changes.approve_change, "sponsor", change.record.id)
    act(changes.approve_change, "pmo", change.record.id)
    other = new_project("ERP-2")
    waiver = act(waivers.request_waiver, "pm", other, CASE, "Mandate", clock.now + timedelta(30))
    act(waivers.approve_waiver, "pmo", waiver.id)
    act(delegate_on, "sponsor", "deputy", "sponsor", other, clock.now + timedelta(days=7))
    lite = new_project("OPS-1", "lite")
    submitted_with_sponsor_missing(submit_ready, collect_signatures, lite)
    asked = act(overrides.request_override, "pmo", lite, "Sponsor on leave; board minute 12")
    act(overrides.answer_override, "pmo2", asked.id, True, "Agreed with the board")
    return key


@pytest.fixture
def deep(workspace):
    def run():
        with workspace.unit_of_work(read_only=True) as uow:
            result, mismatches = audit.verify_deep(uow)
        assert result.ok, "the chain itself is intact: only the tables were edited"
        return [(m.table, m.key, m.column, m.expected, m.found) for m in mismatches]

    return run


@pytest.fixture
def sql(workspace):
    def run(statement):
        with workspace.unit_of_work() as uow:
            uow.session.execute(text(statement))
            uow.commit()

    return run


PROJECT = "(SELECT id FROM projects WHERE key = '{}')"


def test_every_record_of_the_portfolio_agrees_with_its_trail(portfolio, deep):
    assert deep() == []


def test_facts_tier_and_policy_version_edited_in_the_table_are_named(portfolio, deep, sql):
    sql("UPDATE projects SET tier = 'major', facts = '{\"budget\": \"1\"}' WHERE key = 'ERP-1'")
    sql(
        "UPDATE projects SET policy_version_id = (SELECT min(id) FROM policy_versions "
        "WHERE policy_id = 'standard') WHERE key = 'OPS-1'"
    )

    found = {(table, key, column) for table, key, column, _, _ in deep()}

    assert found == {
        ("projects", "ERP-1", "tier"),
        ("projects", "ERP-1", "facts"),
        ("projects", "OPS-1", "policy"),
    }


def test_an_evidence_version_whose_digest_was_swapped_is_named(portfolio, deep, sql):
    sql(
        f"UPDATE artifact_versions SET digest = '{'0' * 64}' WHERE artifact_id = "
        f"'business_case' AND project_id = {PROJECT.format('ERP-1')}"
    )

    [(table, key, column, _, found)] = deep()

    assert (table, key, column, found) == (
        "artifact_versions", "ERP-1 business_case v1", "digest", "0" * 64,
    )  # fmt: skip


def test_a_review_decision_rewritten_in_the_table_is_named(portfolio, deep, sql):
    sql(f"UPDATE reviews SET decision = 'go' WHERE project_id = {PROJECT.format('ERP-1')}")

    assert deep() == [
        ("reviews", "ERP-1 initiation round 1", "decision", "conditional_go", "go"),
    ]


def test_a_condition_closed_or_deleted_in_the_table_is_named(portfolio, deep, sql):
    sql("UPDATE follow_ups SET closed_by = 'pm', done_at = due")

    assert deep() == [
        ("follow_ups", "ERP-1 initiation round 1 condition 1", "closed_by", "(none)", "pm"),
    ]
    sql("DELETE FROM follow_ups")
    assert deep() == [
        ("follow_ups", "ERP-1 initiation round 1 condition 1", "(row)", "a row", "(no row)"),
    ]


def test_a_waiver_revived_in_the_table_is_named(portfolio, act, deep, sql):
    sql("UPDATE waivers SET status = 'requested'")

    [(table, _, column, expected, found)] = deep()

    assert (table, column, expected, found) == ("waivers", "status", "approved", "requested")


def test_a_delegation_lengthened_or_inserted_without_its_event_is_named(portfolio, deep, sql):
    sql("UPDATE delegations SET ends_at = '2099-01-01 00:00:00'")

    [(table, _, column, _, found)] = deep()
    assert (table, column, found) == ("delegations", "ends_at", "2099-01-01T00:00:00Z")

    sql(
        "INSERT INTO delegations (delegator_id, delegate_id, role, project_id, starts_at, "
        "ends_at, reason, created_at) SELECT delegator_id, delegate_id, role, project_id, "
        "starts_at, ends_at, reason, created_at FROM delegations"
    )
    assert [column for _, _, column, _, _ in deep()] == ["ends_at", "(row)"]


def test_a_change_request_rewritten_in_the_table_is_named(portfolio, deep, sql):
    sql("UPDATE change_requests SET status = 'rejected', closed_by = 'finance'")

    found = [(table, column, expected, got) for table, _, column, expected, got in deep()]

    assert found == [
        ("change_requests", "status", "applied", "rejected"),
        ("change_requests", "closed_by", "pmo", "finance"),
    ]


def test_an_override_whose_second_member_was_rewritten_is_named(portfolio, deep, sql):
    sql("UPDATE overrides SET answered_by = 'pmo'")

    [(table, _, column, expected, found)] = deep()

    assert (table, column, expected, found) == ("overrides", "answered_by", "pmo2", "pmo")
