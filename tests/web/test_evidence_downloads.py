"""Downloading evidence: every file is checked against its record before a byte is sent."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.web.conftest import Auth
from workflows.store.evidence import FolderStore
from workflows.store.records import ArtifactVersion, Project
from workflows.workspace import Workspace

IN_EXECUTION = "PRJ-102"
CHARTER = f"/projects/{IN_EXECUTION}/evidence/project_charter/v1"


def charter_file(workspace: Workspace):
    """The stored file of the project's charter, version 1."""
    query = (
        select(ArtifactVersion.digest)
        .join(Project, Project.id == ArtifactVersion.project_id)
        .where(Project.key == IN_EXECUTION, ArtifactVersion.artifact_id == "project_charter")
    )
    with workspace.unit_of_work(read_only=True) as uow:
        digest = uow.session.execute(query).scalar_one()
    store = workspace.evidence
    assert isinstance(store, FolderStore)
    return store.path(digest)


def test_a_file_that_matches_its_record_downloads(client: FlaskClient, auth: Auth, workspace):
    auth.login("finance")

    response = client.get(CHARTER)

    assert response.status_code == 200
    assert response.data == charter_file(workspace).read_bytes()
    response.close()


def test_a_tampered_file_is_not_served_and_the_page_says_to_tell_an_admin(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    path = charter_file(workspace)
    path.chmod(0o644)
    path.write_bytes(b"Project charter, quietly rewritten after the sponsor signed")
    auth.login("finance")

    response = client.get(CHARTER)

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Content-Disposition" not in response.headers
    assert "The stored file does not match its record" in html
    assert "Tell an admin" in html
    assert "quietly rewritten" not in html


def test_a_missing_file_is_not_served_and_the_page_says_to_tell_an_admin(
    client: FlaskClient, auth: Auth, workspace: Workspace
) -> None:
    charter_file(workspace).unlink()
    auth.login("finance")

    response = client.get(CHARTER)

    assert response.status_code == 500
    assert "The stored file is missing. Tell an admin" in response.get_data(as_text=True)
