"""Migration 0010 turns each waiver granted by one person into an approved one (revoked if it
was), requested and decided by its granter; and can be undone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.schema.test_portfolio_counts_migration import PROJECT, ROWS, migrate
from workflows.store.db import make_engine
from workflows.store.schema import head_revision, upgrade

WAIVER = (
    "INSERT INTO waivers (project_id, gate_id, requirement, justification, granted_by, "
    "granted_role, granted_at, expires_at, revoked_at) VALUES (1, 'initiation', :requirement, "
    "'Mandate', 'pia', 'pmo', '2026-01-02 00:00:00', NULL, :revoked_at)"
)
READ = (
    "SELECT requirement, status, requested_by, requested_at, decided_by, expires_at "
    "FROM waivers ORDER BY id"
)


def test_waivers_granted_alone_become_approved_ones_requested_and_decided_by_their_granter(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine, "0008")
    with engine.begin() as connection:
        for statement in ROWS:
            connection.execute(text(statement))
        connection.execute(text(PROJECT), {"key": "A-1", "stage": "initiation", "tier": "large"})
        connection.execute(text(WAIVER), {"requirement": "artifact:a", "revoked_at": None})
        revoked = {"requirement": "artifact:b", "revoked_at": "2026-01-03 00:00:00"}
        connection.execute(text(WAIVER), revoked)

    upgrade(engine)

    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(READ))]
    engine.dispose()
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in rows] == [
        ("artifact:a", "approved", "pia", "pia", None),
        ("artifact:b", "revoked", "pia", "pia", None),
    ]
    assert all(r[3] is not None for r in rows)


def test_the_revision_can_be_undone_and_done_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)

    migrate(engine, "0008", downgrade=True)
    upgrade(engine)

    assert upgrade(engine) == (head_revision(engine), head_revision(engine))
    engine.dispose()
