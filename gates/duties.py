"""Segregation of duties: who may not approve, decide or waive because of what they did or
hold on the project. Pure rules, asked by gates.authority and gates.signoffs; the PMO is not
exempt from any of them.

- Nobody approves or decides a gate they submitted, on a project they manage, or on
  evidence they attached (for signing, a policy relaxes this per sign-off, explicitly, with
  `independent_of`).
- Where a sign-off says `distinct_from_previous_gate`, nobody who signed (or was signed for)
  on the review that passed the previous gate signs it.
- Nobody holds on one project two roles the policy makes incompatible (`incompatible_roles`,
  by default managing and sponsoring it): checked when granting and when signing.
- Nobody grants a role to themselves.
- Nobody decides a waiver they requested, and the project manager decides none on their
  project.
- Nobody approves the policy version they proposed: another PMO member does, or an admin
  where the PMO has only one active member.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from gates.model import Person, ProjectState
from gates.refusals import Refusal
from policies.model import (
    DEFAULT_INCOMPATIBLE,
    DEFAULT_INDEPENDENCE,
    MANAGER_ROLE,
    Policy,
    Signoff,
)


def attachers(state: ProjectState) -> frozenset[str]:
    """Who attached the evidence versions the round is bound to."""
    return frozenset(e.attached_by for e in state.evidence.values() if e.attached_by)


def decider_refusals(person: Person, state: ProjectState, doing: str = "decide") -> list[Refusal]:
    """Why `person` may not decide this round (or, `doing` "vote on", vote on it): they
    submitted it, manage the project, or attached its evidence. Empty when they may."""
    who = person.username
    refusals = []
    if who == state.submitter:
        text = f"Nobody may {doing} a gate they submitted."
        refusals.append(Refusal("sod.submitter_decides", None, text))
    if who == state.project_manager or person.manages:
        text = f"The project manager may not {doing} their own project's gate."
        refusals.append(Refusal("sod.manager_decides", None, text))
    if who in attachers(state):
        text = f"Nobody may {doing} a gate on evidence they attached."
        refusals.append(Refusal("sod.attacher_decides", None, text))
    return refusals


def previous_gate_signer(
    state: ProjectState, signoff: Signoff, people: Collection[str | None]
) -> list[Refusal]:
    """Nobody who signed the previous gate's passing review signs a sign-off that must be
    `distinct_from_previous_gate`, in person or through a delegate."""
    if not signoff.distinct_from_previous_gate:
        return []
    again = sorted(p for p in people if p is not None and p in state.previous_signers)
    if not again:
        return []
    text = (
        f"{' and '.join(again)} signed the previous gate: this sign-off must come from "
        "someone else (distinct_from_previous_gate)."
    )
    return [Refusal("sod.previous_gate_signer", None, text)]


def role_conflicts(
    username: str, roles: Iterable[str], incompatible: Sequence[frozenset[str]]
) -> list[Refusal]:
    """The pairs of incompatible roles `username` would hold together: one refusal each."""
    held = frozenset(roles)
    return [
        Refusal(
            "sod.incompatible_roles",
            "role",
            f"{username} may not be both {_words(a)} and {_words(b)} on one project: the "
            "policy makes these roles incompatible.",
        )
        for a, b in (sorted(pair) for pair in incompatible if pair <= held)
    ]


def self_grant(granter: str, grantee: str) -> list[Refusal]:
    """Nobody grants a role to themselves: another admin must."""
    if granter != grantee:
        return []
    text = "Nobody may grant a role to themselves: ask another admin."
    return [Refusal("sod.self_grant", "username", text)]


def manager_waives(person: Person) -> list[Refusal]:
    """The project's manager never waives its requirements, whatever else they hold."""
    if person.manages:
        text = "The project manager may not waive their own project's requirements."
        return [Refusal("sod.manager_waives", None, text)]
    return []


def requester_approves_waiver(person: Person, requester: str) -> list[Refusal]:
    """Nobody approves or denies a waiver they requested: another waiver holder decides."""
    if person.username != requester:
        return []
    text = "Nobody may decide a waiver they requested: another holder of a waiving role must."
    return [Refusal("sod.requester_approves_waiver", None, text)]


def only_one_pmo_member(active_pmo: Iterable[str]) -> bool:
    """True when the PMO has at most one active member, so nobody else in it can approve
    their proposals: an admin may then approve instead."""
    return len(frozenset(active_pmo)) <= 1


def proposal_approver_refusals(
    approver: str, proposer: str, *, is_pmo: bool, is_admin: bool, active_pmo: Iterable[str]
) -> list[Refusal]:
    """Why `approver` may not approve a policy version `proposer` proposed: it is their own
    proposal, or they are not in the PMO (an admin counts only where the PMO has one active
    member). Empty when they may."""
    if approver == proposer:
        text = "Nobody may approve the policy version they proposed: another PMO member must."
        return [Refusal("sod.proposer_publishes", None, text)]
    if is_pmo or (is_admin and only_one_pmo_member(active_pmo)):
        return []
    text = (
        "Only another PMO member may approve a policy version (an admin, where the PMO has "
        "a single active member)."
    )
    return [Refusal("role.approve_policy", None, text)]


def _words(role: str) -> str:
    return "project manager" if role == "project_manager" else role.replace("_", " ")


def manager_kills(person: Person) -> list[Refusal]:
    """The project's manager never kills it, whatever else they hold."""
    if person.manages:
        text = "The project manager may not kill their own project: the sponsor or the PMO decides."
        return [Refusal("sod.manager_kills", None, text)]
    return []


def duties_in_words(policy: Policy) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The segregation of duties a policy's projects live under, in words, and the rules of
    the policy that relax the defaults (gates.duties), each named with where it is stated."""
    duties = [
        "Nobody decides a gate they submitted, on a project they manage, or on evidence they "
        "attached; the PMO is not exempt.",
        "The project manager neither waives their project's requirements nor kills it.",
        "Nobody approves or denies a waiver they requested.",
        "Nobody grants a role to themselves.",
    ]
    for pair in policy.incompatible_roles:
        first, second = (r.replace("_", " ") for r in sorted(pair))
        duties.append(f"Nobody is both {first} and {second} on one project.")
    relaxations = []
    if policy.incompatible_roles != DEFAULT_INCOMPATIBLE and not policy.incompatible_roles:
        relaxations.append("incompatible_roles: [] (one person may hold any roles together)")
    elif frozenset({MANAGER_ROLE, "sponsor"}) not in policy.incompatible_roles:
        relaxations.append("incompatible_roles: a project manager may also be its sponsor")
    for gate in policy.gates:
        for signoff in gate.signoffs:
            if signoff.distinct_from_previous_gate:
                duties.append(
                    f"{gate.name}, {policy.role_title(signoff.role)} sign-off: nobody who "
                    "signed the previous gate signs it."
                )
            allowed = sorted(
                i.value.replace("_", " ") for i in DEFAULT_INDEPENDENCE - signoff.independent_of
            )
            if allowed:
                relaxations.append(
                    f"{gate.name}, {policy.role_title(signoff.role)} sign-off: the "
                    + " or the ".join(allowed)
                    + " may sign (independent_of)"
                )
    return tuple(duties), tuple(relaxations)
