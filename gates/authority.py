"""Authority in one place: what a person may do on a project and its review, right now.

`authority(person, project_key, review)` is the one question every verb, page and list asks.
Each permission is one value holding who may (its predicate) and how a refusal reads (its
wording), so "Only the sponsor or the PMO may decide a gate." is written once, here. Signing,
deciding and waiving read the gate as well: their rules live in gates.signoffs,
gates.decisions and gates.waivers, and the answer below gathers them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from gates import assurance
from gates.change_requests import (
    ChangeRound,
    approver_duties,
    approving_role,
    not_open,
    rejecter_refusals,
    withdrawer_refusals,
)
from gates.decisions import (
    FollowUp,
    can_decide,
    can_override,
    close_refusals,
    deciders_in_words,
    deciding_roles,
    second_member_refusals,
    stage_moves,
)
from gates.duties import (
    decider_refusals,
    manager_kills,
    manager_waives,
    proposal_approver_refusals,
    requester_approves_waiver,
    role_conflicts,
    self_grant,
)
from gates.model import ADMIN, AUDITOR, GLOBAL_ROLES, PMO, PROJECT_MANAGER, SPONSOR, Person
from gates.programmes import PROGRAMME_SPONSOR
from gates.refusals import Refusal
from gates.signoffs import ReviewRound, Signing, SignOption, check_sign, sign_options
from gates.votes import tally, vote_refusals, voter_refusals
from gates.waivers import (
    decision_refusals,
    expiry_refusals,
    request_refusals,
    revoke_refusals,
    waiving_role,
)
from policies.model import (
    DEFAULT_DECIDERS,
    DEFAULT_MAX_WAIVER_DAYS,
    Decision,
    Position,
    Requirement,
)
from policies.problems import did_you_mean


class Scope(StrEnum):
    """Where a role must be held to grant a permission."""

    GLOBAL = "global"  # a global grant (register projects, publish policies, ...)
    PROJECT = "project"  # on the project: granted there, global, or as its manager


@dataclass(frozen=True)
class Holders:
    """Who holds a permission, and how a refusal names them."""

    words: str
    roles: frozenset[str] = frozenset()
    scope: Scope = Scope.PROJECT
    any_role: bool = False  # any role on the project will do
    delegates: bool = False  # so will a delegation valid there now

    def include(self, person: Person) -> bool:
        """True when `person` is one of them (an inactive person never is)."""
        if not person.active:
            return False
        held = person.global_roles if self.scope is Scope.GLOBAL else person.roles
        return bool(
            held & self.roles or (self.any_role and held) or (self.delegates and person.delegations)
        )

    def everywhere(self, global_roles: frozenset[str]) -> bool:
        """True when these global roles make one of them on every project (lists then need
        no selection of projects): a standing policy role held globally counts everywhere,
        as it does on each project's page (`include`)."""
        counted = global_roles - {PROJECT_MANAGER} if self.scope is Scope.PROJECT else global_roles
        return bool(counted & self.roles or (self.any_role and counted))


@dataclass(frozen=True)
class Permission:
    """One thing a person may do: its rule id, the action in words, and who may."""

    rule: str
    action: str
    holders: Holders

    def allows(self, person: Person) -> bool:
        """True when `person` may do it."""
        return self.holders.include(person)

    def allows_roles(self, roles: frozenset[str]) -> bool:
        """True when these global roles grant it (the portal's checks of the signed-in user)."""
        return self.allows(Person("", global_roles=frozenset(roles)))

    def refusal(self, where: str = "", action: str | None = None) -> Refusal:
        """'Only the sponsor or the PMO may decide a gate. (ERP-1)'."""
        suffix = f" ({where})" if where else ""
        text = f"Only {self.holders.words} may {action or self.action}.{suffix}"
        return Refusal(self.rule, None, text)


