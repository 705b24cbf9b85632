"""Segregation of duties, in the one authority function: the ways around the policy that
worked before, each refused with its rule, nothing changed, and the refusal audited (the
`refuses` fixture checks the last two for every case)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.conftest import grant_on_project
from tests.integration.factories import FACTS, PASSWORD, policy_source
from workflows.errors import Refused
from workflows.identity import system
from workflows.state import load_project
from workflows.verbs import projects, publishing, reviews, users, waivers
from workflows.views.users import grant_conflicts

PM_AND_SPONSOR = (
    "pm may not be both project manager and sponsor on one project: the policy makes these "
    "roles incompatible."
)


def rules(error: Refused) -> list[str]:
    return [r.rule for r in error.refusals]


def test_a_project_manager_cannot_register_a_project_naming_themselves_its_sponsor(refuses):
    error = refuses(
        Refused,
        projects.register_project,
        "pm",
        "ERP-1",
        "Self-sponsored",
        "standard",
        FACTS["standard"],
        sponsor="pm",
    )

    assert (rules(error), error.reasons) == (["sod.incompatible_roles"], [PM_AND_SPONSOR])


def test_the_manager_of_a_project_is_never_granted_its_sponsor_role(new_project, refuses):
    key = new_project("ERP-1")

    error = refuses(Refused, grant_on_project, "admin", "pm", "sponsor", key)

    assert (rules(error), error.reasons) == (["sod.incompatible_roles"], [PM_AND_SPONSOR])


def test_nobody_grants_a_role_to_themselves_not_even_an_admin(new_project, refuses):
    key = new_project("ERP-1")

    on_project = refuses(Refused, grant_on_project, "admin", "admin", "sponsor", key)
    globally = refuses(Refused, users.grant_role, "admin", "admin", "pmo")

    assert rules(on_project) == rules(globally) == ["sod.self_grant"]
    assert globally.reasons == ["Nobody may grant a role to themselves: ask another admin."]


def test_a_pmo_member_cannot_decide_a_review_they_submitted(
    act, new_project, provide_evidence, collect_signatures, refuses, stage_of
):
    key = new_project("ERP-1")
    provide_evidence(key)
    act(reviews.submit_gate, "pmo", key)
    collect_signatures(key, skip=("pmo",))
    act(reviews.sign, "pmo2", key, "go", PASSWORD, role="pmo")

    error = refuses(Refused, reviews.decide, "pmo", key, "go")

    assert rules(error) == ["sod.submitter_decides"]
    act(reviews.decide, "sponsor", key, "go")
    assert stage_of(key) == "planning", "someone independent decides it"


def test_nobody_approves_or_decides_on_evidence_they_attached(
    act, new_project, provide_evidence, collect_signatures, refuses
):
    key = new_project("ERP-1")
    provide_evidence(key, skip=("business_case",))
    provide_evidence(key, actor="pmo2")  # the PMO attaches the business case
    act(reviews.submit_gate, "pm", key)

    signing = refuses(Refused, reviews.sign, "pmo2", key, "go", PASSWORD, role="pmo")
    collect_signatures(key, skip=("pmo",))
    act(reviews.sign, "pmo", key, "go", PASSWORD, role="pmo")
    deciding = refuses(Refused, reviews.decide, "pmo2", key, "go")

    assert rules(signing) == ["sod.attacher_signs"]
    assert signing.reasons == ["Nobody may approve evidence they attached."]
    assert rules(deciding) == ["sod.attacher_decides"]


def test_the_project_manager_cannot_decide_or_kill_through_another_role(
    act, new_project, provide_evidence, refuses
):
    key = new_project("ERP-1")
    provide_evidence(key, actor="pmo")
    act(reviews.submit_gate, "pmo2", key)
    act(users.grant_role, "admin", "pm", "pmo")  # the manager is also in the PMO

    deciding = refuses(Refused, reviews.decide, "pm", key, "go")
    killing = refuses(Refused, projects.kill, "pm", key, "Cancelled")

    assert rules(deciding) == ["sod.manager_decides"]
    assert rules(killing) == ["sod.manager_kills"]


def test_a_pmo_member_cannot_waive_requirements_of_a_project_they_manage(
    act, new_project, refuses, clock
):
    key = new_project("ERP-1", actor="pm")
    act(users.grant_role, "admin", "pm", "pmo")
    asked = act(
        waivers.request_waiver, "pmo2", key, "artifact:business_case", "Regulatory mandate",
        clock.now + timedelta(days=30),
    )  # fmt: skip

    error = refuses(Refused, waivers.approve_waiver, "pm", asked.id)

    assert rules(error)[0] == "sod.manager_waives"
    assert error.reasons[0] == "The project manager may not waive their own project's requirements."


def test_signing_refuses_someone_holding_two_incompatible_roles_granted_before_the_rule(
    act, new_project, provide_evidence, refuses, workspace
):
    key = new_project("ERP-1")
    provide_evidence(key)
    act(reviews.submit_gate, "pm", key)
    # The sponsor made the project's manager behind the rule's back (as an old database, or a
    # change made before the rule existed, may hold it): they now hold both roles.
    with workspace.unit_of_work() as uow:
        project = load_project(uow, key)
        project.manager_id = users.find_user(uow, "sponsor").id
        uow.commit()

    error = refuses(Refused, reviews.sign, "sponsor", key, "go", PASSWORD, role="sponsor")

    assert "sod.incompatible_roles" in rules(error)
    assert "sod.manager_signs" in rules(error)


def test_grants_that_already_break_a_rule_are_listed_not_revoked(new_project, workspace, read):
    key = new_project("ERP-1")
    # Given before the rules existed (written as an old database holds them): the manager
    # also sponsors, and an admin granted themselves a role.
    with workspace.unit_of_work() as uow:
        from workflows.store.records import RoleGrant

        project = load_project(uow, key)
        for username, role, on in (("pm", "sponsor", project.id), ("admin", "pmo", None)):
            user = users.find_user(uow, username)
            uow.session.add(
                RoleGrant(user_id=user.id, role=role, project_id=on, granted_by=username,
                          granted_at=uow.now, revoked_at=None)
            )  # fmt: skip
        uow.commit()

    found = read(grant_conflicts)

    assert [(c.username, c.project_key, c.rule) for c in found] == [
        ("pm", key, "sod.incompatible_roles"),
        ("admin", None, "sod.self_grant"),
        ("pm", key, "sod.self_grant"),
    ]
    assert found[0].roles == ("project_manager", "sponsor")
    assert read(lambda uow: users.find_user(uow, "pm").active), "nothing was revoked"


PLANNING_PMO = (
    "    signoffs:\n      - role: sponsor\n      - role: pmo\n      - role: architecture\n"
)
DISTINCT_PMO = PLANNING_PMO.replace(
    "role: pmo\n", "role: pmo\n        distinct_from_previous_gate: true\n"
)


@pytest.fixture
def distinct_planning_pmo(act):
    """Standard version 3, whose planning gate needs a PMO sign-off from someone who did not
    sign the initiation gate."""
    source = policy_source("standard", 4)
    assert source.count(PLANNING_PMO) == 1
    act(publishing.publish, system(), source.replace(PLANNING_PMO, DISTINCT_PMO), "standard.yaml")


def test_whoever_signed_the_previous_gate_may_not_sign_a_sign_off_that_must_be_distinct(
    distinct_planning_pmo, act, new_project, pass_gate, submit_ready, refuses, status
):
    key = new_project("ERP-1")
    pass_gate(key)  # the PMO's seeded approver, pmo, signs the initiation gate
    submit_ready(key)

    error = refuses(Refused, reviews.sign, "pmo", key, "go", PASSWORD, role="pmo")

    assert rules(error) == ["sod.previous_gate_signer"]
    assert error.reasons == [
        "pmo signed the previous gate: this sign-off must come from someone else "
        "(distinct_from_previous_gate)."
    ]
    act(reviews.sign, "pmo2", key, "go", PASSWORD, role="pmo")
    [pmo] = [line for line in status(key).lines if line.requirement.key == "signoff:pmo"]
    assert pmo.status.ok, "another PMO member signs it"
