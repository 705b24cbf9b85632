"""Who may approve, reject or withdraw a change request, with its segregation of duties.

Every approver role of the policy (`change_control.approvers`, by default sponsor and PMO)
approves once; the change is applied when all have. Nobody approves a change they proposed
or a change to a project they manage, and nobody approves one request twice (even holding
two approver roles); the PMO is not exempt. Pure: gates.authority gathers these answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from gates.model import Person
from gates.refusals import Refusal


class ChangeStatus(StrEnum):
    """Where a change request stands: open until applied, rejected or withdrawn."""

    OPEN = "open"
    APPLIED = "applied"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ChangeRound:
    """A change request as the rules read it: its number, status, proposer, the roles that
    must approve it and who approved as each role so far."""

    number: int
    status: ChangeStatus
    proposer: str
    approvers: tuple[str, ...]
    approvals: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """The approver roles that have not approved yet."""
        return tuple(r for r in self.approvers if r not in self.approvals)

    @property
    def complete(self) -> bool:
        """True when every approver role has approved."""
        return not self.waiting_for


def _one(role: str) -> str:
    return "the PMO" if role == "pmo" else f"the {role.replace('_', ' ')}"


def _words(roles: tuple[str, ...]) -> str:
    named = [_one(r) for r in roles]
    return " or ".join(named) if len(named) < 3 else ", ".join(named[:-1]) + " or " + named[-1]


def not_open(change: ChangeRound) -> list[Refusal]:
    """A closed request is not acted on any more."""
    if change.status is ChangeStatus.OPEN:
        return []
    text = f"Change request {change.number} is {change.status.value}: it is closed."
    return [Refusal("change.not_open", None, text)]


def approver_duties(person: Person, change: ChangeRound) -> list[Refusal]:
    """Why `person` may not approve `change` whatever role they hold: empty when they may."""
    refusals = []
    if person.username == change.proposer:
        text = "Nobody may approve a change they proposed."
        refusals.append(Refusal("sod.proposer_approves_change", None, text))
    if person.manages:
        text = "The project manager may not approve a change to their own project."
        refusals.append(Refusal("sod.manager_approves_change", None, text))
    if person.username in change.approvals.values():
        text = f"{person.username} has already approved change request {change.number}."
        refusals.append(Refusal("sod.approves_change_twice", None, text))
    return refusals


def approving_role(
    person: Person, change: ChangeRound, role: str | None = None
) -> tuple[str | None, list[Refusal]]:
    """The approver role `person` approves `change` as (`role`, or the first they hold that
    has not approved yet), and every refusal (none when they may)."""
    held = tuple(r for r in change.approvers if r in person.roles and person.active)
    if not held or (role is not None and role not in held):
        text = f"Only {_words(change.approvers)} may approve a change request."
        return None, [Refusal("role.approve_change", "role", text)]
    open_roles = [r for r in held if r in change.waiting_for and (role is None or r == role)]
    if not open_roles:
        done = role or held[0]
        who = _one(done)
        text = f"{who[0].upper()}{who[1:]} has already approved change request {change.number}."
        return None, [Refusal("change.role_already_approved", "role", text)]
    return open_roles[0], []


def rejecter_refusals(person: Person, change: ChangeRound) -> list[Refusal]:
    """Why `person` may not reject `change`: only an approver role rejects, and the proposer
    withdraws instead."""
    if person.username == change.proposer:
        text = "Nobody rejects a change they proposed: withdraw it instead."
        return [Refusal("change.proposer_rejects", None, text)]
    if not any(r in person.roles for r in change.approvers) or not person.active:
        text = f"Only {_words(change.approvers)} may reject a change request."
        return [Refusal("role.reject_change", None, text)]
    return []


def withdrawer_refusals(person: Person, change: ChangeRound) -> list[Refusal]:
    """Only the proposer withdraws a change request."""
    if person.username == change.proposer and person.active:
        return []
    text = f"Only {change.proposer}, who proposed it, may withdraw change request {change.number}."
    return [Refusal("change.withdraw_not_proposer", None, text)]
