"""The policy pages: everyone reads the library and a policy with its gate flow; only the PMO
checks, diffs and publishes a new version, and a broken or existing version publishes nothing."""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET

from flask.testing import FlaskClient
from sqlalchemy import func, select

from policies.library import LIBRARY
from tests.web.conftest import Auth
from workflows.store.records import AuditEvent, PolicyVersion, Project
from workflows.workspace import Workspace

STANDARD = (LIBRARY / "standard.yaml").read_text(encoding="utf-8")
NEW_ARTIFACT = """\
      - id: benefits_handover
        title: Benefits tracking handover
        kind: file
      - id: lessons_learned
"""
STANDARD_V2 = STANDARD.replace("version: 3\n", "version: 4\n", 1).replace(
    "      - id: lessons_learned\n", NEW_ARTIFACT, 1
)
OTHER_PAGES = (
    "projects.index",
    "projects.show",
    "projects.register",
    "approvals.index",
    "approvals.review",
    "portfolio.index",
)


def text_of(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status
    return html.unescape(response.get_data(as_text=True))


def published(workspace: Workspace) -> list[str]:
    with workspace.unit_of_work() as uow:
        rows = uow.session.execute(select(PolicyVersion).order_by(PolicyVersion.id)).scalars()
        return [row.ref for row in rows]


def events(workspace: Workspace, action: str) -> int:
    with workspace.unit_of_work() as uow:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        return uow.session.execute(query).scalar() or 0


def test_the_library_lists_every_published_version_and_offers_the_pmo_an_upload(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("pmo")
    page = text_of(client, "/policies/")
    assert "standard@3" in page and "lite@2" in page
    assert "Standard IT project policy" in page and "Lite IT project policy" in page
    assert 'href="/policies/standard/3"' in page
    assert "Propose a new version" in page


def test_a_sponsor_reads_the_library_but_is_not_offered_an_upload(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("sponsor.king")
    page = text_of(client, "/policies/")
    assert "standard@3" in page
    assert "Propose a new version" not in page


def test_the_library_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/policies/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_policy_page_shows_stages_facts_tiers_and_each_gates_requirements(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("sponsor.king")
    page = text_of(client, "/policies/standard/3")
    assert "Standard IT project policy" in page
    assert "initiation → planning → execution → cutover → closure → closed" in page
    assert "Approved budget" in page and "one of low, medium, high, critical" in page
    assert 'project.budget > 250000 || project.risk == "high" || project.regulated' in page
    assert "first tier whose rule holds" in page and "otherwise" in page
    for gate in ("G1 Initiation approval", "G2 Baseline approval", "G5 Project closure"):
        assert gate in page
    assert "planning → execution" in page
    assert "10 days, then escalated to PMO" in page
    assert "go, conditional go, recycle, hold, kill" in page
    assert "Decided by" in page and "the Project sponsor or the PMO" in page
    assert "Project charter" in page and "always" in page
    assert 'tier != "small"' in page
    assert "must hold: project.duration_months <= 36" in page
    assert "at most 90 days old" in page and "waivable by PMO" in page
    assert "Finance business partner sign-off" in page and "signs in order 1" in page


def test_the_policy_page_shows_the_diagram_and_the_source_folded_away(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("sponsor.king")
    raw = client.get("/policies/standard/3").get_data(as_text=True)
    image = re.search(r'<img class="diagram" src="([^"]+)" alt="([^"]+)">', raw)
    assert image and image.group(1) == "/policies/standard/3/diagram.svg"
    alt = html.unescape(image.group(2))
    assert "initiation" in alt and "G1 Initiation approval" in alt and "on hold" in alt
    assert re.search(r"<details>\s*<summary>Source", raw)
    assert '<pre class="source">' in raw and "id: standard" in raw
    assert "<script" not in raw and "style=" not in raw


def test_the_diagram_is_an_svg_image_with_every_stage_and_gate(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("pm.lee")
    response = client.get("/policies/standard/3/diagram.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.get_data())
    drawn = " ".join(" ".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for word in ("initiation", "closed", "on hold", "killed", "G4 Go-live", "pass_cutover"):
        assert word in drawn


def test_an_unknown_policy_version_is_not_found(auth: Auth, client: FlaskClient) -> None:
    auth.login("pmo")
    assert client.get("/policies/standard/99").status_code == 404
    assert client.get("/policies/nothing/1/diagram.svg").status_code == 404


def test_only_the_pmo_may_upload_a_policy(auth: Auth, client: FlaskClient) -> None:
    auth.login("sponsor.king")
    assert client.get("/policies/new").status_code == 403
    response = auth.post(
        "/policies/new", {"source": STANDARD_V2, "publish": "Propose"}, page_url="/policies/"
    )
    assert response.status_code == 403


def test_a_broken_policy_shows_its_problems_with_line_numbers_and_publishes_nothing(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    broken = STANDARD_V2.replace("        kind: file\n", "        kind: filee\n", 1).replace(
        "expr: project.duration_months <= 36", "expr: project.duration_month <= 36", 1
    )
    lines = broken.splitlines()
    kind_line = lines.index("        kind: filee") + 1
    expr_line = lines.index("        expr: project.duration_month <= 36") + 1
    auth.login("pmo")
    before = published(workspace)
    for button in ("check", "publish"):
        response = auth.post("/policies/new", {"source": broken, button: button.title()})
        assert response.status_code == 200
        page = html.unescape(response.get_data(as_text=True))
        assert "2 problems: nothing can be proposed yet" in page
        assert f"line {kind_line}, column" in page and f"line {expr_line}, column" in page
        assert "filee" in page and "duration_month" in page
        assert f"{kind_line:4d} >         kind: filee" in page
    assert "Nothing was proposed" in page
    assert published(workspace) == before


def test_a_valid_new_version_shows_its_changes_is_proposed_and_published_by_a_second_member(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login("pmo")
    response = auth.post("/policies/new", {"source": STANDARD_V2, "check": "Check"})
    page = html.unescape(response.get_data(as_text=True))
    assert "No problem found" in page and "standard@4" in page
    assert "standard@4" in page and "version 3 → 4" in page
    assert "Publishing would be refused" not in page
    assert "gate closure" in page and "added" in page and "Benefits tracking handover" in page
    assert "standard@4" not in published(workspace)

    response = auth.post("/policies/new", {"source": STANDARD_V2, "publish": "Propose"})
    assert response.status_code == 302 and response.headers["Location"] == "/policies/"
    assert "standard@4" not in published(workspace), "proposing publishes nothing"
    library = text_of(client, "/policies/")
    assert "Proposed standard@4" in library and "Waiting for a second PMO member." in library

    auth.login("pmo.mensah")
    proposal = re.search(r"/policies/proposals/(\d+)/approve", client.get("/policies/").text)
    assert proposal is not None
    response = auth.post(proposal.group(0), {"reason": ""}, "/policies/")
    assert response.status_code == 302
    assert "standard@4" in published(workspace)
    page = text_of(client, "/policies/standard/4")
    assert "standard@4" in page and "Benefits tracking handover" in page
    assert "latest" in text_of(client, "/policies/").split("standard@4")[1][:80]


def test_a_policy_file_can_be_uploaded_instead_of_pasted(auth: Auth, client: FlaskClient) -> None:
    auth.login("pmo")
    upload = (io.BytesIO(STANDARD_V2.encode()), "standard-v2.yaml")
    response = auth.post("/policies/new", {"source": "", "file": upload, "check": "Check"})
    page = html.unescape(response.get_data(as_text=True))
    assert "No problem found" in page and "Benefits tracking handover" in page
    assert "id: benefits_handover" in page  # the file's text is in the box, ready to publish


def test_an_empty_upload_asks_for_the_policy_next_to_the_box(auth: Auth) -> None:
    auth.login("pmo")
    response = auth.post("/policies/new", {"source": "  ", "check": "Check"})
    page = response.get_data(as_text=True)
    field = page[page.index('id="source"') :]
    assert "Paste the policy here, or choose a file." in field[: field.index("</div>") + 200]


def test_republishing_an_existing_version_is_refused_with_the_reason(
    auth: Auth, workspace: Workspace
) -> None:
    auth.login("pmo")
    before = events(workspace, "policy.published")
    response = auth.post("/policies/new", {"source": STANDARD, "check": "Check"})
    page = html.unescape(response.get_data(as_text=True))
    assert "Publishing would be refused: standard@3 is already published" in page
    response = auth.post("/policies/new", {"source": STANDARD, "publish": "Propose"})
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "Nothing was proposed." in page
    assert "standard@3 is already published" in page and "give the new file version 4" in page
    assert events(workspace, "policy.published") == before


def test_the_policy_page_states_the_segregation_of_duties_and_what_the_policy_relaxes(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("sponsor.king")

    page = text_of(client, "/policies/standard/3")

    assert "Segregation of duties" in page
    assert "Nobody is both project manager and sponsor on one project." in page
    assert "Nobody grants a role to themselves." in page
    assert "This policy relaxes none of these rules." in page


def test_a_policy_that_relaxes_a_rule_says_so_where_it_is_stated() -> None:
    from gates.duties import duties_in_words
    from policies.library import LIBRARY
    from policies.loader import check_policy_text

    source = (LIBRARY / "lite.yaml").read_text()
    pair = "incompatible_roles: [[project_manager, sponsor]]"
    relaxed = source.replace(pair, "incompatible_roles: []", 1)
    policy, _ = check_policy_text(relaxed, "lite.yaml")
    assert policy is not None

    duties, relaxations = duties_in_words(policy)

    assert relaxations[0] == "incompatible_roles: [] (one person may hold any roles together)"
    assert not any("Nobody is both" in duty for duty in duties)


def test_the_pmo_sees_a_proposals_impact_on_the_projects_in_flight_before_approving_it(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("pmo")
    auth.post("/policies/new", {"source": STANDARD_V2, "publish": "Propose"})
    library = client.get("/policies/").text
    link = re.search(r"/policies/proposals/(\d+)/impact", library)
    assert link is not None

    page = text_of(client, link.group(0))

    assert "Impact of standard@4" in page
    assert "standard@3 → standard@4" in page and re.search(r"PRJ-\d+", page)
    auth.login("sponsor.king")
    assert client.get(link.group(0)).status_code == 403


IMPACT = "/policies/standard/4/impact"


def count_events(workspace: Workspace, action: str) -> int:
    with workspace.unit_of_work(read_only=True) as uow:
        query = select(func.count()).where(AuditEvent.action == action)
        return int(uow.session.execute(query).scalar_one())


def publish_standard_v3(auth: Auth, client: FlaskClient) -> None:
    """pmo proposes standard@4 and pmo.mensah approves it: four eyes, as the portal does."""
    auth.login("pmo")
    auth.post("/policies/new", {"source": STANDARD_V2, "publish": "Propose"})
    auth.login("pmo.mensah")
    proposal = re.search(r"/policies/proposals/(\d+)/approve", client.get("/policies/").text)
    assert proposal is not None
    auth.post(proposal.group(0), {"reason": ""}, "/policies/")


def versions_of(workspace: Workspace, keys: list[str]) -> dict[str, str]:
    with workspace.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(
            select(Project.key, PolicyVersion.version)
            .join(PolicyVersion, Project.policy_version_id == PolicyVersion.id)
            .where(Project.key.in_(keys))
        )
        return {key: f"standard@{number}" for key, number in rows}


def movable_keys(page: str) -> list[str]:
    return re.findall(r'name="key" value="([^"]+)"', page)


def test_the_pmo_moves_chosen_projects_to_a_published_version_from_its_impact_page(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    publish_standard_v3(auth, client)
    shown = text_of(client, "/policies/standard/4")
    assert "/policies/standard/4/impact" in shown, "the version's page links its impact"
    page = client.get("/policies/standard/4/impact").text
    keys = movable_keys(page)
    assert len(keys) >= 3, "the demo has projects in flight that can move"
    before = count_events(workspace, "project.policy_migrated")

    response = auth.post(
        "/policies/standard/4/move",
        {"key": keys[:2], "reason": "Adopt the benefits handover"},
        "/policies/standard/4/impact",
    )

    assert response.status_code == 302
    assert versions_of(workspace, keys[:3]) == {
        keys[0]: "standard@4",
        keys[1]: "standard@4",
        keys[2]: "standard@3",
    }
    assert count_events(workspace, "project.policy_migrated") == before + 2
    after = text_of(client, "/policies/standard/4/impact")
    assert "Moved 2 projects to standard@4." in after
    assert keys[0] not in movable_keys(client.get("/policies/standard/4/impact").text)


def test_moving_without_a_reason_or_a_choice_moves_nothing_and_says_why(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    publish_standard_v3(auth, client)
    keys = movable_keys(client.get("/policies/standard/4/impact").text)
    impact = "/policies/standard/4/impact"

    auth.post("/policies/standard/4/move", {"key": keys[:1], "reason": " "}, impact)
    no_reason = text_of(client, impact)
    auth.post("/policies/standard/4/move", {"reason": "Adopt it"}, impact)
    no_choice = text_of(client, impact)

    assert "Give a reason for moving the projects" in no_reason
    assert "Choose the projects to move" in no_choice
    assert versions_of(workspace, keys[:1]) == {keys[0]: "standard@3"}


def test_a_project_that_cannot_move_is_named_and_the_others_still_move(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    publish_standard_v3(auth, client)
    page = client.get("/policies/standard/4/impact").text
    keys = movable_keys(page)
    # One of them moves first (as another PMO member could, in another tab): now it is on
    # standard@4 and cannot move to it again.
    auth.post("/policies/standard/4/move", {"key": keys[:1], "reason": "First"}, IMPACT)

    auth.post(
        "/policies/standard/4/move",
        {"key": keys[:2], "reason": "Both"},
        "/policies/standard/4/impact",
    )

    shown = text_of(client, "/policies/standard/4/impact")
    assert f"{keys[0]} not moved:" in shown and "only move to a newer version" in shown
    assert "Moved 1 project to standard@4." in shown
    assert versions_of(workspace, keys[:2]) == {keys[0]: "standard@4", keys[1]: "standard@4"}


def test_only_the_pmo_sees_a_versions_impact_or_moves_projects(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    publish_standard_v3(auth, client)
    keys = movable_keys(client.get(IMPACT).text)
    auth.login("sponsor.king")

    assert client.get(IMPACT).status_code == 403
    response = auth.post("/policies/standard/4/move", {"key": keys[:1], "reason": "x"}, "/account")

    assert response.status_code == 403
    assert versions_of(workspace, keys[:1]) == {keys[0]: "standard@3"}
