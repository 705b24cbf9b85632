"""Two PMO members approving one proposal at the same moment publish it exactly once: the
proposal row is locked, so the second approval finds it approved and is refused in words
(without the lock, it would reach the unique constraint of policy_versions instead)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import audit_events
from tests.integration.factories import PASSWORD, policy_source, read_in, run_in
from tests.integration.test_concurrent_verbs import race, trail_is_intact
from workflows.errors import Refused
from workflows.store.records import PolicyVersion
from workflows.verbs import password_links, proposals, users

ROUNDS = 5


@pytest.fixture(scope="module")
def third_pmo_member(desks):
    prepare = desks[0]
    run_in(prepare, users.add_user, "admin", "pmo3", "Petra PMO", roles=("pmo",))
    link = run_in(prepare, password_links.issue_link, "admin", "pmo3", password_links.ENROLL)
    with prepare.unit_of_work() as uow:
        password_links.use_link(uow, link.token, PASSWORD)
        uow.commit()
    return "pmo3"


def published_events(workspace, ref):
    trail = read_in(workspace, audit_events)
    return sum(1 for e in trail if e.action == "policy.published" and e.data["policy"] == ref)


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_two_pmo_members_approving_one_proposal_at_once_publish_it_exactly_once(
    desks, third_pmo_member, round_
):
    prepare, first, second = desks
    number = round_ + 3
    source = policy_source("standard", number)
    proposal = run_in(prepare, proposals.propose, "pmo", source, f"standard-v{number}.yaml")

    outcomes = race(
        [lambda: run_in(first, proposals.approve, "pmo2", proposal.id)],
        [lambda: run_in(second, proposals.approve, third_pmo_member, proposal.id)],
    )

    results = [steps[0] for steps in outcomes]
    won = [r for r in results if isinstance(r, PolicyVersion)]
    lost = [r for r in results if not isinstance(r, PolicyVersion)]
    assert len(won) == 1, results
    assert len(lost) == 1 and isinstance(lost[0], Refused), results
    assert lost[0].reasons == [f"Proposal {proposal.id} (standard@{number}) is already approved."]
    count = select(func.count()).where(
        PolicyVersion.policy_id == "standard", PolicyVersion.version == number
    )
    assert read_in(prepare, lambda uow: uow.session.execute(count).scalar()) == 1
    assert published_events(prepare, f"standard@{number}") == 1
    assert trail_is_intact(prepare)
