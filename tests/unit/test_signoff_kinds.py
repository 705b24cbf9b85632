"""Kinds of sign-off (blocking, advisory, consulted) and counts relative to the role's holders
or to the facts: `min: majority`, `min: all`, `min: <CEL>`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gates.counts import needed_signatures
from gates.model import Person, ProjectState, Signature
from gates.readiness import Readiness, Status
from gates.signoffs import ReviewRound, check_sign, sign_options
from policies import Decision, Policy, check_policy_text, parse_policy
from policies.model import Position, Share
from tests.unit.gate_fixtures import SNAPSHOT, facts_for, report, signature, state

SUPPORT, DISAGREE, OBJECT = Position.SUPPORT, Position.DISAGREE_BUT_SUPPORT, Position.OBJECT
GO, RECYCLE = Decision.GO, Decision.RECYCLE

POLICY = """\
id: kinds
version: 1
title: Kinds of sign-off
description: A gate with a blocking, an advisory, a consulted and a counted sign-off.
facts:
  agencies: {type: integer, title: Participating agencies}
roles:
  sponsor: {title: Sponsor}
  architect: {title: Enterprise architecture}
  legal: {title: Legal}
  agency: {title: Agency lead}
  board: {title: Investment board}
tiers:
  - {id: standard, title: Standard}
gates:
  - id: approve
    name: Approval
    stage: delivery
    signoffs:
      - {role: sponsor}
      - {role: architect, kind: advisory, min: 2}
      - {role: legal, kind: consulted, min: 0}
      - {role: agency, min: project.agencies}
      - {role: board, min: majority}
