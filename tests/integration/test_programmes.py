"""Programmes: a project split under one programme keeps the tier of the whole, a change that
re-tiers a sibling is a change request the programme's sponsor and the PMO approve, and every
membership is on the trail, reconciled by deep verify (issue 11, item 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, text

from tests.integration.factories import actor_of, audit_events
from tests.unit.test_programmes import PROGRAMME_POLICY
from workflows.errors import InvalidInput, Refused
from workflows.gate_inputs import gate_inputs
from workflows.identity import system
from workflows.state import load_project
from workflows.store.records import AuditEvent, Project
from workflows.verbs import audit, programmes, projects, publishing, reviews
from workflows.verbs import change_requests as changes
from workflows.views import compliance
from workflows.views.history import project_as_of


@pytest.fixture
def programmed(act):
    """The programme-aware policy (tier major over a programme total of 1,000,000) and the
    programme CRM, sponsored by `deputy`."""
    act(publishing.publish, system(), PROGRAMME_POLICY, "programmed.yaml")
    act(programmes.create_programme, "pmo", "CRM", "Customer platform", "deputy")


@pytest.fixture
def register(act):
    def run(key, budget="600000"):
        facts = {"budget": budget}
        act(projects.register_project, "pm", key, f"Project {key}", "programmed", facts,
            sponsor="sponsor")  # fmt: skip
        return key

    return run


@pytest.fixture
def split(programmed, register, act):
    """CRM-1 and CRM-2: one 1,200,000 project split in two halves, both in CRM."""
    for key in (register("CRM-1"), register("CRM-2")):
        act(programmes.add_project, "pmo", "CRM", key, "One platform, split in two")
    return "CRM-1", "CRM-2"


@pytest.fixture
def past_first_gate(split, act):
    for key in split:
        act(reviews.submit_gate, "pm", key)
        act(reviews.decide, "sponsor", key, "go")
    return split


def tier_of(read, key):
    return read(lambda uow: load_project(uow, key).tier)


def test_a_project_split_in_two_under_one_programme_stays_major(split, register, read):
    alone = register("ERP-9")

    assert [tier_of(read, key) for key in split] == ["major", "major"]
    assert tier_of(read, alone) == "standard", "600,000 on its own is under the threshold"


def test_each_project_a_membership_re_tiers_gets_its_own_event(split, events):
    retiered = [(e.project, e.data["old_tier"], e.data["new_tier"], e.data["moved_by"])
                for e in events() if e.action == "project.retiered"]  # fmt: skip

    assert retiered == [("CRM-2", "standard", "major", "CRM-2"),
                        ("CRM-1", "standard", "major", "CRM-2")]  # fmt: skip
    added = [(e.project, e.data["programme"]) for e in events()
             if e.action == "programme.project_added"]  # fmt: skip
    assert added == [("CRM-1", "CRM"), ("CRM-2", "CRM")]


def test_only_the_pmo_moves_a_project_into_a_programme(programmed, register, refuses):
    key = register("CRM-1")

    error = refuses(Refused, programmes.add_project, "pm", "CRM", key, "Mine now")

    assert error.refusals[0].rule == "role.programme"


def test_someone_the_programme_is_nothing_to_is_refused_its_summary_and_it_is_recorded(
    programmed, refuses
):
    from workflows.views.programmes import programme_summary

    error = refuses(Refused, programme_summary, "outsider", "CRM")

    assert error.refusals


def test_a_programme_needs_a_well_formed_key_a_name_and_a_sponsor(programmed, refuses):
    error = refuses(InvalidInput, programmes.create_programme, "pmo", "crm two", " ", "deputy")

    assert set(error.problems) == {"key", "name"}


def test_a_sibling_re_tiering_change_after_the_first_gate_is_refused_as_a_direct_edit(
    past_first_gate, refuses
):
    error = refuses(Refused, projects.update_facts, "pm", "CRM-1", {"budget": "300000"})

    assert error.refusals[0].rule == "change.needs_request"
    assert "CRM-2 moves from major to standard (same programme)" in error.reasons[0]
    assert "the programme's sponsor" in error.reasons[0]


def test_a_change_re_tiering_a_sibling_is_approved_by_the_programme_sponsor_and_pmo_then_applied(
    past_first_gate, act, read, refuses, events
):
    proposal = act(changes.propose_change, "pm", "CRM-1", {"budget": "300000"}, "Scope cut")
    number = proposal.record.id
    assert proposal.impact.siblings[0].key == "CRM-2"

    act(changes.approve_change, "sponsor", number)
    act(changes.approve_change, "pmo", number)
    assert tier_of(read, "CRM-2") == "major", "not applied before the programme's sponsor"
    refuses(Refused, changes.approve_change, "outsider", number, match="programme sponsor")
    act(changes.approve_change, "deputy", number)

    assert [tier_of(read, k) for k in past_first_gate] == ["standard", "standard"]
    moved = [e for e in events() if e.action == "project.retiered" and e.project == "CRM-2"]
    assert moved[-1].data == {
        "old_tier": "major", "new_tier": "standard", "moved_by": "CRM-1", "change": number,
        "tier_reason": "Standard: no other tier's rule holds (the default)",
    }  # fmt: skip


def test_leaving_the_programme_past_the_first_gate_is_a_change_request(
    past_first_gate, act, read, refuses, events
):
    refused = refuses(Refused, programmes.remove_project, "pmo", "CRM-2", "Moves to ERP")
    assert "lockgate programme remove CRM-2 --propose" in refused.reasons[0]

    moved = act(programmes.remove_project, "pmo", "CRM-2", "Moves to ERP", propose=True)
    for approver in ("sponsor", "pmo2", "deputy"):
        act(changes.approve_change, approver, moved.change.id)

    assert read(lambda uow: load_project(uow, "CRM-2").programme_id) is None
    assert [tier_of(read, k) for k in past_first_gate] == ["standard", "standard"]
    applied = [e.data for e in events() if e.action == "change.applied"]
    assert [(d["old_tier"], d["new_tier"]) for d in applied] == [("major", "standard")]


def test_deep_verify_rebuilds_programmes_and_memberships_from_the_trail(
    past_first_gate, act, workspace
):
    act(changes.propose_change, "pm", "CRM-1", {"budget": "300000"}, "Scope cut")

    with workspace.unit_of_work(read_only=True) as uow:
        result, mismatches = audit.verify_deep(uow)

    assert result.ok and mismatches == []


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE projects SET programme_id = NULL WHERE key = 'CRM-2'",
         ("projects.programme_id", "CRM-2", "(row)")),
        ("UPDATE programmes SET name = 'Renamed' WHERE key = 'CRM'",
         ("programmes", "CRM", "name")),
        ("UPDATE projects SET tier = 'standard' WHERE key = 'CRM-1'",
         ("projects", "CRM-1", "tier")),
    ],
)  # fmt: skip
def test_a_tampered_programme_row_is_caught_by_deep_verify(split, workspace, statement, named):
    with workspace.unit_of_work() as uow:
        uow.session.execute(text(statement))
        uow.commit()

    with workspace.unit_of_work(read_only=True) as uow:
        _, mismatches = audit.verify_deep(uow)

    assert [(m.table, m.key, m.column) for m in mismatches] == [named]


def test_a_gate_waits_for_the_programmes_other_projects_to_reach_a_stage(
    split, act, status, workspace
):
    act(reviews.submit_gate, "pm", "CRM-1")
    act(reviews.decide, "sponsor", "CRM-1", "go")
    act(reviews.submit_gate, "pm", "CRM-1")
    act(reviews.decide, "sponsor", "CRM-1", "go")
    waiting = status("CRM-1").line("criterion:programme_in_execution")
    assert not waiting.status.ok
    assert "have not all reached execution" in waiting.reason

    for _ in range(2):
        act(reviews.submit_gate, "pm", "CRM-2")
        act(reviews.decide, "sponsor", "CRM-2", "go")

    assert status("CRM-1").line("criterion:programme_in_execution").status.ok


def test_the_trail_names_who_created_the_programme(programmed, read):
    created = [e for e in read(audit_events) if e.action == "programme.created"]

    assert [(e.actor, e.data) for e in created] == [
        ("pmo", {"programme": "CRM", "name": "Customer platform", "sponsor": "deputy"})
    ]


def test_the_programmes_report_lists_memberships_and_the_re_tiers_they_caused(split, read):
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)

    found = read(lambda uow: compliance.report(uow, "programmes", since, until))

    actions = [(row[3], row[4]) for row in found.rows]
    assert actions == [
        ("programme.created", None),
        ("programme.project_added", "CRM-1"),
        ("programme.project_added", "CRM-2"),
        ("project.retiered", "CRM-2"),
        ("project.retiered", "CRM-1"),
    ]


def test_the_as_of_view_shows_the_programme_the_project_was_in_then(split, read, clock):
    def seen(moment):
        return read(lambda uow: project_as_of(uow, actor_of(uow, "auditor"), "CRM-1", moment))

    added = select(AuditEvent.at).where(AuditEvent.action == "programme.project_added")
    joined = read(lambda uow: uow.session.execute(added.order_by(AuditEvent.seq)).scalar())

    assert seen(joined).programme == "CRM"
    assert seen(joined - timedelta(seconds=1)).programme is None


def test_the_batch_reader_reads_every_programmes_totals_in_one_statement(
    split, register, act, read, test_connection
):
    def read_batch(uow):
        batch = select(Project.id).where(Project.key.like("CRM-%"))
        found = uow.session.execute(select(Project).where(Project.id.in_(batch)))
        projects_ = list(found.unique().scalars())
        statements = []
        count = lambda *_: statements.append(1)  # noqa: E731
        event.listen(test_connection, "before_cursor_execute", count)
        try:
            inputs = gate_inputs(uow, projects_, batch)
        finally:
            event.remove(test_connection, "before_cursor_execute", count)
        values = {inputs[p.id].project.key: inputs[p.id].state.programme for p in projects_}
        return len(statements), values

    two, values = read(read_batch)
    assert values["CRM-1"]["total_budget"] == 1_200_000.0
    assert values["CRM-1"]["projects"] == 2
    for key in ("CRM-3", "CRM-4"):
        act(programmes.add_project, "pmo", "CRM", register(key, "150000.50"), "Growing")

    four, values = read(read_batch)

    assert four == two, "the same statements whatever the batch's size"
    assert values["CRM-4"]["total_budget"] == 1_500_001.0
