"""Four-eyes publication: one PMO member proposes a policy version, another approves it."""

from __future__ import annotations

from tests.integration.factories import policy_source
from workflows.errors import InvalidInput, Refused
from workflows.verbs import proposals, publishing


def propose_v2(act, who="pmo"):
    return act(proposals.propose, who, policy_source("standard", 4), "standard-v2.yaml")


def test_a_proposal_is_not_published_until_approved(act, read, events, head):
    start = head()

    row = propose_v2(act)

    assert read(lambda uow: publishing.latest(uow, "standard").version) == 3
    [event] = events(after=start)
    assert (event.action, event.actor, event.data["policy"]) == (
        "policy.proposed",
        "pmo",
        "standard@4",
    )
    assert read(lambda uow: [p.id for p in proposals.proposals(uow)]) == [row.id]


def test_another_pmo_member_approves_and_so_publishes_it(act, read, events, head):
    row = propose_v2(act)
    start = head()

    published = act(proposals.approve, "pmo2", row.id)

    assert (published.ref, published.published_by, published.approved_by) == (
        "standard@4",
        "pmo",
        "pmo2",
    )
    assert read(lambda uow: proposals.proposal(uow, row.id).status) == "approved"
    [event] = events(after=start)
    assert (event.action, event.data["approved_by"], event.data["proposal"]) == (
        "policy.published",
        "pmo2",
        row.id,
    )


def test_the_proposer_never_approves_their_own_proposal(act, refuses):
    row = propose_v2(act)

    error = refuses(Refused, proposals.approve, "pmo", row.id)

    assert error.reasons == [
        "Nobody may approve the policy version they proposed: another PMO member must."
    ]


def test_an_admin_may_not_approve_while_another_pmo_member_could(act, refuses):
    row = propose_v2(act)

    error = refuses(Refused, proposals.approve, "admin", row.id)

    assert [r.rule for r in error.refusals] == ["role.approve_policy"]


def test_only_the_pmo_proposes_policies(refuses):
    error = refuses(
        Refused, proposals.propose, "pm", policy_source("standard", 4), "standard-v2.yaml"
    )

    assert error.reasons == ["Only the PMO may propose a policy version."]


def test_an_invalid_file_is_refused_with_every_problem(refuses):
    error = refuses(InvalidInput, proposals.propose, "pmo", "id: x\nversion: one\n", "bad.yaml")

    assert "bad.yaml has" in str(error)


def test_a_version_not_newer_than_the_published_one_is_refused(refuses):
    source = policy_source("standard", 1)

    error = refuses(Refused, proposals.propose, "pmo", source, "standard.yaml")

    assert [r.rule for r in error.refusals] == ["publish.not_newer"]


def test_a_version_already_proposed_is_refused(act, refuses):
    row = propose_v2(act)

    error = refuses(
        Refused, proposals.propose, "pmo2", policy_source("standard", 4), "standard-v2.yaml"
    )

    assert error.reasons == [
        f"standard@4 is already proposed (proposal {row.id}): approve, reject or withdraw it first."
    ]


def test_a_rejected_proposal_says_why_and_publishes_nothing(act, read, events, head):
    row = propose_v2(act)
    start = head()

    act(proposals.reject, "pmo2", row.id, "Stakeholder map is missing")

    stored = read(lambda uow: proposals.proposal(uow, row.id))
    assert (stored.status, stored.decided_by, stored.reason) == (
        "rejected",
        "pmo2",
        "Stakeholder map is missing",
    )
    assert read(lambda uow: publishing.latest(uow, "standard").version) == 3
    assert [e.action for e in events(after=start)] == ["policy.rejected"]


def test_a_rejection_needs_a_reason(act, refuses):
    row = propose_v2(act)

    error = refuses(Refused, proposals.reject, "pmo2", row.id, "  ")

    assert error.reasons == ["Give a reason for rejecting the proposal."]


def test_the_proposer_withdraws_their_proposal(act, read, events, head):
    row = propose_v2(act)
    start = head()

    act(proposals.withdraw, "pmo", row.id)

    assert read(lambda uow: proposals.proposal(uow, row.id).status) == "withdrawn"
    assert [e.action for e in events(after=start)] == ["policy.withdrawn"]


def test_only_the_proposer_withdraws(act, refuses):
    row = propose_v2(act)

    error = refuses(Refused, proposals.withdraw, "pmo2", row.id)

    assert error.reasons == [f"Only pmo, who proposed it, may withdraw proposal {row.id}."]


def test_a_decided_proposal_cannot_be_approved_again(act, refuses):
    row = propose_v2(act)
    act(proposals.withdraw, "pmo", row.id)

    error = refuses(Refused, proposals.approve, "pmo2", row.id)

    assert error.reasons == [f"Proposal {row.id} (standard@4) is already withdrawn."]