ANYONE_HERE = Holders(
    "people with a role on the project, auditors or the PMO", any_role=True, delegates=True
)
MANAGER_OR_PMO = Holders("the project manager or the PMO", frozenset({PROJECT_MANAGER, PMO}))
SPONSOR_OR_PMO = Holders("the sponsor or the PMO", frozenset({SPONSOR, PMO}))
MANAGERS_OR_PMO = Holders(
    "project managers or the PMO", frozenset({PROJECT_MANAGER, PMO}), Scope.GLOBAL
)
THE_PMO = Holders("the PMO", frozenset({PMO}), Scope.GLOBAL)
AUDITORS = Holders("auditors, the PMO or admins", frozenset({AUDITOR, PMO, ADMIN}), Scope.GLOBAL)
PMO_OR_ADMINS = Holders("the PMO or admins", frozenset({PMO, ADMIN}), Scope.GLOBAL)
ADMINS = Holders("an admin", frozenset({ADMIN}), Scope.GLOBAL)

READ = Permission("role.read", "see this project", ANYONE_HERE)
REGISTER = Permission("role.register", "register projects", MANAGERS_OR_PMO)
SUBMIT = Permission("role.submit", "submit a gate", MANAGER_OR_PMO)
ATTACH = Permission("role.attach", "attach evidence", MANAGER_OR_PMO)
UPDATE_FACTS = Permission("role.update_facts", "update facts", MANAGER_OR_PMO)
PROPOSE_CHANGE = Permission("role.propose_change", "propose a change request", MANAGER_OR_PMO)
WITHDRAW = Permission("role.withdraw", "withdraw a review", MANAGER_OR_PMO)
REQUEST_WAIVER = Permission("role.request_waiver", "request a waiver", MANAGER_OR_PMO)
DECIDE = Permission("role.decide", "decide a gate", SPONSOR_OR_PMO)
HOLD = Permission("role.hold", "put the project on hold", SPONSOR_OR_PMO)
RESUME = Permission("role.resume", "resume the project", SPONSOR_OR_PMO)
KILL = Permission("role.kill", "kill the project", SPONSOR_OR_PMO)
MOVES = {"hold": HOLD, "resume": RESUME, "kill": KILL}
"""The permission each move outside a gate needs."""

AUDIT = Permission("role.audit", "read the audit trail", AUDITORS)
PORTFOLIO = Permission("role.portfolio", "see the portfolio dashboard", PMO_OR_ADMINS)
PUBLISH = Permission("role.publish", "publish policies", THE_PMO)
PROPOSE = Permission("role.propose_policy", "propose a policy version", THE_PMO)
MIGRATE = Permission("role.migrate", "move projects between policy versions", THE_PMO)
OVERRIDE = Permission("role.override", "force a gate through with requirements missing", THE_PMO)
ADMINISTER = Permission("role.administer", "add users", ADMINS)
GRANT = Permission("role.grant", "grant roles", ADMINS)
PROGRAMMES = Permission("role.programme", "create programmes and move projects in and out", THE_PMO)
SEE_PROGRAMMES = Permission("role.see_programmes", "see every programme", AUDITORS)
SEE_PROGRAMME = Permission(
    "role.see_programme",
    "see this programme",
    Holders(
        "the PMO, auditors, admins or the programme's sponsor",
        frozenset({PMO, AUDITOR, ADMIN, PROGRAMME_SPONSOR}),
    ),
)
REVIEW_GRANTS = Permission("role.review_grants", "review who holds which roles", AUDITORS)


