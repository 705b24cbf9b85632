"""A panel's vote (gates.votes): how many votes a go needs, whose count, and who may vote."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from gates.model import Ballot, Person
from gates.votes import needed, tally, vote_refusals, voter_refusals
from policies import Decision
from policies.model import PanelVote
from tests.unit.gate_fixtures import standard

GO, RECYCLE, KILL = Decision.GO, Decision.RECYCLE, Decision.KILL


@pytest.mark.parametrize(
    ("needs", "panel", "votes"),
    [
        ("majority", 1, 1), ("majority", 2, 2), ("majority", 3, 2), ("majority", 4, 3),
        ("majority", 5, 3), ("unanimous", 1, 1), ("unanimous", 4, 4), (2, 5, 2), (3, 3, 3),
        ("majority", 0, 0), ("unanimous", 0, 0), (2, 0, 0),
    ],
)  # fmt: skip
def test_a_go_needs_more_than_half_all_or_the_number_named(needs, panel, votes) -> None:
    assert needed(PanelVote("gatekeeper", needs), panel) == votes


def test_only_the_panels_votes_for_a_go_count_and_an_empty_panel_carries_nothing() -> None:
    vote = PanelVote("gatekeeper")
    ballots = [Ballot("ann", GO), Ballot("bob", Decision.CONDITIONAL_GO), Ballot("cy", KILL),
               Ballot("gone", GO)]  # fmt: skip

    counted = tally(vote, {"ann", "bob", "cy", "dee"}, ballots)

    assert counted.for_go == {"ann", "bob"} and counted.against == {"cy"}
    assert counted.waiting_for == {"dee"}
    assert (counted.needed, counted.carried) == (3, False)
    assert tally(vote, {"ann", "bob", "cy"}, ballots).carried
    assert not tally(vote, set(), ballots).carried


def voted(needs: str | int = "majority"):
    policy = standard()
    gate = replace(policy.gates[0], vote=PanelVote("finance", needs))
    return policy, gate


def test_a_go_the_panel_did_not_carry_is_refused_and_stopping_never_is() -> None:
    policy, gate = voted()
    short = tally(gate.vote, {"ann", "bob", "cy"}, [Ballot("ann", GO)])

    [refusal] = vote_refusals(policy, gate, GO, short)

    assert (refusal.rule, refusal.field) == ("decide.vote", "decision")
    assert "needs 2 of the 3 members" in refusal.text and "1 did" in refusal.text
    assert vote_refusals(policy, gate, RECYCLE, short) == []
    assert vote_refusals(policy, gate, KILL, short) == []
    assert vote_refusals(policy, replace(gate, vote=None), GO, short) == []


def person(username: str, *roles: str, active: bool = True) -> Person:
    return Person(username, active, frozenset(), frozenset(roles), False, MappingProxyType({}))


def test_only_an_active_panel_member_votes_once_a_round_a_decision_the_gate_allows() -> None:
    policy, gate = voted()
    gate = replace(gate, decisions=(GO, RECYCLE))
    cast = [Ballot("fay", GO)]

    def rules(who: Person, decision: Decision = GO) -> list[str]:
        return [r.rule for r in voter_refusals(policy, gate, who, cast, decision)]

    assert rules(person("ann", "finance")) == []
    assert rules(person("sam", "sponsor")) == ["role.vote"]
    assert rules(person("ann", "finance", active=False)) == ["role.vote"]
    assert rules(person("fay", "finance")) == ["vote.once_per_round"]
    assert rules(person("ann", "finance"), KILL) == ["vote.not_allowed"]
    assert [
        r.rule for r in voter_refusals(policy, replace(gate, vote=None), person("ann"), [], GO)
    ] == ["vote.no_panel"]
