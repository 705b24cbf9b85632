"""How many projects match a filter, in one statement that reads a bounded number of rows.

The stored counts per policy version, stage and tier (portfolio_counts, kept by the database
with every change: workflows.store.portfolio_counts) answer filters by stage, tier and policy
exactly, whatever the portfolio size. Other filters (search, manager, what one may see) count
the matching projects, but no further than COUNT_LIMIT: past it the answer is "more than".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, distinct, func, select, union_all

from workflows.store.records import PolicyVersion, PortfolioCount, Project, table_of
from workflows.store.uow import UnitOfWork
from workflows.views.portfolio import ProjectFilter, S, Viewer

COUNT_LIMIT = 1_000
_COUNTS = table_of(PortfolioCount)


@dataclass(frozen=True)
class Total:
    """How many projects match: exactly `count`, or (not `exact`) more than `count`."""

    count: int
    exact: bool = True

    def __str__(self) -> str:
        return f"{self.count:,}" if self.exact else f"more than {self.count:,}"


@dataclass(frozen=True)
class StageTierCounts:
    """Projects per (stage, tier), and their total. `cells` is empty when the stored counts
    cannot answer the filter and more than COUNT_LIMIT projects match it."""

    cells: dict[tuple[str, str], int]
    total: Total


def count_by_stage_and_tier(uow: UnitOfWork, where: ProjectFilter) -> StageTierCounts:
    """Projects per (stage, tier) matching `where`; one statement, whatever the portfolio size.

    The stored counts (portfolio_counts) answer filters by stage, tier and policy; other
    filters count the matching projects, up to COUNT_LIMIT of them.
    """
    if where.counted:
        counts = _COUNTS.c
        query = select(counts.stage, counts.tier, func.sum(counts.projects))
        query = _counted(query, where).group_by(counts.stage, counts.tier)
        cells = {(stage, tier): int(n) for stage, tier, n in uow.session.execute(query) if n}
        return StageTierCounts(cells, Total(sum(cells.values())))
    matching = _first(where.apply(select(Project.stage, Project.tier))).subquery()
    query = select(matching.c.stage, matching.c.tier, func.count()).group_by(
        matching.c.stage, matching.c.tier
    )
    cells = {(stage, tier): n for stage, tier, n in uow.session.execute(query)}
    found = sum(cells.values())
    if found > COUNT_LIMIT:
        return StageTierCounts({}, Total(COUNT_LIMIT, exact=False))
    return StageTierCounts(cells, Total(found))


def project_total(uow: UnitOfWork, where: ProjectFilter) -> Total:
    """How many projects match `where`: exact from the stored counts where they answer,
    else counted up to COUNT_LIMIT; one statement."""
    if where.counted:
        query = _counted(select(func.coalesce(func.sum(_COUNTS.c.projects), 0)), where)
        return Total(int(uow.session.execute(query).scalar_one()))
    if where.visible is None:
        matching = _first(where.apply(select(Project.id))).subquery()
        query = select(func.count()).select_from(matching)
    else:
        query = _visible_count(where, where.visible)
    found = uow.session.execute(query).scalar_one()
    return Total(found) if found <= COUNT_LIMIT else Total(COUNT_LIMIT, exact=False)


def _visible_count(where: ProjectFilter, viewer: Viewer) -> Select[int]:
    """The distinct projects of the ways `viewer` sees projects, each way read up to
    COUNT_LIMIT + 1 projects: at most COUNT_LIMIT distinct ones means no way was cut short,
    so the count is exact."""
    ways = [
        _first(where.apply_fields(select(Project.id)).where(path)).subquery()
        for path in viewer.paths()
    ]
    found = union_all(*(select(way.c.id) for way in ways)).subquery()
    return select(func.count(distinct(found.c.id)))


def _first(query: S) -> S:
    """The first COUNT_LIMIT + 1 matching projects in key order. The order leaves the
    database two plans, both through an index: walk the key index while matches are
    common, or read a search's trigram index (or the person's grants) and sort the few
    found; without it PostgreSQL read the table itself for a common word."""
    return query.order_by(Project.key).limit(COUNT_LIMIT + 1)


def _counted(query: S, where: ProjectFilter) -> S:
    counts = _COUNTS.c
    if where.stage:
        query = query.where(counts.stage == where.stage)
    if where.tier:
        query = query.where(counts.tier == where.tier)
    if where.policy:
        versions = select(PolicyVersion.id).where(PolicyVersion.policy_id == where.policy)
        query = query.where(counts.policy_version_id.in_(versions))
    return query
