"""End-to-end fixtures: the portal served on 127.0.0.1 over a seeded database, and Debian's
Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from web.app import create_app
from workflows.workspace import Workspace

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests save their screenshots."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture
def portal(workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The portal served by a real HTTP server on 127.0.0.1; yields its base URL."""
    monkeypatch.setenv("LOCKGATE_INSTANCE", str(tmp_path))
    app = create_app({"WORKSPACE": workspace, "SECRET_KEY": "e2e"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: object) -> Iterator[object]:
    """Pages in fresh browser contexts (one per user, so sessions do not mix)."""
    contexts = []

    def make(width: int = 1280) -> object:
        context = browser.new_context(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
