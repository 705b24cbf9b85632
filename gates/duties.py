"""Segregation of duties: who may not approve, decide or waive because of what they did or
hold on the project. Pure rules, asked by gates.authority and gates.signoffs; the PMO is not
exempt from any of them.

- Nobody approves or decides a gate they submitted, on a project they manage, or on
  evidence they attached (for signing, a policy relaxes this per sign-off, explicitly, with
  `independent_of`).
- Nobody holds on one project two roles the policy makes incompatible (`incompatible_roles`,
  by default managing and sponsoring it): checked when granting and when signing.
- Nobody grants a role to themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gates.model import Person, ProjectState
from gates.refusals import Refusal


def attachers(state: ProjectState) -> frozenset[str]:
    """Who attached the evidence versions the round is bound to."""
    return frozenset(e.attached_by for e in state.evidence.values() if e.attached_by)


def decider_refusals(person: Person, state: ProjectState) -> list[Refusal]:
    """Why `person` may not decide this round: they submitted it, manage the project, or
    attached its evidence. Empty when they may."""
    who = person.username
    refusals = []
    if who == state.submitter:
        text = "Nobody may decide a gate they submitted."
        refusals.append(Refusal("sod.submitter_decides", None, text))
    if who == state.project_manager or person.manages:
        text = "The project manager may not decide their own project's gate."
        refusals.append(Refusal("sod.manager_decides", None, text))
    if who in attachers(state):
        text = "Nobody may decide a gate on evidence they attached."
        refusals.append(Refusal("sod.attacher_decides", None, text))
    return refusals


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


def _words(role: str) -> str:
    return "project manager" if role == "project_manager" else role.replace("_", " ")


def manager_kills(person: Person) -> list[Refusal]:
    """The project's manager never kills it, whatever else they hold."""
    if person.manages:
        text = "The project manager may not kill their own project: the sponsor or the PMO decides."
        return [Refusal("sod.manager_kills", None, text)]
    return []
