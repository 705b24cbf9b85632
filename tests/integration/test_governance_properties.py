"""Random sequences of verbs by random people (disabled users with a session they kept,
delegates, admins, the PMO) on the standard policy; after every step the governance holds:

- every refused attempt left exactly one `action.refused` event naming its rules;
- nobody is counted twice in a round, and no signature or decision breaks segregation of
  duties (submitter, project manager, author of the round's evidence);
- no grant is a self-grant, and no person holds two incompatible roles on a project;
- each project moved only along its policy's lifecycle;
- every user's My approvals equals what the authority function says;
- the audit chain verifies.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from gates.decisions import FollowUp, next_gate
from gates.model import APPROVING
from gates.readiness import readiness
from policies.model import Artifact, Decision, Signoff
from tests.history_tables import from_history, from_tables
from tests.integration.factories import (
    APPROVERS,
    FACTS,
    PASSWORD,
    PEOPLE,
    SIGNER_OF,
    actor_of,
    attach_evidence,
    audit_events,
)
from tests.integration.test_pending_signoffs import expected, stored
from workflows.errors import AuthenticationFailed, InvalidInput, NotFound, Refused
from workflows.identity import Actor
from workflows.machines import project_definition
from workflows.state import load_project, open_review, policy_of, project_state
from workflows.store.records import (
    ArtifactVersion,
    ChangeRequest,
    Delegation,
    OverrideRecord,
    Project,
    Review,
    RoleGrant,
    SignatureRecord,
    User,
    WaiverRecord,
)
from workflows.verbs import (
    audit,
    change_requests,
    conditions,
    overrides,
    projects,
    reviews,
    users,
    waivers,
)
from workflows.verbs.reconcile import differences
from workflows.views.history import replay_project

pytestmark = pytest.mark.usefixtures("sqlite_only")

PEOPLE_NAMES = [p.username for p in PEOPLE]
ROLES = ["sponsor", *APPROVERS]
KEYS = itertools.count(1)

# Anyone may try anything; the people a gate needs try more often, so projects move.
people = st.one_of(
    st.sampled_from(PEOPLE_NAMES), st.sampled_from(["pm", "sponsor", "pmo", "pmo2", "admin"])
)
decisions = st.sampled_from([d.value for d in Decision])


class Governance(RuleBasedStateMachine):
    """One project of the standard policy, and everyone acting on it at random."""

    workspace = None
    clock = None
    actors: ClassVar[dict[str, Actor]] = {}  # sessions opened while everyone was active

    def __init__(self) -> None:
        super().__init__()
        self.key = f"PROP-{next(KEYS)}"
        with self.workspace.unit_of_work() as uow:
            self.start = _newest(uow)

    # -- running an attempt --------------------------------------------------------------

    def attempt(self, verb, who: str, *args, **kwargs) -> object:
        """Run `verb` as `who`; a refusal must leave exactly its one audited event."""
        with self.workspace.unit_of_work() as uow:
            before = _newest(uow)
            try:
                result = verb(uow, self.actors[who], *args, **kwargs)
            except Refused as error:
                uow.commit()
                added = audit_events(uow, before)
                rules = [r.rule for r in error.refusals]
                assert [(e.action, e.data["rules"]) for e in added] == [("action.refused", rules)]
                return None
            except AuthenticationFailed:
                uow.commit()  # a signature whose re-authentication failed is on the trail
                added = [e.action for e in audit_events(uow, before)]
                assert added == ["signature.reauthentication_failed"]
                return None
            except (InvalidInput, NotFound):
                uow.commit()
                assert audit_events(uow, before) == [], "an invalid input is not an event"
                return None
            uow.commit()
            return result

    # -- the project ---------------------------------------------------------------------

    @initialize(manager=st.sampled_from(["pm", "pm2", "pmo"]))
    def register(self, manager: str) -> None:
        """A project managed by a project manager, or by a member of the PMO (who may then
        submit and decide: segregation of duties must stop them)."""
        for name in PEOPLE_NAMES:  # everyone starts active; a disabled one keeps a session
            self.attempt(users.set_active, "admin", name, True)
        self.manager = manager
        registered = self.attempt(
            projects.register_project, manager, self.key, "Property", "standard",
            FACTS["standard"], sponsor="sponsor",
        )  # fmt: skip
        assert registered is not None
        for role, username in APPROVERS.items():
            with self.workspace.unit_of_work() as uow:
                project = load_project(uow, self.key)
                users.grant_role(uow, self.actors["admin"], username, role, project)
                uow.commit()

    @rule(who=people, which=st.integers(min_value=0, max_value=20))
    def attach(self, who: str, which: int) -> None:
        """`who` attaches one artifact of the next gate (a new version when it has one)."""

        def run(uow, actor):
            project = load_project(uow, self.key)
            gate = next_gate(policy_of(uow, project), project.stage)
            if gate is None or not gate.artifacts:
                return None
            artifact = gate.artifacts[which % len(gate.artifacts)]
            return attach_evidence(uow, actor, self.key, artifact, uow.now.date())

        self.attempt(run, who)

    @rule(who=st.sampled_from(["pm", "pm", "pmo", "finance"]))
    def provide_evidence(self, who: str) -> None:
        """`who` attaches every artifact the next gate still lacks."""

        def run(uow, actor):
            report, _ = _next_gate_now(uow, self.key)
            for line in report.lines if report else ():
                if isinstance(line.requirement, Artifact) and not line.status.ok:
                    attach_evidence(uow, actor, self.key, line.requirement, uow.now.date())

        self.attempt(run, who)

    @rule(who=people)
    def submit(self, who: str) -> None:
        self.attempt(reviews.submit_gate, who, self.key)

    @rule(who=people, decision=decisions, role=st.sampled_from([None, *ROLES, "pmo"]))
    def sign(self, who: str, decision: str, role: str | None) -> None:
        comment = "" if decision == "go" else "Seen and considered"
        self.attempt(reviews.sign, who, self.key, decision, PASSWORD, role, comment)

    @rule(who=people, decision=decisions, reason=st.sampled_from(["", "Decided"]), owner=people)
    def decide(self, who: str, decision: str, reason: str, owner: str) -> None:
        due = self.clock.today() + timedelta(days=10)
        conditions_ = (
            [FollowUp("Close the risks", owner, due)] if decision == "conditional_go" else []
        )
        self.attempt(reviews.decide, who, self.key, decision, reason, conditions_)

    @rule(decision=st.sampled_from(["go", "go", "go", "conditional_go", "recycle"]))
    def sign_where_needed(self, decision: str) -> None:
        """The next sign-off the gate waits for, by the person the test gave that role."""
        with self.workspace.unit_of_work(read_only=True) as uow:
            report, review = _next_gate_now(uow, self.key)
        needed = [
            line.requirement.role
            for line in (report.lines if report else ())
            if isinstance(line.requirement, Signoff) and not line.status.ok
        ]
        if review is not None and needed:
            role = needed[0]
            signer = SIGNER_OF[role]
            if signer in (self.manager, review.submitted_by):  # the PMO has a second member
                signer = "pmo2" if signer == "pmo" else "pmo"
            self.sign(signer, decision, role)

    def progress(self, doer: str, decider: str) -> None:
        """The next step of the happy path, by the people it needs: evidence and submission
        by the manager, the sign-off the gate waits for, then the sponsor's go. Random
        attempts alone rarely get a gate through; with this they reach later gates. `doer`
        gathers the evidence and submits (the manager, or another member of the PMO), and
        `decider` decides."""
        with self.workspace.unit_of_work(read_only=True) as uow:
            report, review = _next_gate_now(uow, self.key)
        if report is None:
            return
        if review is None:
            doer = self.manager if doer == "manager" else doer
            self.provide_evidence(doer)
            self.submit(doer)
        elif any(isinstance(x.requirement, Signoff) and not x.status.ok for x in report.lines):
            self.sign_where_needed("go")
        else:
            self.decide(decider, "go", "", "pm")

    # Hypothesis picks rules evenly: the happy path is six rules, so it is taken often.
    # The evidence and submission come from the manager or another PMO member.
    # The evidence and submission come from the manager or another PMO member; the sponsor
    # or a PMO member decides.
    doers = st.sampled_from(["manager", "manager", "pmo2"])
    deciders = st.sampled_from(["sponsor", "pmo", "pmo2"])
    progress_evidence = rule(doer=doers, decider=deciders)(progress)
    progress_signature = rule(doer=doers, decider=deciders)(progress)
    progress_decision = rule(doer=doers, decider=deciders)(progress)
    progress_fourth = rule(doer=doers, decider=deciders)(progress)
    progress_fifth = rule(doer=doers, decider=deciders)(progress)
    progress_sixth = rule(doer=doers, decider=deciders)(progress)

    @rule(who=people)
    def withdraw(self, who: str) -> None:
        self.attempt(reviews.withdraw, who, self.key, "Rework")

    @rule(who=people, move=st.sampled_from([projects.hold, projects.resume, projects.kill]))
    def move(self, who: str, move) -> None:
        self.attempt(move, who, self.key, "Because")

    @rule(who=people)
    def close_a_condition(self, who: str) -> None:
        with self.workspace.unit_of_work() as uow:
            open_ = conditions.open_conditions(uow, load_project(uow, self.key).id)
        if open_:
            self.attempt(conditions.close_condition, who, open_[0].id, "Done")

    # -- people --------------------------------------------------------------------------

    @rule(granter=st.sampled_from(["admin", "admin", "pmo", "pm", "sponsor"]), grantee=people,
          role=st.sampled_from([*ROLES, "sponsor"]))  # fmt: skip
    def grant(self, granter: str, grantee: str, role: str) -> None:
        def run(uow, actor):
            return users.grant_role(uow, actor, grantee, role, load_project(uow, self.key))

        self.attempt(run, granter)

    @rule(admin=st.sampled_from(["admin", "pmo"]), who=people.filter(lambda p: p != "admin"),
          active=st.booleans())  # fmt: skip
    def set_active(self, admin: str, who: str, active: bool) -> None:
        self.attempt(users.set_active, admin, who, active)

    @rule(delegator=people, delegate=people, role=st.sampled_from(ROLES))
    def delegate(self, delegator: str, delegate: str, role: str) -> None:
        def run(uow, actor):
            now = uow.now
            project = load_project(uow, self.key)
            return users.delegate(
                uow, actor, delegate, role, now, now + timedelta(days=30), project
            )

        self.attempt(run, delegator)

    @rule(who=people)
    def revoke_a_delegation(self, who: str) -> None:
        with self.workspace.unit_of_work(read_only=True) as uow:
            number = uow.session.execute(select(func.max(Delegation.id))).scalar()
        if number is not None:
            self.attempt(users.revoke_delegation, who, number, "Back from leave")

    # -- waivers, change requests, overrides ---------------------------------------------

    @rule(who=people, requirement=st.sampled_from(
        ["artifact:business_case", "artifact:risk_register", "artifact:communication_plan",
         "artifact:vendor_contract"]))  # fmt: skip
    def request_a_waiver(self, who: str, requirement: str) -> None:
        def run(uow, actor):
            return waivers.request_waiver(
                uow, actor, self.key, requirement, "Mandated by regulation",
                uow.now + timedelta(days=30),
            )  # fmt: skip

        self.attempt(run, who)

    @rule(who=st.sampled_from(["pmo", "pmo2", "sponsor", "pm"]),
          answer=st.sampled_from(["approve", "approve", "deny", "revoke"]))  # fmt: skip
    def answer_a_waiver(self, who: str, answer: str) -> None:
        with self.workspace.unit_of_work(read_only=True) as uow:
            number = uow.session.execute(select(func.max(WaiverRecord.id))).scalar()
        if number is None:
            return
        if answer == "approve":
            self.attempt(waivers.approve_waiver, who, number)
        else:
            verb = waivers.deny_waiver if answer == "deny" else waivers.revoke_waiver
            self.attempt(verb, who, number, "Not any more")

    @rule(who=people, budget=st.sampled_from(["40000", "900000", "2500000"]))
    def propose_a_change(self, who: str, budget: str) -> None:
        self.attempt(change_requests.propose_change, who, self.key, {"budget": budget},
                     "Re-estimated")  # fmt: skip

    @rule(who=st.sampled_from(["sponsor", "pmo", "pmo2", "pm", "finance"]),
          answer=st.sampled_from(["approve", "approve", "reject", "withdraw"]),
          role=st.sampled_from([None, "pmo", "sponsor"]))  # fmt: skip
    def answer_a_change(self, who: str, answer: str, role: str | None) -> None:
        with self.workspace.unit_of_work(read_only=True) as uow:
            number = uow.session.execute(select(func.max(ChangeRequest.id))).scalar()
        if number is None:
            return
        if answer == "approve":
            self.attempt(change_requests.approve_change, who, number, role)
        elif answer == "reject":
            self.attempt(change_requests.reject_change, who, number, "Not justified")
        else:
            self.attempt(change_requests.withdraw_change, who, number, "Not needed")

    @rule(who=st.sampled_from(["pmo", "pmo", "pm"]))
    def request_an_override(self, who: str) -> None:
        self.attempt(overrides.request_override, who, self.key, "Sponsor on leave")

    @rule(who=st.sampled_from(["pmo2", "pmo2", "sponsor"]), confirm=st.booleans())
    def answer_an_override(self, who: str, confirm: bool) -> None:
        with self.workspace.unit_of_work(read_only=True) as uow:
            number = uow.session.execute(select(func.max(OverrideRecord.id))).scalar()
        if number is not None:
            self.attempt(overrides.answer_override, who, number, confirm, "Board minute 12")

    @rule(days=st.integers(min_value=0, max_value=40))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days=days)

    # -- what must hold after every step -------------------------------------------------

    @invariant()
    def governance_holds(self) -> None:
        with self.workspace.unit_of_work(read_only=True) as uow:
            project = uow.session.execute(
                select(Project).where(Project.key == self.key)
            ).scalar_one_or_none()
            if project is None:
                return
            _segregation_and_counting(uow, project)
            _grants(uow, project, self.start)
            _moves(uow, project, self.start)
            assert stored(uow, uow.now) == expected(uow, uow.now), "My approvals disagrees"
            assert audit.verify(uow).ok, "the audit chain does not verify"
            # The trail is the record: the project rebuilt from its events alone, and the
            # reconciled tables replayed from the whole trail, equal what is stored.
            rebuilt = from_history(replay_project(uow, self.key))
            assert rebuilt == from_tables(uow, self.key), "the replay disagrees with the tables"
            assert differences(uow.session.connection()) == [], "a row disagrees with the trail"


def _next_gate_now(uow, key: str):
    """The readiness of the project's next gate and its open review, read directly (not as
    anyone): (None, None) when no gate follows its stage."""
    project = load_project(uow, key)
    policy = policy_of(uow, project)
    gate = next_gate(policy, project.stage)
    if gate is None:
        return None, None
    review = open_review(uow, project)
    review = review if review is not None and review.gate_id == gate.id else None
    state = project_state(uow, project, policy, gate, review)
    return readiness(policy, gate, state, uow.now), review


def _newest(uow) -> int:
    events = audit_events(uow, 0)
    return events[-1].seq if events else 0


def _segregation_and_counting(uow, project: Project) -> None:
    manager = uow.session.get(User, project.manager_id).username
    for review in uow.session.execute(
        select(Review).where(Review.project_id == project.id)
    ).scalars():
        signed = uow.session.execute(
            select(SignatureRecord, User.username)
            .join(User, User.id == SignatureRecord.signer_id)
            .where(SignatureRecord.review_id == review.id)
        ).all()
        signers = Counter((name, s.snapshot_digest) for s, name in signed)
        assert max(signers.values(), default=1) == 1, "someone signed a snapshot twice"
        counted = Counter(
            (s.on_behalf_of_id or s.signer_id, s.role)
            for s, _ in signed
            if s.superseded_at is None and s.decision in {d.value for d in APPROVING}
        )
        assert max(counted.values(), default=1) == 1, "someone counted twice in a round"
        # Whoever attached the evidence of the review's (final) snapshot.
        frozen = review.snapshot.get("artifacts", {})
        attachers = {
            row.attached_by
            for row in uow.session.execute(
                select(ArtifactVersion).where(ArtifactVersion.project_id == project.id)
            ).scalars()
            if frozen.get(row.artifact_id, {}).get("version") == row.version
        }
        independent_of = {review.submitted_by, manager} | attachers
        for s, name in signed:
            if s.superseded_at is None and s.snapshot_digest == review.snapshot_digest:
                assert name not in independent_of, f"{name} signed against SoD"
        assert review.decided_by not in independent_of, "a decision against SoD"


def _grants(uow, project: Project, start: int) -> None:
    grants = uow.session.execute(
        select(RoleGrant, User.username)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.project_id == project.id, RoleGrant.revoked_at.is_(None))
    ).all()
    for grant, name in grants:
        assert grant.granted_by != name, f"{name} granted themselves {grant.role}"
    manager = uow.session.get(User, project.manager_id).username
    sponsors = {name for grant, name in grants if grant.role == "sponsor"}
    assert manager not in sponsors, "the project manager became the project's sponsor"


def _moves(uow, project: Project, start: int) -> None:
    definition = project_definition(policy_of(uow, project))
    allowed = set()
    for transition in definition.transitions:
        sources = transition["source"]
        for source in sources if isinstance(sources, list) else [sources]:
            allowed.add((source, transition["dest"]))
    for event in audit_events(uow, start):
        if event.project != project.key or "new_stage" not in event.data:
            continue
        old, new = event.data.get("old_stage"), event.data["new_stage"]
        if old != new:
            assert (old, new) in allowed, f"{event.action} moved {old} -> {new}"


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("the random sequences run on SQLite; the races run on PostgreSQL")


RANDOM_RUNS = settings(
    max_examples=25,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_random_verbs_by_random_people_never_break_the_governance(workspace, clock):
    Governance.workspace, Governance.clock = workspace, clock
    with workspace.unit_of_work() as uow:
        Governance.actors = {name: actor_of(uow, name) for name in PEOPLE_NAMES}
    run_state_machine_as_test(Governance, settings=RANDOM_RUNS)
