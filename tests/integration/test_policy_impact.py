"""A new policy version's impact on the projects in flight, and moving several at once."""

from __future__ import annotations

from policies.loader import check_policy_text
from tests.integration.factories import actor_of, policy_source
from workflows.errors import Refused
from workflows.identity import system
from workflows.state import load_project
from workflows.verbs import migration, publishing
from workflows.views.paging import Cursor

STAKEHOLDER_MAP = (
    "      - id: business_case\n",
    "      - id: stakeholder_map\n"
    "        title: Stakeholder map\n"
    "        kind: file\n"
    "      - id: business_case\n",
)


def version_three() -> str:
    old, new = STAKEHOLDER_MAP
    return policy_source("standard", 4).replace(old, new, 1)


def parsed(source: str):
    policy, problems = check_policy_text(source, "standard-v3.yaml")
    assert policy is not None, problems
    return policy


def test_the_impact_lists_every_in_flight_project_with_what_its_next_gate_gains(
    act, new_project, read
):
    new_project("ERP-1")
    new_project("ERP-2")

    found = act(migration.impact, "pmo", parsed(version_three()))

    assert [i.preview.project_key for i in found] == ["ERP-1", "ERP-2"]
    assert all(i.added == ["Stakeholder map"] and i.dropped == [] for i in found)
    assert all(i.preview.refusals == [] for i in found)
    assert read(lambda uow: load_project(uow, "ERP-1").policy_version.ref) == "standard@3"


def test_a_project_that_cannot_move_now_says_why_in_the_impact(act, new_project, submit_ready):
    key = new_project("ERP-1")
    submit_ready(key)

    [found] = act(migration.impact, "pmo", parsed(version_three()))

    assert found.preview.refusals == [
        "A review is open: decide or withdraw it before moving the project."
    ]


def test_only_the_pmo_sees_a_policys_impact(new_project, refuses):
    new_project("ERP-1")

    error = refuses(Refused, migration.impact, "pm", parsed(version_three()))

    assert error.reasons == ["Only the PMO may move projects between policy versions."]


def test_the_impact_is_read_a_page_at_a_time_by_project_key(act, new_project):
    for key in ("ERP-1", "ERP-2", "ERP-3", "ERP-4", "ERP-5"):
        new_project(key)
    policy = parsed(version_three())

    first = act(migration.impact_page, "pmo", policy, size=2)
    second = act(migration.impact_page, "pmo", policy, Cursor(after=first.page.next), size=2)
    third = act(migration.impact_page, "pmo", policy, Cursor(after=second.page.next), size=2)
    last = act(migration.impact_page, "pmo", policy, Cursor(last=True), size=2)

    keys = [[i.preview.project_key for i in p.page.rows] for p in (first, second, third, last)]
    assert keys == [["ERP-1", "ERP-2"], ["ERP-3", "ERP-4"], ["ERP-5"], ["ERP-4", "ERP-5"]]
    assert first.in_flight == third.in_flight == 5
    assert (first.page.previous, third.page.next, last.page.next) == (None, None, None)


def test_moving_many_moves_each_one_it_can_and_says_why_for_the_others(
    act, new_project, submit_ready, workspace, read, events
):
    new_project("ERP-1")
    blocked = new_project("ERP-2")
    submit_ready(blocked)
    act(publishing.publish, system(), version_three(), "standard-v3.yaml")
    pmo = read(lambda uow: actor_of(uow, "pmo"))

    outcomes = list(
        migration.migrate_each(workspace, pmo, ["ERP-1", "ERP-2", "ERP-1"], 4, "Stakeholder map")
    )

    assert [(o.key, o.ref) for o in outcomes] == [("ERP-1", "standard@4"), ("ERP-2", None)]
    assert "A review is open" in str(outcomes[1].error)
    assert read(lambda uow: load_project(uow, "ERP-2").policy_version.ref) == "standard@3"
    moved = [e for e in events() if e.action == "project.policy_migrated"]
    assert [(e.project, e.data["reason"]) for e in moved] == [("ERP-1", "Stakeholder map")]


def test_the_whole_impact_is_read_page_after_page_in_key_order(act, new_project, workspace, read):
    for key in ("ERP-3", "ERP-1", "ERP-5", "ERP-2", "ERP-4"):
        new_project(key)
    pmo = read(lambda uow: actor_of(uow, "pmo"))

    found = list(migration.each_impact(workspace, pmo, parsed(version_three()), size=2))

    assert [i.preview.project_key for i in found] == ["ERP-1", "ERP-2", "ERP-3", "ERP-4", "ERP-5"]
