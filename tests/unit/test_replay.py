"""The trail's replay (gates.history, gates.replay): the rows events describe, old events and
new, baselines, and how a disagreement is named."""

from __future__ import annotations

from gates.history import ProjectHistory
from gates.replay import BASELINE, Mismatch, Replayed, compare_rows, money_text, project_rows

AT = "2026-03-02T09:00:00Z"
REGISTERED = {
    "name": "ERP",
    "manager": "pm",
    "policy": "standard@2",
    "stage": "initiation",
    "tier": "major",
    "facts": {"budget": "400000"},
    "sponsor": "sponsor",
}


def replayed(*events: tuple[str, str, dict]) -> Replayed:
    trail = Replayed()
    trail.apply("project.registered", "pm", AT, "ERP-1", REGISTERED)
    for action, actor, data in events:
        trail.apply(action, actor, AT, "ERP-1", data)
    return trail


def decided_with(conditions: list[dict]) -> tuple[str, str, dict]:
    return ("review.decided", "sponsor", {
        "gate": "initiation", "round": 1, "decision": "conditional_go", "new_stage": "planning",
        "follow_ups": conditions,
    })  # fmt: skip


SUBMITTED = (
    "review.submitted",
    "pm",
    {"gate": "initiation", "round": 1, "snapshot_digest": "d1", "snapshot": {"artifacts": {}}},
)


def test_a_condition_is_named_by_its_round_and_place_whether_its_event_numbered_it_or_not():
    old = replayed(SUBMITTED, decided_with([{"action": "Fix", "owner": "pm", "due": "2026-04-01"}]))
    new = replayed(
        SUBMITTED,
        decided_with([{"condition": 7, "action": "Fix", "owner": "pm", "due": "2026-04-01"}]),
    )

    [old_key] = project_rows(old.projects["ERP-1"])["follow_ups"]
    [new_key] = project_rows(new.projects["ERP-1"])["follow_ups"]

    assert old_key == new_key == "ERP-1 initiation round 1 condition 1"


def test_a_numbered_condition_is_closed_by_its_number_not_by_a_twin_that_asks_the_same():
    twins = [{"condition": n, "action": "Fix", "owner": "pm", "due": "2026-04-01"} for n in (7, 8)]
    trail = replayed(SUBMITTED, decided_with(twins))

    trail.apply(
        "condition.closed",
        "pm",
        AT,
        "ERP-1",
        {"condition": 8, "gate": "initiation", "what": "Fix", "due": "2026-04-01"},
    )

    assert [c.closed_by for c in trail.projects["ERP-1"].conditions] == [None, "pm"]


def test_a_snapshot_change_that_did_not_record_the_snapshot_leaves_it_unknown_not_stale():
    trail = replayed(SUBMITTED)
    trail.apply(
        "review.snapshot_changed",
        "pm",
        AT,
        "ERP-1",
        {"gate": "initiation", "round": 1, "old_digest": "d1", "new_digest": "d2"},
    )

    [row] = project_rows(trail.projects["ERP-1"])["reviews"].values()

    assert row["snapshot_digest"] == "d2" and "snapshot" not in row


def test_a_change_request_gathers_its_approvals_and_its_applying_changes_the_facts():
    trail = replayed(
        ("change.proposed", "pm", {"change": 3, "changes": {"budget": "40000"}, "reason": "Cut"}),
        ("change.approved", "sponsor", {"change": 3, "role": "sponsor"}),
        ("change.approved", "pmo", {"change": 3, "role": "pmo"}),
        ("change.applied", "pmo", {"change": 3, "changed": {"budget": {"new": "40000"}},
                                   "new_tier": "small"}),
    )  # fmt: skip

    rows = project_rows(trail.projects["ERP-1"])

    assert rows["change_requests"]["#3"]["approvals"] == [["pmo", "pmo"], ["sponsor", "sponsor"]]
    assert rows["change_requests"]["#3"]["status"] == "applied"
    assert rows["projects"]["ERP-1"]["facts"] == {"budget": "40000"}
    assert rows["projects"]["ERP-1"]["tier"] == "small"


def test_a_full_baseline_replaces_what_came_before_and_a_history_survives_its_round_trip():
    trail = replayed(SUBMITTED, decided_with([{"action": "Fix", "owner": "pm", "due": "2026-04"}]))
    held = trail.baseline()

    restarted = Replayed()
    restarted.apply("project.registered", "pm", AT, "OLD-1", REGISTERED)
    restarted.apply(BASELINE, "system", AT, None, held)

    assert set(restarted.projects) == {"ERP-1"}, "the baseline holds every row there was"
    assert restarted.tables() == trail.tables()
    again = ProjectHistory.from_data("ERP-1", held["projects"]["ERP-1"])
    assert again.to_data() == trail.projects["ERP-1"].to_data()


def test_the_first_baseline_sets_stages_and_keeps_what_the_events_said_of_the_rest():
    trail = replayed()

    trail.apply(BASELINE, "system", AT, None, {"stages": {"ERP-1": "on_hold"}, "grants": []})

    assert trail.projects["ERP-1"].stage == "on_hold"
    assert trail.projects["ERP-1"].facts == {"budget": "400000"}


def test_rows_without_events_events_without_rows_and_changed_columns_are_each_named():
    expected = {"#1": {"status": "approved"}, "#2": {"status": "requested"}}
    found = {"#1": {"status": "requested", "note": "not reconciled"}, "#3": {"status": "x"}}

    assert compare_rows("waivers", expected, found) == [
        Mismatch("waivers", "#1", "status", "approved", "requested"),
        Mismatch("waivers", "#2", "(row)", "a row", "(no row)"),
        Mismatch("waivers", "#3", "(row)", "(no event)", "a row"),
    ]


def test_money_is_compared_as_the_tables_keep_it():
    assert money_text("5000") == money_text("5000.00") == "5000.00"
    assert money_text(None) is None
