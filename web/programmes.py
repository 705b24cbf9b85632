"""Programme pages: the programmes (the PMO, auditors, admins) and one programme with its
projects and the totals its policies read (they and its sponsor)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import login_required

from gates.authority import SEE_PROGRAMMES
from web.portal import me, requires, unit_of_work
from workflows.errors import NotFound, Refused
from workflows.views import programmes as views

blueprint = Blueprint("programmes", __name__, url_prefix="/programmes")


@blueprint.route("/")
@login_required
@requires(SEE_PROGRAMMES)
def index() -> str:
    """Every programme, with its projects and totals."""
    uow = unit_of_work()
    found = [views.summary(uow, p) for p in views.programmes(uow)]
    return render_template("programmes/index.html", programmes=found)


@blueprint.route("/<key>")
@login_required
def show(key: str) -> str:
    """One programme: its sponsor, its projects (stage, tier) and their totals; 404 for
    someone who may not see it."""
    try:
        found = views.programme_summary(unit_of_work(), me().actor, key)
    except (NotFound, Refused):
        abort(404)
    return render_template("programmes/show.html", programme=found)
