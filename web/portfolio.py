"""The portfolio dashboard (PMO and admins): projects by stage and tier and the overdue
reviews, filtered alike; each count leads to those projects' list, where their readiness is
(web.projects)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from gates.authority import PORTFOLIO
from web.conditional import revalidated
from web.paging import filter_args
from web.portal import requires, unit_of_work
from workflows.views.counts import count_by_stage_and_tier
from workflows.views.dashboard import PortfolioShape, overdue_reviews, portfolio_shape
from workflows.views.portfolio import ProjectFilter

blueprint = Blueprint("portfolio", __name__, url_prefix="/portfolio")

OVERDUE_LIMIT = 20
FILTERS = ("stage", "tier", "policy", "search")


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it reads, it changes nothing

    stage = SelectField("Stage", validators=[Optional()])
    tier = SelectField("Tier", validators=[Optional()])
    policy = SelectField("Policy", validators=[Optional()])
    search = SearchField("Key or name", validators=[Optional(), Length(max=100)])

    def where(self) -> ProjectFilter:
        """The filter of the fields that hold a valid value."""
        valid = {f.name: f.data or None for f in self if not f.errors}
        return ProjectFilter(
            stage=valid.get("stage"),
            tier=valid.get("tier"),
            policy=valid.get("policy"),
            search=(valid.get("search") or "").strip() or None,
        )


@blueprint.route("/")
@login_required
@requires(PORTFOLIO)
@revalidated
def index() -> str:
    """Counts by stage and tier and the overdue reviews.

    What every PMO opens first, so it reads little: the stored counts and the twenty longest
    overdue reviews, whatever the portfolio's size (bench/scale.py). Each count links to the
    projects list filtered alike, which shows their readiness page by page. A browser that
    holds the page as it is now gets 304 (web.conditional).
    """
    uow = unit_of_work()
    shape = portfolio_shape(uow)
    form = _filter_form(shape)
    form.validate()
    where = form.where()
    counts = count_by_stage_and_tier(uow, where)
    tiers = _extend(shape.tiers, (t for _, t in counts.cells))
    return render_template(
        "portfolio/index.html",
        form=form,
        tiers=tiers,
        grid=_grid(_extend(shape.stages, (s for s, _ in counts.cells)), tiers, counts.cells, where),
        total=counts.total,
        filters=filter_args(FILTERS),
        overdue=overdue_reviews(uow, where, OVERDUE_LIMIT),
    )


@dataclass(frozen=True)
class Cell:
    """A count of the dashboard, and the address of the projects it counts."""

    count: int
    href: str


def _grid(
    stages: list[str], tiers: list[str], counts: dict[tuple[str, str], int], where: ProjectFilter
) -> list[tuple[str, list[Cell], Cell]]:
    """Per stage: its label, a cell per tier and the stage's total; each cell links to the
    projects list filtered alike (built here: the page every PMO opens first)."""
    base = url_for("projects.index")
    listed = {"policy": where.policy, "q": where.search}
    kept = urlencode({name: value for name, value in listed.items() if value})
    prefix = f"{base}?{kept}&stage=" if kept else f"{base}?stage="
    # Quoted once per stage and per tier: forty cells, one page every PMO opens first.
    tier_part = {tier: f"&tier={quote_plus(tier)}" for tier in tiers}
    grid = []
    for stage in stages:
        here = prefix + quote_plus(stage)
        cells = [Cell(counts.get((stage, tier), 0), here + tier_part[tier]) for tier in tiers]
        total = Cell(sum(c.count for c in cells), here)
        grid.append((stage.replace("_", " "), cells, total))
    return grid


def _filter_form(shape: PortfolioShape) -> FilterForm:
    form = FilterForm(formdata=request.args)
    form.stage.choices = [("", "Any stage")] + [(s, s.replace("_", " ")) for s in shape.stages]
    form.tier.choices = [("", "Any tier")] + [(t, t) for t in shape.tiers]
    form.policy.choices = [("", "Any policy")] + [(p, p) for p in shape.policies]
    return form


def _extend(known: tuple[str, ...], found: Any) -> list[str]:
    """The known values in order, then any other value found in the counts."""
    extra = sorted(set(found) - set(known))
    return [*known, *extra]
