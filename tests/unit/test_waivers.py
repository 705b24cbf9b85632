"""Waivers: who may waive a requirement, and whether a waiver is still valid."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from gates.waivers import (
    any_waivable,
    can_waive,
    decision_refusals,
    describe_waiver,
    expiry_refusals,
    is_valid,
    shown_status,
    valid_waiver,
)
from policies import Requirement
from tests.unit.gate_fixtures import NOW, gate, matrix, standard, waiver


def requirement(gate_id: str, key: str) -> Requirement:
    found = gate(standard(), gate_id).requirement(key)
    assert found is not None, key
    return found


LESSONS = ("closure", "artifact:lessons_learned")  # waivable_by: [pmo]
RISK_NOT_CRITICAL = ("cutover", "criterion:risk_not_critical")  # waivable_by: [sponsor]
CHARTER = ("initiation", "artifact:project_charter")  # not waivable

CAN_WAIVE = [
    pytest.param(LESSONS, "pmo", "Retrospective held with the vendor", [], id="allowed"),
    pytest.param(RISK_NOT_CRITICAL, "sponsor", "Risk accepted", [], id="sponsor-accepts-risk"),
    pytest.param(
        CHARTER,
        "pmo",
        "We know what we are doing",
        ["The policy does not allow this requirement to be waived."],
        id="not-waivable",
    ),
    pytest.param(
        LESSONS,
        "sponsor",
        "No time",
        ["Only these roles may waive it: pmo."],
        id="wrong-role",
    ),
    pytest.param(
        LESSONS, "pmo", "   ", ["A waiver needs a justification."], id="blank-justification"
    ),
    pytest.param(
        CHARTER,
        "pmo",
        "",
        [
            "The policy does not allow this requirement to be waived.",
            "A waiver needs a justification.",
        ],
        id="not-waivable-and-no-justification",
    ),
    pytest.param(
        LESSONS,
        "finance",
        "",
        ["Only these roles may waive it: pmo.", "A waiver needs a justification."],
        id="wrong-role-and-no-justification",
    ),
]


@pytest.mark.parametrize(("where", "role", "justification", "expected"), CAN_WAIVE)
def test_can_waive_says_why_a_waiver_is_refused(
    where: tuple[str, str], role: str, justification: str, expected: list[str]
) -> None:
    _role, refusals = can_waive(requirement(*where), {role}, justification)
    assert [r.text for r in refusals] == expected


def test_can_waive_names_the_role_the_waiver_is_granted_as() -> None:
    assert can_waive(requirement(*LESSONS), {"sponsor", "pmo"}, "Held") == ("pmo", [])


def test_can_waive_lists_every_allowed_role() -> None:
    finance = gate(matrix(), "start").requirement("signoff:finance")
    assert finance is not None
    _role, refusals = can_waive(finance, {"sponsor"}, "x")
    assert [r.text for r in refusals] == ["Only these roles may waive it: pmo."]


VALIDITY = [
    pytest.param(NOW + timedelta(seconds=1), "pmo", LESSONS, True, id="expires-just-after-now"),
    pytest.param(NOW + timedelta(days=90), "pmo", LESSONS, True, id="expires-in-the-future"),
    pytest.param(None, "pmo", LESSONS, True, id="no-expiry"),
    pytest.param(NOW, "pmo", LESSONS, False, id="expires-exactly-now"),
    pytest.param(NOW - timedelta(days=1), "pmo", LESSONS, False, id="expired"),
    pytest.param(None, "sponsor", LESSONS, False, id="granted-by-a-role-not-in-waivable-by"),
    pytest.param(None, "pmo", CHARTER, False, id="requirement-not-waivable"),
]


@pytest.mark.parametrize(("expires_at", "role", "where", "valid"), VALIDITY)
def test_a_waiver_is_valid_until_it_expires_when_granted_by_an_allowed_role(
    expires_at: datetime | None, role: str, where: tuple[str, str], valid: bool
) -> None:
    granted = waiver(where[1], role, expires_at=expires_at)
    assert is_valid(granted, requirement(*where), NOW) is valid


def test_a_waiver_of_another_requirement_does_not_cover_this_one() -> None:
    granted = waiver("artifact:hypercare_exit_report", "pmo")
    assert not is_valid(granted, requirement(*LESSONS), NOW)


def test_valid_waiver_picks_the_first_valid_one() -> None:
    expired = waiver(LESSONS[1], "pmo", by="old", expires_at=NOW)
    wrong_role = waiver(LESSONS[1], "sponsor", by="sam")
    good = waiver(LESSONS[1], "pmo", by="pat")
    later = waiver(LESSONS[1], "pmo", by="quinn")
    lessons = requirement(*LESSONS)
    assert valid_waiver([expired, wrong_role, good, later], lessons, NOW) is good
    assert valid_waiver([expired, wrong_role], lessons, NOW) is None
    assert valid_waiver([], lessons, NOW) is None


def test_a_waiver_is_described_with_who_until_when_and_why() -> None:
    granted = waiver(LESSONS[1], "pmo", by="pat", justification="Held jointly with G4")
    assert describe_waiver(granted) == "Waived by pat (pmo) until 2026-07-01: Held jointly with G4"
    forever = waiver(LESSONS[1], "pmo", by="pat", expires_at=None, justification="ok")
    assert describe_waiver(forever) == "Waived by pat (pmo): ok"


@pytest.mark.parametrize(
    ("gate_id", "expected"),
    [("initiation", True), ("execution", False), ("cutover", True), ("closure", True)],
)
def test_a_gate_is_waivable_when_any_of_its_requirements_is(gate_id: str, expected: bool) -> None:
    assert any_waivable(gate(standard(), gate_id)) is expected


def test_no_waiver_is_valid_for_a_gate_with_no_waivable_requirement() -> None:
    execution = gate(standard(), "execution")
    for requirement_ in execution.requirements:
        for role in ("pmo", "sponsor", "finance"):
            assert not is_valid(waiver(requirement_.key, role), requirement_, NOW)


@pytest.mark.parametrize("status", ["requested", "denied", "revoked"])
def test_only_an_approved_waiver_counts(status: str) -> None:
    lessons = requirement(*LESSONS)
    pending = replace(waiver(lessons.key, "pmo"), status=status)
    assert not is_valid(pending, lessons, NOW)
    assert valid_waiver([pending], lessons, NOW) is None


def test_an_approved_waiver_past_its_expiry_reads_expired() -> None:
    until = NOW + timedelta(days=1)
    assert shown_status("approved", until, NOW) == "approved"
    assert shown_status("approved", until, until) == "expired"
    assert shown_status("denied", until, until) == "denied"


def test_only_a_request_is_decided_and_a_denial_says_why() -> None:
    until = NOW + timedelta(days=1)
    assert decision_refusals("requested", until, True, "", NOW) == []
    assert [r.rule for r in decision_refusals("approved", until, True, "", NOW)] == [
        "waiver.not_requested"
    ]
    assert [r.rule for r in decision_refusals("requested", until, True, "", until)] == [
        "waiver.expired"
    ]
    assert [r.rule for r in decision_refusals("requested", until, False, "", NOW)] == [
        "waiver.reason_required"
    ]


def test_a_waiver_expiry_is_required_in_the_future_and_within_the_policy_limit() -> None:
    def rule(days: int | None) -> list[str]:
        until = None if days is None else NOW + timedelta(days=days)
        return [r.rule for r in expiry_refusals(until, NOW, 90)]

    assert rule(90) == []
    assert rule(None) == ["waive.expiry_required"]
    assert rule(0) == ["waive.expiry_past"]
    assert rule(91) == ["waive.expiry_too_long"]