@dataclass(frozen=True)
class Authority:
    """What `person` may do on one project (`project_key`, None for global actions) and its
    gate under review (`review`, None when the question does not concern one)."""

    person: Person
    project_key: str = ""
    review: ReviewRound | None = None

    def may(self, permission: Permission) -> bool:
        """True when the person may do it here."""
        return permission.allows(self.person)

    def refusals(self, permission: Permission, action: str | None = None) -> list[Refusal]:
        """Why the person may not do it here: empty when they may."""
        if not self.person.active:
            return [_disabled(self.person)]
        if not self.may(permission):
            return [permission.refusal(self.project_key, action)]
        return manager_kills(self.person) if permission is KILL else []

    @property
    def signing(self) -> tuple[SignOption, ...]:
        """Every sign-off of the review the person could give: their turn now, or waiting
        only for the signing order."""
        return sign_options(self.person, self._review())

    def sign(self, role: str | None, decision: Decision | Position, comment: str = "") -> Signing:
        """Whether the person may sign the review now: the role and principal, every refusal."""
        return check_sign(self.person, self._review(), role, decision, comment)

    def decide(
        self,
        decision: Decision,
        reason: str,
        follow_ups: Sequence[FollowUp],
        today: date,
        recycle_to: str | None = None,
    ) -> list[Refusal]:
        """Every reason the person may not take `decision` on the review now (a recycle may
        name the earlier gate `recycle_to` the project goes back to)."""
        review = self._review()
        refused = self.deciding() or decider_refusals(self.person, review.state)
        if refused:
            return refused
        refusals = can_decide(
            review.report,
            review.state,
            decision,
            reason,
            follow_ups,
            today,
            open_conditions=review.policy.open_conditions,
            recycle_to=recycle_to,
        )
        gate = review.report.gate
        refusals += assurance.decision_refusals(review.policy, gate, review.state, decision)
        if gate.vote is None:
            return refusals
        counted = tally(gate.vote, review.state.panel, review.state.ballots)
        return [*refusals, *vote_refusals(review.policy, gate, decision, counted)]

    def assure(
        self,
        affiliation: assurance.Affiliation,
        circle: assurance.Circle,
        rating: str | None = None,
    ) -> list[Refusal]:
        """Every reason the person (of `affiliation`) may not record the assurance review of
        the open round of a project whose people are `circle` (gates.assurance), rating it
        `rating` (None: whatever rating; the question is whether they may review at all)."""
        review = self._review()
        gate = review.report.gate
        refused = assurance.reviewer_refusals(
            review.policy, gate, self.person, affiliation, circle, review.state
        )
        if refused or rating is None:
            return refused
        return assurance.rating_refusals(gate, rating)

    def vote(self, decision: Decision) -> list[Refusal]:
        """Every reason the person may not vote `decision` on the review now (gates.votes):
        only the gate's panel, once a round, never on a round they may not decide for the
        segregation of duties."""
        if not self.person.active:
            return [_disabled(self.person)]
        review = self._review()
        gate = review.report.gate
        refused = voter_refusals(review.policy, gate, self.person, review.state.ballots, decision)
        return refused or decider_refusals(self.person, review.state, "vote on")

    def deciding(self) -> list[Refusal]:
        """Why the person may not decide the review's gate at all: not one of the roles its
        policy lets decide it for this project (gates.decisions.deciding_roles; the sponsor
        or the PMO unless the gate says otherwise). Segregation of duties aside."""
        if not self.person.active:
            return [_disabled(self.person)]
        review = self._review()
        gate = review.report.gate
        escalated = assurance.escalated_roles(review.policy, gate, review.state)
        roles = escalated or deciding_roles(gate, review.state.context)
        if self.person.roles & roles:
            return []
        if gate.decided_by == DEFAULT_DECIDERS and not escalated:
            return [DECIDE.refusal(self.project_key)]
        who = deciders_in_words(review.policy, roles)
        text = f"Only {who} may decide {gate.name}. ({self.project_key})"
        if escalated and review.state.assurance is not None:
            rating = review.state.assurance.rating.replace("_", " ")
            text = (
                f"Only {who} may decide {gate.name}: the assurance rating {rating} escalated "
                f"the decision. ({self.project_key})"
            )
        return [Refusal(DECIDE.rule, None, text)]

    def close_condition(self, owner: str, closed: bool, note: str | None = None) -> list[Refusal]:
        """Every reason the person may not close a condition owned by `owner` now (with
        `note`, the words they close it with)."""
        if not self.person.active:
            return [_disabled(self.person)]
        return close_refusals(self.person.username, owner, closed, note)

    def override(self, requested_by: str, confirming: bool, today: date) -> list[Refusal]:
        """Every reason the person may not ask for (or, `confirming`, confirm the request of
        `requested_by` for) a PMO override of the review's gate now."""
        review = self._review()
        refused = self.refusals(OVERRIDE) or decider_refusals(self.person, review.state)
        if refused:
            return refused
        confirmer = self.person.username if confirming else None
        return can_override(
            review.policy, review.report, review.state, today, requested_by, confirmer
        )

    def decline_override(self, requested_by: str) -> list[Refusal]:
        """Every reason the person may not decline the override `requested_by` asked for:
        a second PMO member declines it, whatever the gate's state."""
        refused = self.refusals(OVERRIDE) or decider_refusals(self.person, self._review().state)
        return refused or second_member_refusals(requested_by, self.person.username)

    def waivable(self) -> tuple[Requirement, ...]:
        """The requirements of the gate the person may waive."""
        roles = self.person.roles if self.person.active else frozenset()
        gate = self._review().gate
        return tuple(r for r in gate.requirements if roles & set(r.waivable_by))

    def request_waiver(
        self,
        requirement: Requirement,
        justification: str,
        expires_at: datetime | None,
        now: datetime,
        max_days: int = DEFAULT_MAX_WAIVER_DAYS,
    ) -> list[Refusal]:
        """Every reason the person may not request a waiver of `requirement` until
        `expires_at` (required, at most `max_days` ahead): whoever may submit the gate may."""
        refused = self.refusals(REQUEST_WAIVER)
        if refused:
            return refused
        return [
            *request_refusals(requirement, justification),
            *expiry_refusals(expires_at, now, max_days),
        ]

    def decide_waiver(
        self,
        requirement: Requirement,
        requester: str,
        status: str,
        expires_at: datetime | None,
        now: datetime,
        approve: bool = True,
        reason: str = "",
    ) -> tuple[str | None, list[Refusal]]:
        """Whether the person may approve (or, with `reason`, deny) a waiver of `requirement`
        requested by `requester`: the role they decide it as, and every refusal. Only a holder
        of a role the requirement is waivable by decides, never the requester nor the project
        manager; the PMO is not exempt."""
        if not self.person.active:
            return None, [_disabled(self.person)]
        role, refusals = waiving_role(requirement, self.person.roles)
        refusals = [
            *manager_waives(self.person),
            *requester_approves_waiver(self.person, requester),
            *refusals,
            *decision_refusals(status, expires_at, approve, reason, now),
        ]
        return role, refusals

    def may_revoke_waiver(self, requirement: Requirement) -> bool:
        """True when the person holds a role `requirement` is waivable by, or is the PMO."""
        roles = self.person.roles if self.person.active else frozenset()
        return bool(roles & ({PMO} | set(requirement.waivable_by)))

    def revoke_waiver(self, requirement: Requirement, status: str, reason: str) -> list[Refusal]:
        """Every reason the person may not revoke an approved waiver of `requirement` (a
        holder of a role it is waivable by, or the PMO, with a reason)."""
        if not self.person.active:
            return [_disabled(self.person)]
        if not self.may_revoke_waiver(requirement):
            allowed = ", ".join(dict.fromkeys([*requirement.waivable_by, PMO]))
            text = f"Only these roles may revoke a waiver of it: {allowed}."
            return [Refusal("role.revoke_waiver", None, text)]
        return revoke_refusals(status, reason)

    def grant(
        self,
        grantee: Person,
        role: str,
        incompatible: Sequence[frozenset[str]] = (),
        standing: Collection[str] | None = None,
    ) -> list[Refusal]:
        """Every reason the person may not grant `role` to `grantee` here (`incompatible`:
        the project policy's pairs of roles one person may not hold together). A grant on no
        project names `standing`: the policy roles that may be held everywhere (a body outside
        the projects: an investment board, a treasury)."""
        refused = self.refusals(GRANT)
        if refused:
            return refused
        if standing is not None and role not in GLOBAL_ROLES:
            refused = standing_refusals(role, standing)
        return [
            *refused,
            *self_grant(self.person.username, grantee.username),
            *role_conflicts(grantee.username, grantee.roles | {role}, incompatible),
        ]

    def record_attributes(self, username: str) -> list[Refusal]:
        """Every reason the person may not record `username`'s org unit and team: an admin,
        never their own (they decide whom one may review independently, gates.assurance)."""
        refused = self.refusals(ADMINISTER, "record users' org unit and team")
        if refused or username != self.person.username:
            return refused
        text = (
            "You cannot record your own org unit or team: they decide whom you may review "
            "independently. Ask another admin."
        )
        return [Refusal("user.own_attributes", None, text)]

    def approve_change(
        self, change: ChangeRound, role: str | None = None
    ) -> tuple[str | None, list[Refusal]]:
        """Whether the person may approve the change request now: the approver role they
        approve as, and every refusal (gates.change_requests; none when they may)."""
        if not self.person.active:
            return None, [_disabled(self.person)]
        chosen, refused = approving_role(self.person, change, role)
        refusals = [*not_open(change), *refused, *approver_duties(self.person, change)]
        return (None if refusals else chosen), refusals

    def reject_change(self, change: ChangeRound) -> list[Refusal]:
        """Every reason the person may not reject the change request now."""
        if not self.person.active:
            return [_disabled(self.person)]
        return [*not_open(change), *rejecter_refusals(self.person, change)]

    def withdraw_change(self, change: ChangeRound) -> list[Refusal]:
        """Every reason the person may not withdraw the change request now."""
        if not self.person.active:
            return [_disabled(self.person)]
        return [*not_open(change), *withdrawer_refusals(self.person, change)]

    def approve_proposal(self, proposer: str, active_pmo: frozenset[str]) -> list[Refusal]:
        """Every reason the person may not approve the policy version `proposer` proposed
        (`active_pmo`: the usernames of the active PMO members)."""
        if not self.person.active:
            return [_disabled(self.person)]
        return proposal_approver_refusals(
            self.person.username,
            proposer,
            is_pmo=PMO in self.person.global_roles,
            is_admin=ADMIN in self.person.global_roles,
            active_pmo=active_pmo,
        )

    def moves(self, stage: str, final_stage: str) -> tuple[str, ...]:
        """The moves (hold, resume, kill) the person may make on the project in `stage` now."""
        return tuple(m for m in stage_moves(stage, final_stage) if not self.refusals(MOVES[m]))

    def _review(self) -> ReviewRound:
        if self.review is None:
            raise ValueError("this question concerns a gate: pass its review round")
        return self.review


