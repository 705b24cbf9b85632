"""The start page, made for the signed-in person's roles."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from web.portal import me, unit_of_work
from workflows.views.approvals import approvals_for
from workflows.views.portfolio import ProjectFilter, project_page

blueprint = Blueprint("home", __name__)


@blueprint.route("/")
@login_required
def index() -> str:
    """What waits for me, and the projects I manage."""
    uow = unit_of_work()
    user = me()
    approvals = approvals_for(uow, user.record, user.roles, limit=50)
    managed = project_page(uow, ProjectFilter(manager=user.username), size=20).rows
    return render_template(
        "home.html", approvals=approvals[:10], waiting=len(approvals), managed=managed
    )