"""


@pytest.fixture(scope="module")
def policy() -> Policy:
    return parse_policy(POLICY, "kinds.yaml")


def project(
    policy: Policy, *signatures: Signature, agencies: int = 2, board: int = 3
) -> ProjectState:
    facts = facts_for(policy, agencies=agencies)
    members = frozenset(f"board{n}" for n in range(board))
    return replace(state(policy, facts, signatures=signatures), holders={"board": members})


def line_of(report_: Readiness, role: str) -> Any:
    line = report_.line(f"signoff:{role}")
    assert line is not None
    return line


def test_an_advisory_objection_is_recorded_and_does_not_block(policy: Policy) -> None:
    given = project(
        policy,
        signature("ann", "architect", OBJECT, comment="Duplicates the CRM"),  # type: ignore[arg-type]
        signature("ben", "architect", DISAGREE, comment="Would rather buy"),  # type: ignore[arg-type]
    )
    line = line_of(report(policy, "approve", given), "architect")

    assert line.status is Status.SATISFIED
    assert line.reason == (
        "Enterprise architecture sign-off (advisory): ben: disagree but support; ann: object"
    )


def test_an_advisory_sign_off_waits_for_its_number_of_positions(policy: Policy) -> None:
    given = project(policy, signature("ann", "architect", SUPPORT))  # type: ignore[arg-type]
    line = line_of(report(policy, "approve", given), "architect")

    assert line.status is Status.MISSING
    assert line.reason == (
        "Enterprise architecture sign-off (advisory) awaited: 1 of 2 signed; ann: support"
    )


def test_a_blocking_objection_still_blocks(policy: Policy) -> None:
    given = project(policy, signature("sam", "sponsor", RECYCLE, comment="Not yet"))
    line = line_of(report(policy, "approve", given), "sponsor")

    assert line.status is Status.MISSING
    assert "sam decided recycle" in line.reason


def test_a_consulted_sign_off_with_min_0_waits_for_nobody(policy: Policy) -> None:
    line = line_of(report(policy, "approve", project(policy)), "legal")

    assert line.status is Status.SATISFIED
    assert line.reason == "Legal sign-off (consulted): nobody has answered yet"


@pytest.mark.parametrize(
    ("board", "signed", "needed", "met"),
    [(1, 1, 1, True), (2, 1, 2, False), (2, 2, 2, True), (3, 1, 2, False), (3, 2, 2, True),
     (4, 2, 3, False), (4, 3, 3, True), (5, 3, 3, True)],
)  # fmt: skip
def test_a_majority_is_more_than_half_of_the_holders(
    policy: Policy, board: int, signed: int, needed: int, met: bool
) -> None:
    given = project(policy, *(signature(f"board{n}", "board") for n in range(signed)), board=board)
    line = line_of(report(policy, "approve", given), "board")

    assert needed_signatures(line.requirement, given) == needed
    assert (line.status is Status.SATISFIED) is met


def test_a_blocking_share_of_nobody_still_needs_one_signature(policy: Policy) -> None:
    given = project(policy, board=0)
    line = line_of(report(policy, "approve", given), "board")

    assert needed_signatures(line.requirement, given) == 1
    assert line.status is Status.MISSING
    assert line.reason.endswith(
        "0 of 1 signed: nobody holds the Investment board role on this project"
    )


def test_all_needs_every_holder(policy: Policy) -> None:
    every = replace(policy.gates[0].signoffs[4], min=Share.ALL)
    given = project(policy, signature("board0", "board"), signature("board1", "board"), board=3)

    assert needed_signatures(every, given) == 3


@pytest.mark.parametrize(("agencies", "needed"), [(0, 0), (1, 1), (3, 3)])
def test_a_cel_count_reads_the_facts(policy: Policy, agencies: int, needed: int | None) -> None:
    given = project(policy, agencies=agencies)
    signoff = policy.gates[0].signoffs[3]

    assert needed_signatures(signoff, given) == needed


def test_a_cel_count_that_gives_no_number_of_people_cannot_be_told() -> None:
    fewer = parse_policy(POLICY.replace("min: project.agencies}", "min: project.agencies - 5}"))
    given = project(fewer, agencies=2)
    line = line_of(report(fewer, "approve", given), "agency")

    assert needed_signatures(line.requirement, given) is None
    assert line.status is Status.MISSING and line.unchecked
    assert "how many are needed (project.agencies - 5) cannot be told yet" in line.reason


def round_of(policy: Policy, given: ProjectState) -> ReviewRound:
    return ReviewRound(policy, report(policy, "approve", given), given)


def person(name: str, *roles: str) -> Person:
    return Person(name, project_roles=frozenset(roles))


@pytest.mark.parametrize(
    ("role", "said", "comment", "rules"),
    [
        ("architect", SUPPORT, "", []),
        ("architect", DISAGREE, "", ["sign.comment_required"]),
        ("architect", DISAGREE, "Would rather buy", []),
        ("architect", OBJECT, "Duplicates the CRM", []),
        ("architect", GO, "", ["sign.position_not_allowed"]),
        ("legal", Position.COMMENT, "Clause 4 needs review", []),
        ("legal", Position.COMMENT, "", ["sign.comment_required"]),
        ("legal", SUPPORT, "", ["sign.position_not_allowed"]),
        ("sponsor", SUPPORT, "", ["sign.decision_not_allowed"]),
        ("sponsor", GO, "", []),
    ],
)
def test_each_kind_says_what_it_records(
    policy: Policy, role: str, said: Decision | Position, comment: str, rules: list[str]
) -> None:
    signing = check_sign(
        person("ann", role), round_of(policy, project(policy)), role, said, comment
    )

    assert [r.rule for r in signing.refusals] == rules


def test_an_advisory_role_may_answer_after_enough_have_but_each_signer_once(policy: Policy) -> None:
    given = project(
        policy,
        signature("ann", "architect", SUPPORT),  # type: ignore[arg-type]
        signature("ben", "architect", SUPPORT),  # type: ignore[arg-type]
    )
    review = round_of(policy, given)

    assert [o.role for o in sign_options(person("cy", "architect"), review)] == ["architect"]
    assert check_sign(person("cy", "architect"), review, "architect", OBJECT, "No").refusals == ()
    assert [
        r.rule
        for r in check_sign(person("ann", "architect"), review, "architect", SUPPORT).refusals
    ] == ["sign.once_per_round"]
    assert sign_options(person("ann", "architect"), review) == ()


def test_a_complete_blocking_sign_off_takes_no_more_signatures(policy: Policy) -> None:
    review = round_of(policy, project(policy, signature("sam", "sponsor")))

    refused = check_sign(person("sue", "sponsor"), review, "sponsor", GO)

    assert [r.rule for r in refused.refusals] == ["sign.complete"]


def test_a_signature_bound_to_an_old_snapshot_gives_no_position(policy: Policy) -> None:
    old = replace(signature("ann", "architect", SUPPORT), snapshot_digest="sha256:old")  # type: ignore[arg-type]
    line = line_of(report(policy, "approve", project(policy, old)), "architect")

    assert line.status is Status.MISSING
    assert SNAPSHOT != "sha256:old"


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ("kind: advisory, min: 2", "kind: advisor, min: 2", "did you mean 'advisory'?"),
        ("role: board, min: majority", "role: board, min: majorty", "did you mean 'majority'?"),
        ("role: sponsor}", "role: sponsor, min: 0}", "0, a sign-off nobody waits for"),
        ("min: project.agencies", "min: project.agencys", "did you mean 'project.agencies'?"),
        (
            "min: project.agencies",
            "min: project.agencies > 1",
            "must give a whole number of people",
        ),
        ("min: project.agencies", "min: evidence.plan.pages", "only a criterion or a"),
    ],
)
def test_the_loader_names_a_bad_kind_or_count(change: str, path: str, message: str) -> None:
    assert POLICY.count(change) == 1
    loaded, problems = check_policy_text(POLICY.replace(change, path), "kinds.yaml")

    assert loaded is None
    assert any(message in p.message for p in problems), [p.message for p in problems]
    assert all(p.line > 0 for p in problems)


def test_a_cel_count_that_divides_by_zero_cannot_be_told_and_does_not_crash() -> None:
    divided = parse_policy(POLICY.replace("min: project.agencies}", "min: 6 / project.agencies}"))
    given = project(divided, agencies=0)
    line = line_of(report(divided, "approve", given), "agency")

    assert needed_signatures(line.requirement, given) is None
    assert line.status is Status.MISSING and line.unchecked
