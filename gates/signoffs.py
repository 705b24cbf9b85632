"""Sign-off rules: who may sign a review round, in which order, and how often."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from gates.model import ProjectState
from gates.readiness import Readiness, Status
from policies.model import Decision, Independence, Policy, Signoff


@dataclass(frozen=True, slots=True)
class SignRequest:
    """Someone asking to sign: as which role, with which decision, on whose behalf."""

    signer: str
    role: str
    decision: Decision
    roles_held: Collection[str]
    on_behalf_of: str | None = None
    comment: str = ""


def can_sign(
    policy: Policy,
    report: Readiness,
    state: ProjectState,
    request: SignRequest,
    *,
    check_order: bool = True,
) -> list[str]:
    """Every reason `request` may not be signed now; an empty list means it may.

    With `check_order=False`, a signer whose turn has not come yet in a sequential chain is
    not refused (see `waiting_for`), e.g. to list what will soon wait for them.
    """
    if state.snapshot_digest is None:
        return [f"{report.gate.name} has not been submitted: there is nothing to sign yet."]
    signoff = _signoff(report, request.role)
    title = f"{policy.role_title(request.role)} sign-off"
    if signoff is None:
        return [f"{report.gate.name} needs no {title}."]
    status = report_line_status(report, signoff)
    if status is Status.NOT_APPLICABLE:
        return [f"{title} is not needed for this project."]
    return [
        *_decision_problems(report, request),
        *_authority_problems(policy, request),
        *_independence_problems(signoff, state, request),
        *_once_problems(state, request),
        *(waiting_for(policy, report, signoff) if check_order else []),
    ]


def _signoff(report: Readiness, role: str) -> Signoff | None:
    return next((s for s in report.gate.signoffs if s.role == role), None)


def report_line_status(report: Readiness, signoff: Signoff) -> Status | None:
    """The status of `signoff` in the report, or None when the report does not list it."""
    return next((line.status for line in report.lines if line.key == signoff.key), None)


def _decision_problems(report: Readiness, request: SignRequest) -> list[str]:
    problems = []
    if request.decision not in report.gate.decisions:
        allowed = ", ".join(d.label for d in report.gate.decisions)
        problems.append(f"'{request.decision.label}' is not allowed at this gate ({allowed}).")
    if request.decision is not Decision.GO and not request.comment.strip():
        problems.append(f"A '{request.decision.label}' needs a comment saying why.")
    return problems


def _authority_problems(policy: Policy, request: SignRequest) -> list[str]:
    if request.role in request.roles_held:
        return []
    return [f"{request.signer} does not hold the {policy.role_title(request.role)} role here."]


def _independence_problems(
    signoff: Signoff, state: ProjectState, request: SignRequest
) -> list[str]:
    people = {request.signer, request.on_behalf_of} - {None}
    problems = []
    if Independence.SUBMITTER in signoff.independent_of and state.submitter in people:
        problems.append("Nobody may approve a gate they submitted.")
    if Independence.PROJECT_MANAGER in signoff.independent_of and state.project_manager in people:
        problems.append("The project manager may not approve their own project's gate.")
    return problems


def _once_problems(state: ProjectState, request: SignRequest) -> list[str]:
    principal = request.on_behalf_of or request.signer
    for signature in state.current_signatures:
        if request.signer in (signature.signer, signature.principal):
            return [f"{request.signer} has already signed this review round."]
        if principal == signature.principal:
            return [f"{principal}'s authority has already been used in this review round."]
    return []


def waiting_for(policy: Policy, report: Readiness, signoff: Signoff) -> list[str]:
    """Who must sign before `signoff` in a sequential chain: 'Operations signs first'."""
    if signoff.order is None:
        return []
    waiting = [
        s
        for s in report.gate.signoffs
        if s.order is not None
        and s.order < signoff.order
        and not (report_line_status(report, s) or Status.SATISFIED).ok
    ]
    return [f"{policy.role_title(s.role)} signs first (order {s.order})." for s in waiting]
