"""The portfolio dashboard (PMO and admins): projects by stage and tier, readiness of a page
of projects, overdue reviews; all filtered alike."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from gates.authority import PORTFOLIO
from web.conditional import revalidated
from web.paging import cursor_of, filter_args
from web.portal import requires, unit_of_work
from workflows.views.counts import count_by_stage_and_tier
from workflows.views.dashboard import PortfolioShape, overdue_reviews, portfolio_shape
from workflows.views.portfolio import ProjectFilter, project_page

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
    """Counts by stage and tier, one page of projects with their readiness, overdue reviews.

    Each part reads a bounded number of rows (bench/scale.py); a browser that holds the
    page as it is now gets 304 (web.conditional).
    """
    uow = unit_of_work()
    shape = portfolio_shape(uow)
    form = _filter_form(shape)
    form.validate()
    where = form.where()
    size = int(current_app.config.get("PAGE_SIZE", 50))
    counts = count_by_stage_and_tier(uow, where)
    return render_template(
        "portfolio/index.html",
        form=form,
        shape=shape,
        stages=_extend(shape.stages, (s for s, _ in counts.cells)),
        tiers=_extend(shape.tiers, (t for _, t in counts.cells)),
        counts=counts.cells,
        total=counts.total,
        page=project_page(uow, where, cursor_of(), size),
        filters=filter_args(FILTERS),
        overdue=overdue_reviews(uow, where, OVERDUE_LIMIT),
    )


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
