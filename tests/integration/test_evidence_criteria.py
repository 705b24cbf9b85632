"""Criteria over evidence fields, on the database: a criterion reads the latest version of a
form attached to the project, a new version changes its verdict, and a review whose gate
reads a form is bound to that form's version (a new one supersedes the signatures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gates.readiness import Status
from workflows.errors import Refused
from workflows.identity import system
from workflows.store.records import Review, SignatureRecord
from workflows.verbs import attach, projects, publishing, reviews

# The UAT sign-off is a form of the build gate; the build gate and the release gate both
# judge its open critical defects.
POLICY = """\
id: evidence
version: 1
title: Criteria over evidence fields
initial_stage: build
facts:
  budget:
    type: money
    title: Approved budget
roles:
  sponsor:
    title: Sponsor
tiers:
  - id: all
gates:
  - id: build
    name: Build gate
    stage: test
    artifacts:
      - id: uat_signoff
        title: UAT sign-off
        kind: form
        fields:
          - id: critical_defects
            title: Open critical defects
            type: integer
          - id: workarounds
            title: Workarounds agreed
            type: text
            required: false
    criteria:
      - id: uat_clean
        title: UAT closed with no open critical defects
        expr: evidence.uat_signoff.critical_defects == 0
    signoffs:
      - role: sponsor
  - id: release
    name: Release gate
    stage: live
    criteria:
      - id: still_clean
        title: No critical defect is open at release
        expr: evidence.uat_signoff.critical_defects == 0
    signoffs:
      - role: sponsor
"""

CLEAN = "UAT closed with no open critical defects"


def uat(defects: int) -> dict[str, str]:
    return {"critical_defects": str(defects)}


def register(act: Callable[..., Any], key: str) -> str:
    act(publishing.publish, system(), POLICY, "evidence.yaml")
    act(projects.register_project, "pm", key, "UAT project", "evidence", {"budget": "1000"},
        sponsor="sponsor")  # fmt: skip
    return key


def line(status: Callable[..., Any], key: str, requirement: str) -> tuple[Status, str]:
    found = status(key).line(requirement)
    return found.status, found.reason


def test_a_criterion_over_a_form_field_is_missing_then_failed_then_met_as_versions_arrive(
    act: Callable[..., Any], status: Callable[..., Any], refuses: Callable[..., Any]
) -> None:
    key = register(act, "UAT-1")

    assert line(status, key, "criterion:uat_clean") == (
        Status.MISSING,
        f"UAT sign-off is missing, so '{CLEAN}' cannot be checked",
    )

    act(attach.attach_form, "pm", key, "uat_signoff", uat(2))

    assert line(status, key, "criterion:uat_clean") == (
        Status.MISSING,
        f"{CLEAN}: not met (UAT sign-off: open critical defects 2 is not 0)",
    )
    error = refuses(Refused, reviews.submit_gate, "pm", key)
    assert f"{CLEAN}: not met (UAT sign-off: open critical defects 2 is not 0)" in str(error)

    act(attach.attach_form, "pm", key, "uat_signoff", uat(0))

    assert line(status, key, "criterion:uat_clean") == (
        Status.SATISFIED,
        f"{CLEAN}: met (UAT sign-off: open critical defects 0 == 0)",
    )
    act(reviews.submit_gate, "pm", key)

    act(attach.attach_form, "pm", key, "uat_signoff", uat(1))

    assert line(status, key, "criterion:uat_clean")[0] is Status.MISSING


def test_a_review_is_bound_to_the_version_of_a_form_its_criteria_read_at_another_gate(
    act: Callable[..., Any],
    status: Callable[..., Any],
    read: Callable[..., Any],
) -> None:
    key = register(act, "UAT-2")
    act(attach.attach_form, "pm", key, "uat_signoff", uat(0))
    act(reviews.submit_gate, "pm", key)
    act(reviews.sign, "sponsor", key, "go", "correct horse battery", "sponsor", "")
    act(reviews.decide, "sponsor", key, "go")
    act(reviews.submit_gate, "pm", key)
    act(reviews.sign, "sponsor", key, "go", "correct horse battery", "sponsor", "")

    def open_review(uow: Any) -> tuple[dict[str, Any], list[Any]]:
        review = uow.session.query(Review).filter_by(gate_id="release", state="submitted").one()
        signed = uow.session.query(SignatureRecord).filter_by(review_id=review.id).all()
        return review.snapshot["artifacts"], [s.superseded_at for s in signed]

    frozen, superseded = read(open_review)
    assert frozen["uat_signoff"]["version"] == 1
    assert superseded == [None]

    act(attach.attach_form, "pm", key, "uat_signoff", uat(3))

    frozen, superseded = read(open_review)
    assert frozen["uat_signoff"]["version"] == 2, "the release review is bound to the new form"
    assert superseded[0] is not None, "the signature on the old form no longer counts"
    assert line(status, key, "criterion:still_clean") == (
        Status.MISSING,
        "No critical defect is open at release: not met (UAT sign-off: open critical defects "
        "3 is not 0)",
    )
