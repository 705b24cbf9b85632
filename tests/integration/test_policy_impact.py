"""A new policy version's impact on the projects in flight, and moving several at once."""

from __future__ import annotations

from policies.loader import check_policy_text
from tests.integration.factories import policy_source
from workflows.errors import Refused
from workflows.state import load_project
from workflows.verbs import migration

STAKEHOLDER_MAP = (
    "      - id: business_case\n",
    "      - id: stakeholder_map\n"
    "        title: Stakeholder map\n"
    "        kind: file\n"
    "      - id: business_case\n",
)


def version_three() -> str:
    old, new = STAKEHOLDER_MAP
    return policy_source("standard", 3).replace(old, new, 1)


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
    assert read(lambda uow: load_project(uow, "ERP-1").policy_version.ref) == "standard@2"


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
