"""Project verbs: register, update facts, hold, resume, kill."""

from __future__ import annotations

import pytest

from tests.integration.factories import PASSWORD, STANDARD_FACTS, policy_source
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import system
from workflows.state import load_project
from workflows.store.records import SignatureRecord
from workflows.verbs import projects, publishing, reviews

register = projects.register_project

# -- register ----------------------------------------------------------------------------------


def test_a_project_manager_registers_a_project_at_the_first_stage(act, read, events, head):
    start = head()

    act(register, "pm", "ERP-1", "New ERP", "standard", STANDARD_FACTS, sponsor="sponsor")

    project = read(lambda uow: _summary(load_project(uow, "ERP-1")))
    assert project == ("New ERP", "standard@3", "initiation", "large", "pm", "400000")
    [event] = events(after=start)
    assert (event.action, event.actor, event.project) == ("project.registered", "pm", "ERP-1")
    assert (event.data["tier"], event.data["sponsor"]) == ("large", "sponsor")
    assert "budget 400,000 > 250,000" in event.data["tier_reason"]


def test_the_pmo_may_register_a_project_too(act, read):
    act(register, "pmo", "OPS-7", "Ops tooling", "lite", {"budget": "5000", "risk": "low"})

    assert read(lambda uow: load_project(uow, "OPS-7").manager.username) == "pmo"


@pytest.mark.parametrize(
    ("facts", "tier"),
    [
        ({"budget": "1,200,000"}, "major"),
        ({"budget": "300000", "risk": "critical"}, "major"),
        ({"budget": "400000"}, "large"),
        ({"budget": "100000", "risk": "high"}, "large"),
        ({"budget": "60000"}, "medium"),
        ({"budget": "20000", "duration_months": "9"}, "medium"),
        ({"budget": "20000", "duration_months": "3"}, "small"),
    ],
)
def test_registration_computes_the_tier_from_the_facts(act, read, facts, tier):
    act(register, "pm", "ERP-1", "Tiered", "standard", {**STANDARD_FACTS, **facts})

    assert read(lambda uow: load_project(uow, "ERP-1").tier) == tier


def test_a_new_project_is_pinned_to_the_latest_published_policy_version(act, read, new_project):
    old = new_project("ERP-1")
    act(publishing.publish, system(), policy_source("standard", 4), "standard-v2.yaml")
    new = new_project("ERP-2")

    pinned = read(lambda uow: [load_project(uow, k).policy_version.ref for k in (old, new)])
    assert pinned == ["standard@3", "standard@4"]


@pytest.mark.parametrize("key", ["erp-1", "ERP1", "ERP-1234567", "E-1", "ERP-1 "])
def test_a_malformed_key_is_refused_and_changes_nothing(refuses, key):
    error = refuses(InvalidInput, register, "pm", key, "X", "standard", STANDARD_FACTS)

    assert error.problems == {"key": "use a prefix, a dash and a number, e.g. 'ERP-12'"}


def test_a_key_already_registered_is_refused_and_changes_nothing(new_project, refuses):
    new_project("ERP-1")

    error = refuses(InvalidInput, register, "pm2", "ERP-1", "Again", "standard", STANDARD_FACTS)

    assert error.problems == {"key": "'ERP-1' is already registered"}


def test_bad_facts_are_refused_with_every_problem_listed(refuses):
    facts = {**STANDARD_FACTS, "budget": "lots", "risk": "meh", "duration_months": ""}
    facts["budjet"] = "1"

    error = refuses(InvalidInput, register, "pm", "ERP-1", "X", "standard", facts)

    assert set(error.problems) == {"budget", "risk", "duration_months", "budjet"}
    assert "'lots' is not an amount of money" in error.problems["budget"]
    assert "'meh' is not allowed" in error.problems["risk"]
    assert "Planned duration (months) is required" in error.problems["duration_months"]
    assert "did you mean 'budget'" in error.problems["budjet"]


def test_a_bad_key_a_missing_name_and_bad_facts_are_all_reported_at_once(refuses):
    facts = {**STANDARD_FACTS, "budget": "lots"}

    error = refuses(InvalidInput, register, "pm", "bad key", " ", "standard", facts)

    assert set(error.problems) == {"key", "name", "budget"}


def test_an_unknown_policy_is_refused_and_changes_nothing(refuses):
    refuses(
        NotFound,
        register,
        "pm",
        "ERP-1",
        "X",
        "standrd",
        STANDARD_FACTS,
        match="No version of policy 'standrd' is published",
    )


@pytest.mark.parametrize("actor", ["sponsor", "auditor", "admin", "finance"])
def test_only_project_managers_and_the_pmo_may_register(refuses, actor):
    error = refuses(Refused, register, actor, "ERP-1", "X", "standard", STANDARD_FACTS)

    assert error.reasons == ["Only project managers or the PMO may register projects."]


