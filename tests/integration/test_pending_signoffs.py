"""The pending sign-offs stay equal to the authority rules after every kind of change.

After each change the table is compared with what gates.authority gives, for every user and
every open review, now and at later moments (a delegation still to come, one that ends): the
table is written by the verbs, the comparison asks the rules directly.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from gates.authority import authority
from gates.pending import part_of
from gates.readiness import readiness
from gates.signoffs import Part, ReviewRound
from tests.integration.factories import PASSWORD, actor_of, policy_source, waive
from workflows.authority import roster_of
from workflows.errors import Refused
from workflows.identity import system
from workflows.machines import SUBMITTED
from workflows.pending import holds_now, rebuild_pending
from workflows.state import gate_of, load_project, policy_of, project_state
from workflows.store.records import PendingSignoff, Project, Review, User
from workflows.verbs import attach, migration, projects, publishing, reviews, users

Row = tuple[str, str, str, str | None, str]  # project, user, role, on behalf of, part


def expected(uow, moment: datetime) -> Counter[Row]:
    """What the authority rules say waits for each user on each open review at `moment`."""
    found: Counter[Row] = Counter()
    names = list(uow.session.execute(select(User.username)).scalars())
    for review in uow.session.execute(select(Review).where(Review.state == SUBMITTED)).scalars():
        project = review.project
        policy = policy_of(uow, project)
        gate = gate_of(policy, project, review.gate_id)
        state = project_state(uow, project, policy, gate, review)
        round_ = ReviewRound(policy, readiness(policy, gate, state, moment), state)
        for name in names:
            profile = roster_of(uow, name, project.id).profile(name, project.id)
            options = authority(profile.at(moment), project.key, round_).signing
            part = part_of(options)
            for option in options:
                assert part is not None
                found[(project.key, name, option.role, option.on_behalf_of, part.value)] += 1
    return found


def stored(uow, moment: datetime) -> Counter[Row]:
    """The pending sign-offs that hold at `moment`; one lead row per user and review."""
    principal = aliased(User)
    query = (
        select(
            Project.key,
            User.username,
            PendingSignoff.role,
            principal.username,
            PendingSignoff.part,
            PendingSignoff.lead,
        )
        .join(Project, Project.id == PendingSignoff.project_id)
        .join(User, User.id == PendingSignoff.user_id)
        .outerjoin(principal, principal.id == PendingSignoff.on_behalf_of_id)
        .where(holds_now(moment))
    )
    rows = uow.session.execute(query).all()
    leads = Counter((key, name) for key, name, *_, lead in rows if lead)
    assert set(leads.values()) <= {1}
    assert set(leads) == {(key, name) for key, name, *_ in rows}
    return Counter(tuple(row[:5]) for row in rows)


@pytest.fixture
def agrees(read, clock):
    """agrees() -> the rows compared: the table equals the rules now and at later moments."""

    def check(*later_days: int) -> Counter[Row]:
        def compare(uow):
            rows = None
            for days in (0, *later_days):
                moment = uow.now + timedelta(days=days)
                want = expected(uow, moment)
                assert stored(uow, moment) == want, f"{days} days on"
                rows = want if rows is None else rows
            return rows

        return read(compare)

    return check


def grant_on(uow, username, role, key):
    users.grant_role(uow, actor_of(uow, "admin"), username, role, load_project(uow, key))


def revoke_on(uow, username, role, key):
    users.revoke_role(uow, actor_of(uow, "admin"), username, role, load_project(uow, key))


def delegate_on(uow, actor, delegate, role, key, starts_at, ends_at):
    project = load_project(uow, key) if key else None
    return users.delegate(
        uow, actor_of(uow, actor), delegate, role, starts_at, ends_at, project, "Leave"
    )


def parts(rows: Counter[Row], name: str) -> set[tuple[str, str]]:
    return {(key, part) for key, who, _, _, part in rows if who == name}


def test_a_submission_writes_who_the_review_waits_for(new_project, submit_ready, agrees):
    key = new_project("ERP-1")
    submit_ready(key)

    rows = agrees()

    assert parts(rows, "sponsor") == {(key, Part.YOUR_TURN.value)}
    assert parts(rows, "finance") == {(key, Part.YOUR_TURN.value)}
    assert parts(rows, "pm") == set()


def test_each_signature_and_the_decision_keep_the_rows(
    act, new_project, submit_ready, collect_signatures, agrees
):
    key = new_project("ERP-1")
    submit_ready(key)
    act(reviews.sign, "sponsor", key, "go", PASSWORD)
    assert parts(agrees(), "sponsor") == set()
    collect_signatures(key)
    assert agrees() == Counter()

    act(reviews.decide, "sponsor", key, "go")

    assert agrees() == Counter()


def test_a_signing_chain_moves_signers_from_waiting_to_their_turn(
    act, new_project, pass_gate, submit_ready, agrees
):
    key = new_project("ERP-1")
    for _ in range(3):
        pass_gate(key)
    submit_ready(key)
    assert parts(agrees(), "owner") == {(key, Part.WAITING.value)}

    act(reviews.sign, "ops", key, "go", PASSWORD)

    assert parts(agrees(), "owner") == {(key, Part.YOUR_TURN.value)}
    assert parts(agrees(), "sponsor") == {(key, Part.WAITING.value)}


def test_a_waiting_signer_is_refused_by_the_order_and_nothing_is_written(
    new_project, pass_gate, submit_ready, refuses
):
    key = new_project("ERP-1")
    for _ in range(3):
        pass_gate(key)
    submit_ready(key)

    error = refuses(Refused, reviews.sign, "owner", key, "go", PASSWORD)

    assert {r.rule for r in error.refusals} == {"sign.order"}


def test_an_objection_keeps_the_sign_off_waiting_for_the_others(
    act, new_project, submit_ready, agrees
):
    key = new_project("ERP-1")
    submit_ready(key)
    act(users.grant_role, "admin", "outsider", "pmo")

    act(reviews.sign, "pmo", key, "recycle", PASSWORD, comment="Budget unclear")

    assert parts(agrees(), "outsider") == {(key, Part.YOUR_TURN.value)}


@pytest.mark.parametrize("change", ["withdraw", "kill"])
def test_a_review_withdrawn_or_killed_waits_for_nobody(
    act, new_project, submit_ready, agrees, change
):
    key = new_project("ERP-1")
    submit_ready(key)

    if change == "withdraw":
        act(reviews.withdraw, "pm", key, "Rework the business case")
    else:
        act(projects.kill, "sponsor", key, "No longer strategic")

    assert agrees() == Counter()


def test_new_evidence_supersedes_the_signatures_and_they_wait_again(
    act, new_project, submit_ready, agrees
):
    key = new_project("ERP-1")
    submit_ready(key)
    act(reviews.sign, "sponsor", key, "go", PASSWORD)
    assert parts(agrees(), "sponsor") == set()

    act(attach.attach_file, "pm", key, "business_case", io.BytesIO(b"v2"), "case-v2.pdf")

    assert parts(agrees(), "sponsor") == {(key, Part.YOUR_TURN.value)}


def test_changed_facts_change_which_sign_offs_apply(act, new_project, submit_ready, agrees):
    key = new_project("ERP-1", budget="100000")
    submit_ready(key)
    assert parts(agrees(), "finance") == set()

    act(projects.update_facts, "pm", key, {"budget": "900000"}, "Scope grew")

    assert parts(agrees(), "finance") == {(key, Part.YOUR_TURN.value)}


@pytest.mark.parametrize("decision", ["recycle", "hold", "kill"])
def test_a_decided_review_waits_for_nobody(act, new_project, submit_ready, agrees, decision):
    key = new_project("ERP-1")
    submit_ready(key)
    assert parts(agrees(), "finance") == {(key, Part.YOUR_TURN.value)}

    act(reviews.decide, "sponsor", key, decision, "Not this quarter")

    assert agrees() == Counter()


def test_a_waived_sign_off_waits_for_nobody_until_the_waiver_expires(
    act, new_project, submit_ready, agrees, clock
):
    waivable = policy_source("standard", 4).replace(
        "      - role: pmo\n", "      - role: pmo\n        waivable_by: [sponsor]\n", 1
    )
    act(publishing.publish, system(), waivable, "standard-v2.yaml")
    key = new_project("ERP-1")
    submit_ready(key)
    assert parts(agrees(), "pmo") == {(key, Part.YOUR_TURN.value)}

    act(waive, "pm", "sponsor", key, "signoff:pmo", "PMO away", clock.now + timedelta(days=5))

    assert parts(agrees(6), "pmo") == set()


def test_role_grants_and_revocations_on_a_project_and_globally(
    act, new_project, submit_ready, agrees
):
    key = new_project("ERP-1")
    submit_ready(key)

    act(revoke_on, "finance", "finance", key)
    assert parts(agrees(), "finance") == set()
    act(grant_on, "outsider", "finance", key)
    assert parts(agrees(), "outsider") == {(key, Part.YOUR_TURN.value)}
    act(users.grant_role, "admin", "qa", "pmo")
    assert parts(agrees(), "qa") == {(key, Part.YOUR_TURN.value)}
    act(users.revoke_role, "admin", "qa", "pmo")
    assert parts(agrees(), "qa") == set()


def test_delegations_count_in_their_period_only(act, new_project, submit_ready, agrees, clock):
    key = new_project("ERP-1")
    submit_ready(key)
    week = timedelta(days=7)

    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now - week, clock.now + week)
    act(delegate_on, "finance", "deputy", "finance", None, clock.now + week, clock.now + 3 * week)

    rows = agrees(8, 30)
    assert {(role, behalf) for _, who, role, behalf, _ in rows if who == "deputy"} == {
        ("sponsor", "sponsor")
    }


def test_a_delegators_lost_role_or_disabled_account_ends_the_delegates_rows(
    act, new_project, submit_ready, agrees, clock
):
    key = new_project("ERP-1")
    submit_ready(key)
    week = timedelta(days=7)
    act(delegate_on, "sponsor", "deputy", "sponsor", key, clock.now, clock.now + week)
    act(delegate_on, "finance", "deputy", "finance", key, clock.now, clock.now + week)
    assert len(parts(agrees(), "deputy")) == 1

    act(revoke_on, "sponsor", "sponsor", key)
    act(users.set_active, "admin", "finance", False)

    assert parts(agrees(), "deputy") == set()
    act(users.set_active, "admin", "finance", True)
    assert parts(agrees(), "deputy") == {(key, Part.YOUR_TURN.value)}


def test_a_policy_migration_keeps_the_rows(act, new_project, pass_gate, agrees):
    key = new_project("ERP-1")
    pass_gate(key)
    act(publishing.publish, system(), policy_source("standard", 4), "standard-v2.yaml")

    act(migration.migrate, "pmo", key, 4, "Newer rules")

    assert agrees() == Counter()


def test_rebuilding_gives_the_same_rows(act, read, new_project, submit_ready, agrees, clock):
    for key in ("ERP-1", "ERP-2"):
        new_project(key)
        submit_ready(key)
    act(delegate_on, "sponsor", "deputy", "sponsor", "ERP-2", clock.now, clock.now + timedelta(9))
    before = agrees(10)

    written = act(rebuild_pending)

    assert agrees(10) == before
    assert written == read(lambda uow: len(uow.session.execute(select(PendingSignoff)).all()))


def test_a_sign_off_that_must_be_distinct_waits_for_nobody_who_signed_the_previous_gate(
    act, new_project, pass_gate, submit_ready, agrees
):
    planning = (
        "    signoffs:\n      - role: sponsor\n      - role: pmo\n      - role: architecture\n"
    )
    distinct = planning.replace(
        "role: pmo\n", "role: pmo\n        distinct_from_previous_gate: true\n"
    )
    source = policy_source("standard", 4)
    act(publishing.publish, system(), source.replace(planning, distinct), "standard.yaml")
    key = new_project("ERP-1")
    pass_gate(key)
    submit_ready(key)

    rows = agrees()

    assert parts(rows, "pmo") == set(), "pmo signed the initiation gate"
    assert parts(rows, "pmo2") == {(key, Part.YOUR_TURN.value)}
