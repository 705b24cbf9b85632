"""The dashboard's counts: how many projects share each policy version, stage and tier.

Triggers on `projects` (migration 0006) keep `portfolio_counts` in the transaction of every
change to a project's policy version, stage or tier, whichever verb (or script) makes it.
A bulk load that bypasses the triggers rebuilds the table afterwards.
"""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from workflows.store.records import PortfolioCount, Project, table_of

_COUNTS = table_of(PortfolioCount)
_GROUPED = select(
    Project.policy_version_id, Project.stage, Project.tier, func.count(Project.id)
).group_by(Project.policy_version_id, Project.stage, Project.tier)


def rebuild(session: Session) -> int:
    """Recount every cell from the projects, in `session`'s transaction; returns the cells.

    For a bulk load that bypassed the triggers (bench/scale.py); the triggers keep the counts
    otherwise.
    """
    session.execute(delete(_COUNTS))
    columns = ["policy_version_id", "stage", "tier", "projects"]
    session.execute(insert(_COUNTS).from_select(columns, _GROUPED))
    return session.execute(select(func.count()).select_from(_COUNTS)).scalar_one()


def grouped(session: Session) -> dict[tuple[int, str, str], int]:
    """The counts worked out from the projects themselves (what the table must equal)."""
    return {(v, s, t): n for v, s, t, n in session.execute(_GROUPED)}


def stored(session: Session) -> dict[tuple[int, str, str], int]:
    """The non-zero counts the table holds."""
    query = select(_COUNTS).where(_COUNTS.c.projects != 0)
    return {(v, s, t): n for v, s, t, n in session.execute(query)}