def _disabled(person: Person) -> Refusal:
    return Refusal("person.disabled", None, f"{person.username}'s account is disabled.")


NEVER_STANDING = frozenset({SPONSOR})
"""Policy roles only ever held on a project: a sponsor of every project would decide them all
(a global project_manager only registers projects)."""


def standing_refusals(role: str, policy_roles: Collection[str]) -> list[Refusal]:
    """Why `role` may not be held everywhere (a grant on no project): it is one of the global
    roles, or a role some published policy declares other than sponsor (a standing body:
    an investment board, a treasury, a review team)."""
    if role in NEVER_STANDING:
        text = f"{role} is held on one project only: grant it on the project."
        return [Refusal("grant.not_standing", "role", text)]
    if role not in policy_roles:
        known = ", ".join(GLOBAL_ROLES)
        hint = did_you_mean(role, [*policy_roles, *GLOBAL_ROLES])
        text = (
            f"'{role}' is no global role ({known}) and no published policy declares it{hint}: "
            "only a policy's role can be held everywhere."
        )
        return [Refusal("grant.unknown_role", "role", text)]
    return []


def authority(
    person: Person, project_key: str = "", review: ReviewRound | None = None
) -> Authority:
    """What `person` may do on the project `project_key` (empty for global actions) and on
    `review`, the round of its gate the question concerns (if any)."""
    return Authority(person, project_key, review)
