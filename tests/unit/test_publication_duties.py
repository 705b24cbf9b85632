"""Four-eyes publication: who may approve a proposed policy version (gates.duties)."""

from __future__ import annotations

import pytest

from gates.duties import only_one_pmo_member, proposal_approver_refusals


def rules(approver: str, *, is_pmo: bool = False, is_admin: bool = False, pmo=("ana", "bo")):
    refusals = proposal_approver_refusals(
        approver, "ana", is_pmo=is_pmo, is_admin=is_admin, active_pmo=pmo
    )
    return [r.rule for r in refusals]


@pytest.mark.parametrize(
    ("active_pmo", "expected"),
    [((), True), (("ana",), True), (("ana", "ana"), True), (("ana", "bo"), False)],
)
def test_the_pmo_has_only_one_member_when_it_has_at_most_one_distinct_active_member(
    active_pmo, expected
):
    assert only_one_pmo_member(active_pmo) is expected


def test_another_pmo_member_may_approve_a_proposal():
    assert rules("bo", is_pmo=True) == []


def test_the_proposer_never_approves_their_own_proposal_even_as_pmo():
    assert rules("ana", is_pmo=True) == ["sod.proposer_publishes"]


def test_the_proposer_never_approves_their_own_proposal_even_as_the_only_pmo_admin():
    assert rules("ana", is_pmo=True, is_admin=True, pmo=("ana",)) == ["sod.proposer_publishes"]


def test_an_admin_may_approve_where_the_pmo_has_one_active_member():
    assert rules("root", is_admin=True, pmo=("ana",)) == []


def test_an_admin_may_not_approve_where_another_pmo_member_could():
    assert rules("root", is_admin=True) == ["role.approve_policy"]


def test_someone_outside_the_pmo_never_approves():
    assert rules("pm", pmo=("ana",)) == ["role.approve_policy"]
