"""Fixtures shared by the portal and browser tests."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from web.demo import seed_demo
from workflows.store.db import make_engine
from workflows.store.schema import upgrade
from workflows.workspace import Workspace


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A demo portfolio (users for every role, 25 projects) seeded once: (db file, evidence)."""
    folder = tmp_path_factory.mktemp("seed")
    database, evidence = folder / "lockgate.sqlite", folder / "evidence"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    workspace = Workspace(engine, evidence)
    seed_demo(workspace)
    workspace.dispose()
    # Fold the write-ahead log into the file, so tests that copy the file get every write.
    with closing(sqlite3.connect(database)) as connection:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert not busy, "the seeded database is still in use: its copy would miss writes"
    return database, evidence


@pytest.fixture
def workspace(seeded_database: tuple[Path, Path], tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the seeded portfolio for one test."""
    database, evidence = seeded_database
    shutil.copy(database, tmp_path / "lockgate.sqlite")
    shutil.copytree(evidence, tmp_path / "evidence")
    ws = Workspace(make_engine(f"sqlite:///{tmp_path / 'lockgate.sqlite'}"), tmp_path / "evidence")
    yield ws
    ws.dispose()