def test_updating_facts_re_tiers_the_project_and_audits_old_and_new(
    act, read, new_project, events, head
):
    key = new_project("ERP-1")
    start = head()

    choice = act(projects.update_facts, "pm", key, {"budget": "1,500,000"}, "Scope doubled")

    assert choice.tier.id == "major"
    project = read(lambda uow: _summary(load_project(uow, key)))
    assert (project[3], project[5]) == ("major", "1500000")
    [event] = events(after=start)
    assert event.action == "project.facts_updated"
    assert event.data["changed"] == {"budget": {"old": "400000", "new": "1500000"}}
    assert (event.data["old_tier"], event.data["new_tier"]) == ("large", "major")
    assert event.data["reason"] == "Scope doubled"


def test_updating_facts_to_the_values_they_have_is_refused(new_project, refuses):
    key = new_project("ERP-1")

    refuses(Refused, projects.update_facts, "pm", key, {"budget": "400000"}, match="Nothing")


def test_updating_facts_with_bad_values_is_refused_listing_each(new_project, refuses):
    key = new_project("ERP-1")
    changes = {"budget": "-5", "risk": "extreme"}

    error = refuses(InvalidInput, projects.update_facts, "pm", key, changes)

    assert set(error.problems) == {"budget", "risk"}
    assert "negative" in error.problems["budget"]


@pytest.mark.parametrize("actor", ["sponsor", "pm2", "auditor"])
def test_only_the_project_manager_or_the_pmo_may_update_facts(new_project, refuses, actor):
    key = new_project("ERP-1")

    refuses(
        Refused,
        projects.update_facts,
        actor,
        key,
        {"budget": "1"},
        match="Only the project manager or the PMO may update facts",
    )


def test_changed_facts_supersede_the_signatures_of_a_submitted_review(
    act, read, new_project, submit_ready, status, events, head
):
    key = new_project("ERP-1")
    submit_ready(key)
    signed = act(reviews.sign, "sponsor", key, "go", PASSWORD)
    assert status(key).line("signoff:sponsor").status.ok
    start = head()

    act(projects.update_facts, "pm", key, {"budget": "450000"})

    assert not status(key).line("signoff:sponsor").status.ok, "the old approval stops counting"
    kept = read(lambda uow: _signature(uow.session.get(SignatureRecord, signed.id)))
    assert kept[:2] == ("go", signed.snapshot_digest), "the approval stays in history"
    assert kept[2] is not None, "and is marked superseded"
    changed = [e for e in events(after=start) if e.action == "review.snapshot_changed"]
    assert [e.data["superseded_signatures"] for e in changed] == [[signed.id]]
    assert changed[0].data["old_digest"] == signed.snapshot_digest


def test_the_sponsor_may_sign_again_once_the_facts_changed(act, new_project, submit_ready, status):
    key = new_project("ERP-1")
    first = submit_ready(key)
    act(reviews.sign, "sponsor", key, "go", PASSWORD)
    act(projects.update_facts, "pm", key, {"budget": "450000"})

    again = act(reviews.sign, "sponsor", key, "go", PASSWORD)

    assert again.snapshot_digest != first.snapshot_digest
    assert status(key).line("signoff:sponsor").status.ok


# -- hold, resume, kill ------------------------------------------------------------------------


def test_a_project_on_hold_resumes_at_the_stage_it_left(
    act, new_project, pass_gate, stage_of, events, head
):
    key = new_project("ERP-1")
    pass_gate(key)
    start = head()

    act(projects.hold, "sponsor", key, "Budget freeze")
    assert stage_of(key) == "on_hold"
    act(projects.resume, "pmo", key, "Budget released")

    assert stage_of(key) == "planning"
    moves = [(e.action, e.data["old_stage"], e.data["new_stage"]) for e in events(after=start)]
    assert moves == [
        ("project.hold", "planning", "on_hold"),
        ("project.resume", "on_hold", "planning"),
    ]


def test_hold_without_a_reason_is_refused(new_project, refuses):
    key = new_project("ERP-1")

    refuses(Refused, projects.hold, "sponsor", key, "  ", match="give a reason")


@pytest.mark.parametrize("actor", ["pm", "finance", "auditor", "outsider"])
def test_only_the_sponsor_or_the_pmo_may_hold_a_project(new_project, refuses, actor):
    key = new_project("ERP-1")

    refuses(Refused, projects.hold, actor, key, "Why", match="Only the sponsor or the PMO")


def test_resuming_a_project_that_is_not_on_hold_is_refused(new_project, refuses):
    key = new_project("ERP-1")

    refuses(Refused, projects.resume, "sponsor", key, "Go on", match="is not on hold")


def test_a_killed_project_can_never_move_again(act, new_project, stage_of, refuses):
    key = new_project("ERP-1")
    act(projects.hold, "sponsor", key, "Pause")
    act(projects.kill, "sponsor", key, "Business case gone")
    assert stage_of(key) == "killed"

    refuses(Refused, projects.resume, "pmo", key, "Revive", match="not on hold")
    refuses(Refused, projects.hold, "pmo", key, "Pause", match="killed")
    refuses(Refused, projects.kill, "pmo", key, "Again", match="killed")
    refuses(Refused, reviews.submit_gate, "pm", key, match="no gate follows this stage")
    assert stage_of(key) == "killed"


def _summary(project):
    return (
        project.name,
        project.policy_version.ref,
        project.stage,
        project.tier,
        project.manager.username,
        project.facts["budget"],
    )


def _signature(record):
    return (record.decision, record.snapshot_digest, record.superseded_at)
