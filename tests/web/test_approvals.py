"""My approvals: the queue, the review page, signing with re-authentication, deciding."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from policies.model import Signoff
from tests.actors import demo_actor
from web.demo import APPROVERS, PASSWORD
from workflows.authority import person_on
from workflows.state import load_project
from workflows.store.records import AuditEvent, Review
from workflows.verbs import reviews, users
from workflows.workspace import Workspace

# Seeded demo reviews (workflows/demo.py, seed 7): each waits for one more sign-off.
WAITING_FOR_FINANCE = "PRJ-105"  # G1, managed by pm.garcia, sponsor sponsor.king
WAITING_FOR_ARCHITECTURE = "PRJ-118"  # G2, managed by pm.garcia, sponsor sponsor.ali
NO_OPEN_REVIEW = "PRJ-102"


def text(response) -> str:
    return response.get_data(as_text=True)


def field_help(html: str, field_id: str) -> str:
    """The help and errors shown next to one form field."""
    match = re.search(rf'<div class="help" id="{re.escape(field_id)}-help">(.*?)</div>', html, re.S)
    assert match, f"nothing is shown next to {field_id}"
    return match.group(1)


@dataclass(frozen=True)
class OpenReview:
    snapshot_digest: str
    artifact_digests: list[str]
    signatures: int


def open_review(ws: Workspace, key: str) -> OpenReview:
    with ws.unit_of_work() as uow:
        review = reviews.gate_status(uow, demo_actor(uow, "pmo"), key).review
        assert review is not None
        digests = [a["digest"] for a in review.snapshot["artifacts"].values()]
        return OpenReview(review.snapshot_digest, digests, len(review.signatures))


def sponsor_of(ws: Workspace, key: str) -> str:
    with ws.unit_of_work() as uow:
        project = load_project(uow, key)
        for name in ("sponsor.king", "sponsor.ali"):
            if "sponsor" in person_on(uow, name, project).roles:
                return name
    raise AssertionError(f"{key} has no sponsor")


def sign_missing(ws: Workspace, key: str) -> None:
    """Sign every sign-off the open review still needs, in chain order, through the verbs."""
    with ws.unit_of_work() as uow:
        status = reviews.gate_status(uow, demo_actor(uow, "pmo"), key)
        missing = [
            line.requirement
            for line in status.report.lines
            if isinstance(line.requirement, Signoff) and not line.status.ok
        ]
    sponsor = sponsor_of(ws, key)
    for signoff in sorted(missing, key=lambda s: s.order or 0):
        who = {"sponsor": sponsor, "pmo": "pmo"}.get(signoff.role) or APPROVERS[signoff.role]
        with ws.unit_of_work() as uow:
            reviews.sign(uow, demo_actor(uow, who), key, "go", PASSWORD, signoff.role)
            uow.commit()


def sign(auth, key: str, **fields: str):
    data = {"decision": "go", "comment": "", "password": PASSWORD, **fields}
    return auth.post(f"/approvals/{key}/sign", data, f"/approvals/{key}")


def decide(auth, key: str, **fields: str):
    data = {f"decide-{name.replace('__', '-')}": value for name, value in fields.items()}
    return auth.post(f"/approvals/{key}/decide", data, f"/approvals/{key}")


def stage_of(ws: Workspace, key: str) -> str:
    with ws.unit_of_work() as uow:
        return load_project(uow, key).stage


def test_my_approvals_lists_a_waiting_review_for_its_approver(auth, client: FlaskClient) -> None:
    auth.login("finance")
    html = text(client.get("/approvals/"))
    assert f'href="/approvals/{WAITING_FOR_FINANCE}"' in html
    assert "Finance business partner" in html
    assert "G1 Initiation approval" in html


def test_my_approvals_does_not_list_it_for_an_unrelated_user(auth, client: FlaskClient) -> None:
    auth.login("pm.chen")
    html = text(client.get("/approvals/"))
    assert WAITING_FOR_FINANCE not in html
    assert "Nothing waits for your signature." in html


def test_the_review_page_shows_the_snapshot_digest_and_readiness(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    review = open_review(workspace, WAITING_FOR_FINANCE)
    auth.login("finance")
    html = text(client.get(f"/approvals/{WAITING_FOR_FINANCE}"))
    assert review.snapshot_digest in html
    assert review.artifact_digests
    for digest in review.artifact_digests:
        assert digest in html
    assert "Readiness now" in html
    assert "Finance business partner sign-off required because budget 380,000" in html
    assert 'class="badge status-missing"' in html
    assert "Approved as Project sponsor" in html


def test_the_review_page_links_every_evidence_version_the_signer_signs(
    auth, client: FlaskClient
) -> None:
    auth.login("finance")
    page = text(client.get(f"/approvals/{WAITING_FOR_FINANCE}"))

    downloads = re.findall(rf'href="(/projects/{WAITING_FOR_FINANCE}/evidence/[^"]+/v\d+)"', page)
    assert downloads, "the snapshot's files are linked"
    for url in downloads:
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Content-Disposition"]
        response.close()


def test_the_review_page_is_404_without_an_open_review(auth, client: FlaskClient) -> None:
    auth.login("pmo")
    assert client.get(f"/approvals/{NO_OPEN_REVIEW}").status_code == 404


def test_the_review_page_is_404_for_a_user_who_cannot_see_the_project(
    auth, client: FlaskClient
) -> None:
    auth.login("pm.chen")
    assert client.get(f"/approvals/{WAITING_FOR_FINANCE}").status_code == 404


def test_signing_with_the_right_password_records_a_bound_signature(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    digest = open_review(workspace, WAITING_FOR_FINANCE).snapshot_digest
    auth.login("finance")
    response = sign(auth, WAITING_FOR_FINANCE, comment="Cost centre 4711 confirmed.")
    assert response.status_code == 302
    html = text(client.get(response.headers["Location"]))
    assert "Signed: Approved as Finance business partner, Grace Müller" in html
    signature = html[html.rindex("<strong>Grace Müller</strong>") :]
    assert "Finance business partner" in signature
    assert "Approved as Finance business partner" in signature
    assert "Cost centre 4711 confirmed." in signature
    assert re.search(r"Signed <time datetime=\"[^\"]+\+00:00\">[\d-]+ [\d:]+</time> UTC", signature)
    assert digest in signature
    assert open_review(workspace, WAITING_FOR_FINANCE).signatures == 3


def test_a_wrong_password_is_refused_next_to_the_field_and_audited(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("finance")
    response = sign(auth, WAITING_FOR_FINANCE, password="not-my-password")
    assert response.status_code == 400
    assert "The password is not correct" in field_help(text(response), "password")
    assert open_review(workspace, WAITING_FOR_FINANCE).signatures == 2
    with workspace.unit_of_work() as uow:
        failed = uow.session.execute(
            select(AuditEvent.actor, AuditEvent.project_key).where(
                AuditEvent.action == "signature.reauthentication_failed"
            )
        ).all()
    assert [tuple(row) for row in failed] == [("finance", WAITING_FOR_FINANCE)]


def test_five_wrong_passwords_lock_signing(auth, client: FlaskClient, workspace: Workspace) -> None:
    auth.login("finance")
    for _ in range(5):
        last = sign(auth, WAITING_FOR_FINANCE, password="guess")
    assert "Signing is now locked" in field_help(text(last), "password")
    refused = sign(auth, WAITING_FOR_FINANCE)
    assert refused.status_code == 400
    assert "Signing is locked until" in text(refused)
    assert open_review(workspace, WAITING_FOR_FINANCE).signatures == 2


def test_a_comment_is_required_to_recycle(auth, client: FlaskClient, workspace: Workspace) -> None:
    auth.login("finance")
    response = sign(auth, WAITING_FOR_FINANCE, decision="recycle")
    assert response.status_code == 400
    assert "needs a comment saying why" in field_help(text(response), "comment")
    assert open_review(workspace, WAITING_FOR_FINANCE).signatures == 2


def test_the_project_manager_cannot_sign_their_own_projects_review(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    with workspace.unit_of_work() as uow:
        project = load_project(uow, WAITING_FOR_FINANCE)
        users.grant_role(uow, demo_actor(uow, "admin"), "pm.garcia", "finance", project)
        uow.commit()
    auth.login("pm.garcia")
    response = sign(auth, WAITING_FOR_FINANCE)
    assert response.status_code == 400
    assert "The project manager may not approve their own project&#39;s gate." in text(response)
    assert open_review(workspace, WAITING_FOR_FINANCE).signatures == 2


def test_signing_by_get_is_not_allowed(auth, client: FlaskClient) -> None:
    auth.login("finance")
    assert client.get(f"/approvals/{WAITING_FOR_FINANCE}/sign").status_code == 405
    assert client.get(f"/approvals/{WAITING_FOR_FINANCE}/decide").status_code == 405


def test_signing_without_the_csrf_token_is_refused(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("finance")
    data = {"decision": "go", "password": PASSWORD}
    response = client.post(f"/approvals/{WAITING_FOR_FINANCE}/sign", data=data)
    assert response.status_code == 400
    assert "Form expired" in text(response)
    assert open_review(workspace, WAITING_FOR_FINANCE).signatures == 2


def test_deciding_go_when_ready_advances_the_project(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    sign_missing(workspace, WAITING_FOR_FINANCE)
    auth.login(sponsor_of(workspace, WAITING_FOR_FINANCE))
    assert "ready to decide" in text(client.get(f"/approvals/{WAITING_FOR_FINANCE}"))
    response = decide(auth, WAITING_FOR_FINANCE, decision="go")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/{WAITING_FOR_FINANCE}")
    assert stage_of(workspace, WAITING_FOR_FINANCE) == "planning"
    assert f"{WAITING_FOR_FINANCE} is now in planning." in text(
        client.get(response.headers["Location"])
    )
    assert client.get(f"/approvals/{WAITING_FOR_FINANCE}").status_code == 404


def test_deciding_go_before_every_sign_off_is_refused_with_the_reasons(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login(sponsor_of(workspace, WAITING_FOR_FINANCE))
    response = decide(auth, WAITING_FOR_FINANCE, decision="go")
    assert response.status_code == 400
    assert "Finance business partner sign-off required" in text(response)
    assert stage_of(workspace, WAITING_FOR_FINANCE) == "initiation"


def test_a_conditional_go_records_its_condition(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    key = WAITING_FOR_ARCHITECTURE
    sign_missing(workspace, key)
    auth.login(sponsor_of(workspace, key))
    due = (date.today() + timedelta(days=30)).isoformat()
    response = decide(
        auth,
        key,
        decision="conditional_go",
        reason="Go, once the vendor contract is countersigned.",
        conditions__0__action="Countersign the vendor contract",
        conditions__0__owner="pm.garcia",
        conditions__0__due=due,
    )
    assert response.status_code == 302
    assert stage_of(workspace, key) == "execution"
    with workspace.unit_of_work() as uow:
        project = load_project(uow, key)
        decided = uow.session.execute(
            select(Review).where(Review.project_id == project.id, Review.gate_id == "planning")
        ).scalar_one()
        assert decided.decision == "conditional_go"
        conditions = [(f.action, f.owner, f.due.isoformat()) for f in decided.follow_ups]
    assert conditions == [("Countersign the vendor contract", "pm.garcia", due)]


def test_a_conditional_go_without_a_condition_is_refused_next_to_the_conditions(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    key = WAITING_FOR_ARCHITECTURE
    sign_missing(workspace, key)
    auth.login(sponsor_of(workspace, key))
    response = decide(auth, key, decision="conditional_go")
    assert response.status_code == 400
    assert "needs at least one condition" in field_help(text(response), "conditions")
    assert stage_of(workspace, key) == "planning"


def test_a_condition_without_a_due_date_is_shown_next_to_its_date(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login(sponsor_of(workspace, WAITING_FOR_ARCHITECTURE))
    response = decide(
        auth,
        WAITING_FOR_ARCHITECTURE,
        decision="conditional_go",
        conditions__1__action="Hire a test lead",
        conditions__1__owner="pm.garcia",
    )
    assert response.status_code == 400
    assert "Give the date this condition is due." in field_help(
        text(response), "decide-conditions-1-due"
    )


def test_a_non_sponsor_cannot_decide(auth, client: FlaskClient, workspace: Workspace) -> None:
    sign_missing(workspace, WAITING_FOR_FINANCE)
    auth.login("finance")
    page = text(client.get(f"/approvals/{WAITING_FOR_FINANCE}"))
    assert "Record decision" not in page
    response = decide(auth, WAITING_FOR_FINANCE, decision="go")
    assert response.status_code == 400
    assert "Only the sponsor or the PMO may decide a gate." in text(response)
    assert stage_of(workspace, WAITING_FOR_FINANCE) == "initiation"


def test_a_recycle_without_a_reason_is_refused_next_to_the_reason(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login(sponsor_of(workspace, WAITING_FOR_FINANCE))
    response = decide(auth, WAITING_FOR_FINANCE, decision="recycle")
    assert response.status_code == 400
    assert "decision needs a reason." in field_help(text(response), "decide-reason")
    assert stage_of(workspace, WAITING_FOR_FINANCE) == "initiation"


def test_a_condition_due_in_the_past_is_refused_next_to_its_own_row(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    key = WAITING_FOR_ARCHITECTURE
    sign_missing(workspace, key)
    auth.login(sponsor_of(workspace, key))
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    response = decide(
        auth,
        key,
        decision="conditional_go",
        reason="Go with one condition.",
        conditions__1__action="Hire a test lead",
        conditions__1__owner="pm.garcia",
        conditions__1__due=yesterday,
    )
    assert response.status_code == 400
    assert "Condition 1 is due" in field_help(text(response), "decide-conditions-1")
    assert stage_of(workspace, key) == "planning"


def test_signing_a_sign_off_that_is_complete_is_refused_next_to_the_role(
    auth, client: FlaskClient, workspace: Workspace
) -> None:
    with workspace.unit_of_work() as uow:
        users.grant_role(
            uow,
            demo_actor(uow, "admin"),
            "owner.ops",
            "finance",
            load_project(uow, WAITING_FOR_FINANCE),
        )
        uow.commit()
    auth.login("finance")
    assert sign(auth, WAITING_FOR_FINANCE).status_code == 302
    auth.login("owner.ops")
    page = text(client.get(f"/approvals/{WAITING_FOR_FINANCE}"))
    assert 'action="/approvals/PRJ-105/sign"' not in page, "nothing is left for owner.ops to sign"
    response = sign(auth, WAITING_FOR_FINANCE, role="finance")
    assert "sign-off is complete" in field_help(text(response), "role")
