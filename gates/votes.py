"""A panel's vote on a gate: who may vote, and whether the votes carry a go.

A gate with `vote: {panel: gatekeeper, needs: majority}` is decided by its deciders as any
gate is, but a go (or conditional go) needs enough of the panel for it: the active holders of
the panel role on the project when the gate is decided, each voting once a round. Stopping a
project (recycle, hold, kill) needs no vote. Pure: the panel and the ballots are given.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from gates.model import APPROVING, Ballot, Person
from gates.refusals import Refusal
from policies.model import Decision, Gate, PanelVote, Policy


@dataclass(frozen=True, slots=True)
class Tally:
    """The panel's votes on a round as they stand: for a go, against it, not yet cast."""

    panel: frozenset[str]
    for_go: frozenset[str]
    against: frozenset[str]
    needed: int

    @property
    def carried(self) -> bool:
        """True when enough of the panel voted for a go."""
        return len(self.for_go) >= self.needed and self.needed > 0

    @property
    def waiting_for(self) -> frozenset[str]:
        """The panel members who have not voted."""
        return self.panel - self.for_go - self.against


def needed(vote: PanelVote, panel_size: int) -> int:
    """Votes for a go that `vote` needs from a panel of `panel_size`: more than half, all, or
    the number the policy names (0 when the panel is empty: nothing can carry)."""
    if panel_size == 0:
        return 0
    if vote.needs == "majority":
        return panel_size // 2 + 1
    if vote.needs == "unanimous":
        return panel_size
    return int(vote.needs)


def tally(vote: PanelVote, panel: Collection[str], ballots: Sequence[Ballot]) -> Tally:
    """The votes of the panel's members (a ballot of someone no longer on the panel does not
    count)."""
    members = frozenset(panel)
    counted = [b for b in ballots if b.voter in members]
    return Tally(
        members,
        frozenset(b.voter for b in counted if b.decision in APPROVING),
        frozenset(b.voter for b in counted if b.decision not in APPROVING),
        needed(vote, len(members)),
    )


def vote_refusals(policy: Policy, gate: Gate, decision: Decision, counted: Tally) -> list[Refusal]:
    """Why the votes do not allow `decision` at `gate`: a go the panel did not carry."""
    if gate.vote is None or decision not in APPROVING or counted.carried:
        return []
    title = policy.role_title(gate.vote.panel)
    if not counted.panel:
        text = (
            f"A go at {gate.name} needs a vote of the {title} panel; nobody holds that role here."
        )
    else:
        text = (
            f"A go at {gate.name} needs {counted.needed} of the {len(counted.panel)} members of "
            f"the {title} panel to vote for it; {len(counted.for_go)} did."
        )
    return [Refusal("decide.vote", "decision", text)]


def voter_refusals(
    policy: Policy, gate: Gate, person: Person, cast: Sequence[Ballot], decision: Decision
) -> list[Refusal]:
    """Why `person` may not vote `decision` on the round now: the gate takes no vote, they
    are not on its panel, they voted already, or the gate does not allow that decision."""
    if gate.vote is None:
        text = f"{gate.name} is decided without a vote."
        return [Refusal("vote.no_panel", None, text)]
    refusals = []
    if gate.vote.panel not in person.roles or not person.active:
        title = policy.role_title(gate.vote.panel)
        refusals.append(Refusal("role.vote", None, f"Only the {title} panel votes at {gate.name}."))
    if any(b.voter == person.username for b in cast):
        text = "You have already voted on this review round."
        refusals.append(Refusal("vote.once_per_round", None, text))
    if decision not in gate.decisions:
        text = f"{decision.label.capitalize()} is not a decision {gate.name} allows."
        refusals.append(Refusal("vote.not_allowed", "decision", text))
    return refusals
