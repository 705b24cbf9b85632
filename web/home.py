"""The start page, made for the signed-in person's roles."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from gates.signoffs import Part
from web.portal import me, unit_of_work
from workflows.views.approvals import my_approvals
from workflows.views.portfolio import ProjectFilter, project_page

blueprint = Blueprint("home", __name__)


@blueprint.route("/")
@login_required
def index() -> str:
    """What waits for me, and the projects I manage."""
    uow = unit_of_work()
    user = me()
    found = my_approvals(uow, user.record.id, Part.YOUR_TURN, 1, 10)
    managed = project_page(uow, ProjectFilter(manager=user.username), size=20).rows
    return render_template("home.html", found=found, parts=Part, managed=managed)
