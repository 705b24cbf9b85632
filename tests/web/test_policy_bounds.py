"""Uploading a policy past the language's bounds: a file nested too deep, or a condition that
could hang a worker, is shown as a problem with its line (not an error page), and nothing is
published."""

from __future__ import annotations

import html
import io

from sqlalchemy import select

from policies.library import LIBRARY
from policies.limits import MAX_DEPTH
from tests.web.conftest import Auth
from workflows.store.records import PolicyVersion
from workflows.workspace import Workspace

STANDARD_V2 = (
    (LIBRARY / "standard.yaml")
    .read_text(encoding="utf-8")
    .replace("version: 1\n", "version: 2\n", 1)
)
# The reported file: a value nested thousands of levels deep (a RecursionError and a 500).
DEEP = STANDARD_V2.replace("gates:\n", "description: " + "[" * 5000 + "]" * 5000 + "\ngates:\n", 1)
NUMBERS = "[" + ", ".join(str(n) for n in range(60)) + "]"
COSTLY = STANDARD_V2.replace(
    "expr: project.duration_months <= 36",
    f"expr: '{NUMBERS}.map(x, {NUMBERS}.map(y, {NUMBERS}.map(z, x + y + z))).size() > 0'",
    1,
)


def published(workspace: Workspace) -> list[str]:
    with workspace.unit_of_work() as uow:
        return [r.ref for r in uow.session.execute(select(PolicyVersion)).scalars()]


def page_of(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_a_policy_nested_thousands_deep_shows_its_problem_and_publishes_nothing(
    auth: Auth, workspace: Workspace
) -> None:
    line = next(n for n, s in enumerate(DEEP.splitlines(), 1) if s.startswith("description: ["))
    auth.login("pmo")
    before = published(workspace)

    for button in ("check", "publish"):
        page = page_of(auth.post("/policies/new", {"source": DEEP, button: button.title()}))

        assert "1 problem: nothing can be proposed yet" in page
        assert f"line {line}, column {len('description: ') + MAX_DEPTH}" in page
        assert f"nested {MAX_DEPTH + 1} levels deep" in page
    assert "Nothing was proposed" in page
    assert published(workspace) == before


def test_a_deeply_nested_policy_file_upload_shows_its_problem(auth: Auth) -> None:
    auth.login("pmo")
    upload = (io.BytesIO(DEEP.encode()), "deep.yaml")

    page = page_of(auth.post("/policies/new", {"source": "", "file": upload, "check": "Check"}))

    assert "1 problem: nothing can be proposed yet" in page
    assert "levels deep" in page and "flatten it" in page


def test_a_condition_that_could_hang_a_worker_is_shown_with_what_to_simplify(
    auth: Auth, workspace: Workspace
) -> None:
    auth.login("pmo")
    before = published(workspace)

    page = page_of(auth.post("/policies/new", {"source": COSTLY, "publish": "Propose"}))

    assert "macros (map, filter, all, exists, exists_one) nest 3 deep" in page
    assert "run their bodies 219,660 times per evaluation" in page
    assert published(workspace) == before


def test_a_file_name_with_a_direction_override_is_refused_next_to_the_file(
    auth: Auth, workspace: Workspace
) -> None:
    auth.login("pmo")
    before = published(workspace)
    upload = (io.BytesIO(STANDARD_V2.encode()), "standard\u202elmay.yaml")

    page = page_of(auth.post("/policies/new", {"source": "", "file": upload, "publish": "Propose"}))

    field = page[page.index('id="file"') :]
    assert "Nothing was proposed: the file name contains an invisible character" in field
    assert published(workspace) == before
