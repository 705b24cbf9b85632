"""The portal's forms carry the verbs' bounds: inputs say their length to the browser, and a
refused value is shown next to its input, never as an error page, with nothing registered."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.web.conftest import Auth
from tests.web.test_projects import INITIATION, REGISTRATION, error_next_to, manager_of
from workflows.inputs import FACT_TEXT, LONG_TEXT, SHORT_TEXT
from workflows.store.records import Project
from workflows.workspace import Workspace


def keys(workspace: Workspace) -> set[str]:
    with workspace.unit_of_work() as uow:
        return set(uow.session.execute(select(Project.key)).scalars())


def register(auth: Auth, **changes: str) -> str:
    data: dict[str, object] = {**REGISTRATION, **changes, "register": "x"}
    response = auth.post("/projects/new", data, page_url="/projects/new?policy=standard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_register_form_tells_the_browser_each_inputs_bound(
    auth: Auth, client: FlaskClient
) -> None:
    auth.login("pm.lee")

    page = client.get("/projects/new?policy=standard").get_data(as_text=True)

    assert re.search(rf'<input[^>]*id="name"[^>]*maxlength="{SHORT_TEXT}"', page)
    assert re.search(rf'<input[^>]*id="facts-business_unit"[^>]*maxlength="{FACT_TEXT}"', page)
    assert re.search(rf'<input[^>]*id="facts-budget"[^>]*maxlength="{SHORT_TEXT}"', page)


def test_an_over_long_name_is_refused_next_to_it(auth: Auth, workspace: Workspace) -> None:
    auth.login("pm.lee")
    before = keys(workspace)

    page = register(auth, name="x" * 100_000)

    assert "cannot be longer than 200 characters" in error_next_to(page, "name")
    assert keys(workspace) == before


def test_a_name_with_a_direction_override_is_refused_next_to_it(
    auth: Auth, workspace: Workspace
) -> None:
    auth.login("pm.lee")
    before = keys(workspace)

    page = html.unescape(register(auth, name="Archive\u202eenilpat"))

    assert "reverses the direction of text (U+202E)" in error_next_to(page, "name")
    assert keys(workspace) == before


def test_a_budget_of_1e400_is_refused_next_to_the_budget(auth: Auth, workspace: Workspace) -> None:
    auth.login("pm.lee")
    before = keys(workspace)

    page = html.unescape(register(auth, **{"facts-budget": "1e400"}))

    assert "1e400 is out of range" in error_next_to(page, "facts-budget")
    assert keys(workspace) == before


def test_the_facts_and_evidence_pages_tell_the_browser_the_long_text_bound(
    auth: Auth, client: FlaskClient, workspace: Workspace
) -> None:
    auth.login(manager_of(workspace, INITIATION))

    facts = client.get(f"/projects/{INITIATION}/facts").get_data(as_text=True)
    charter = client.get(f"/projects/{INITIATION}/evidence/project_charter").get_data(as_text=True)

    assert re.search(rf'<textarea[^>]*id="reason"[^>]*maxlength="{LONG_TEXT}"', facts)
    assert re.search(rf'<textarea[^>]*id="note"[^>]*maxlength="{LONG_TEXT}"', charter)
