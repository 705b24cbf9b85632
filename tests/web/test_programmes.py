"""Programme pages: a project's page shows its programme and siblings; the programme's page
lists its projects and totals, for the PMO, auditors, admins and its sponsor only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.actors import demo_actor
from workflows.store.records import Project
from workflows.verbs import programmes
from workflows.workspace import Workspace


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def programme(workspace: Workspace) -> tuple[str, str]:
    """Programme ERP (sponsor.ali) with the first two demo projects in it; their keys."""
    with workspace.unit_of_work() as uow:
        first_two = select(Project.key).order_by(Project.id).limit(2)
        keys = list(uow.session.execute(first_two).scalars())
        pmo = demo_actor(uow, "pmo")
        programmes.create_programme(uow, pmo, "ERP", "ERP renewal", "sponsor.ali")
        for key in keys:
            programmes.add_project(uow, pmo, "ERP", key, "One renewal", propose=False)
        uow.commit()
    return keys[0], keys[1]


def test_a_projects_page_shows_its_programme_and_its_siblings(programme, auth, client):
    first, second = programme
    auth.login("pmo")

    page = text(client.get(f"/projects/{first}"))

    assert "Programme ERP: ERP renewal" in page
    assert f'href="/projects/{second}"' in page
    assert "Sponsored by sponsor.ali" in page


def test_the_programme_page_lists_its_projects_and_totals(programme, auth, client):
    auth.login("sponsor.ali")

    page = text(client.get("/programmes/ERP"))

    assert all(key in page for key in programme)
    assert "Total budget" in page


def test_someone_neither_pmo_auditor_nor_its_sponsor_does_not_see_the_programme(
    programme, auth, client
):
    auth.login("pm.lee")

    assert client.get("/programmes/ERP").status_code == 404
    assert client.get("/programmes/").status_code == 403


def test_an_auditor_lists_every_programme_as_they_open_each(programme, auth, client):
    auth.login("auditor")

    assert 'href="/programmes/ERP"' in text(client.get("/programmes/"))
    assert client.get("/programmes/ERP").status_code == 200


def test_the_pmo_finds_every_programme_from_the_navigation(programme, auth, client):
    auth.login("pmo")

    home = text(client.get("/"))
    listed = text(client.get("/programmes/"))

    assert 'href="/programmes/"' in home
    assert 'href="/programmes/ERP"' in listed and "sponsor.ali" in listed
