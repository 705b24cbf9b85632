"""Segregation of duties as pure rules (gates.duties): what disqualifies a person from
approving, deciding, waiving or granting, whatever roles they hold."""

from __future__ import annotations

from datetime import UTC, datetime

from gates.duties import (
    attachers,
    decider_refusals,
    manager_kills,
    manager_waives,
    requester_approves_waiver,
    role_conflicts,
    self_grant,
)
from gates.model import PMO, Evidence, Person, ProjectState

AT = datetime(2026, 5, 1, tzinfo=UTC)
STATE = ProjectState(
    facts={},
    tier="small",
    evidence={
        "charter": Evidence("charter", 1, "d1", AT, "ann"),
        "plan": Evidence("plan", 2, "d2", AT, ""),
    },
    snapshot_digest="abc",
    submitter="sub",
    project_manager="pat",
)
PAIRS = (frozenset({"project_manager", "sponsor"}),)


def rules(refusals) -> list[str]:
    return [r.rule for r in refusals]


def test_the_attachers_are_the_people_who_attached_the_current_evidence():
    assert attachers(STATE) == {"ann"}


def test_nobody_decides_what_they_submitted_manage_or_attached_the_pmo_included():
    pmo = frozenset({PMO})

    assert rules(decider_refusals(Person("sub", global_roles=pmo), STATE)) == [
        "sod.submitter_decides"
    ]
    assert rules(decider_refusals(Person("pat", global_roles=pmo), STATE)) == [
        "sod.manager_decides"
    ]
    assert rules(decider_refusals(Person("ann", global_roles=pmo), STATE)) == [
        "sod.attacher_decides"
    ]
    assert decider_refusals(Person("sam", global_roles=pmo), STATE) == []


def test_a_pair_of_incompatible_roles_is_refused_once_with_both_roles_named():
    [refusal] = role_conflicts("pat", {"project_manager", "sponsor", "finance"}, PAIRS)

    assert (refusal.rule, refusal.field) == ("sod.incompatible_roles", "role")
    assert refusal.text.startswith("pat may not be both project manager and sponsor")
    assert role_conflicts("pat", {"project_manager", "finance"}, PAIRS) == []
    assert role_conflicts("pat", {"project_manager", "sponsor"}, ()) == [], "a policy may allow it"


def test_nobody_grants_to_themselves():
    assert rules(self_grant("admin", "admin")) == ["sod.self_grant"]
    assert self_grant("admin", "pat") == []


def test_a_manager_neither_waives_nor_kills_their_own_project_whatever_else_they_hold():
    manager = Person("pat", global_roles=frozenset({PMO}), manages=True)
    pmo = Person("pia", global_roles=frozenset({PMO}))

    assert rules(manager_waives(manager)) == ["sod.manager_waives"]
    assert rules(manager_kills(manager)) == ["sod.manager_kills"]
    assert manager_waives(pmo) == manager_kills(pmo) == []


def test_nobody_decides_a_waiver_they_requested_not_even_the_pmo():
    pmo = Person("pia", global_roles=frozenset({PMO}))

    assert rules(requester_approves_waiver(pmo, "pia")) == ["sod.requester_approves_waiver"]
    assert requester_approves_waiver(pmo, "pat") == []


def test_the_moves_offered_follow_the_stage_and_the_permission():
    from gates.authority import authority

    sponsor = authority(Person("sam", project_roles=frozenset({"sponsor"})), "ERP-1")
    manager = authority(Person("pat", global_roles=frozenset({PMO}), manages=True), "ERP-1")

    assert sponsor.moves("planning", "closed") == ("hold", "kill")
    assert sponsor.moves("on_hold", "closed") == ("resume", "kill")
    assert sponsor.moves("closed", "closed") == sponsor.moves("killed", "closed") == ()
    assert manager.moves("planning", "closed") == ("hold",), "never a kill to the manager"
