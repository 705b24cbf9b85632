"""The stored state of a project read from the tables, in the shape gates.history rebuilds
from the trail, so the two can be compared after any step."""

from __future__ import annotations

from typing import Any

from gates.history import ProjectHistory
from gates.replay import project_rows
from workflows.store.uow import UnitOfWork
from workflows.verbs.reconcile import project_histories


def from_history(history: ProjectHistory) -> dict[str, Any]:
    """What the replay says of a project: every row deep verify reconciles (project,
    evidence versions, reviews, conditions, waivers) and each round's signatures."""
    return {
        **project_rows(history),
        "signatures": sorted(
            (r.gate, r.round, s.signer, s.role, s.decision, s.on_behalf_of, s.superseded)
            for r in history.rounds
            for s in r.signatures
        ),
    }


def from_tables(uow: UnitOfWork, key: str) -> dict[str, Any]:
    """What the tables hold for project `key`, in from_history's shape."""
    return from_history(project_histories(uow.session.connection(), [key])[key])
