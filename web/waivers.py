"""The waiver pages: one project's waivers (request one; approve, deny or revoke where
gates.authority allows) and the portfolio's, filtered by status and paged by key."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from gates.authority import PORTFOLIO, REQUEST_WAIVER
from web.paging import cursor_of, filter_args
from web.portal import flash_refusal, me, place_refusals, project_or_404, requires, unit_of_work
from web.project_forms import ConfirmForm
from workflows.errors import LockgateError, Refused
from workflows.state import gate_of, policy_of
from workflows.store.records import Project
from workflows.store.uow import UnitOfWork
from workflows.verbs import waivers as verbs
from workflows.views import waivers as views

blueprint = Blueprint("waivers", __name__)

LONG_TEXT = 4000
STATUS_LABELS = {
    "": "Any status",
    "requested": "Requested",
    "approved": "Approved",
    "denied": "Denied",
    "revoked": "Revoked",
    "expired": "Expired",
    views.NO_EXPIRY: "No expiry (granted before expiries were required)",
}


class RequestForm(FlaskForm):
    """Request a waiver of one requirement of the next gate."""

    requirement = SelectField("Requirement", validators=[DataRequired()])
    justification = TextAreaField(
        "Justification", validators=[DataRequired(), Length(max=LONG_TEXT)], render_kw={"rows": 3}
    )
    expires_at = DateField("Expires on (UTC)", validators=[DataRequired()])


class ReasonForm(FlaskForm):
    """Deny or revoke a waiver: the reason is recorded in the trail."""

    reason = TextAreaField(
        "Reason", validators=[DataRequired(), Length(max=LONG_TEXT)], render_kw={"rows": 2}
    )


@blueprint.route("/projects/<key>/waivers", methods=["GET", "POST"])
@login_required
def project(key: str) -> str | Response:
    """The project's waivers, newest first, and the form to request one."""
    found, granted = project_or_404(key)
    uow = unit_of_work()
    form = None
    if granted.may(REQUEST_WAIVER):
        form = RequestForm()
        form.requirement.choices = _waivable(uow, found)
        if form.validate_on_submit() and _request(uow, key, form):
            return redirect(url_for("waivers.project", key=key))
    return render_template(
        "waivers/project.html",
        project=found,
        rows=views.project_waivers(uow, me().actor, key),
        form=form,
        confirm=ConfirmForm(),
        reason_form=ReasonForm(),
    )


def _waivable(uow: UnitOfWork, found: Project) -> list[tuple[str, str]]:
    """The requirements of the next gate the policy lets be waived."""
    try:
        gate = gate_of(policy_of(uow, found), found, None)
    except LockgateError:
        return []
    return [(r.key, f"{gate.name}: {r.key}") for r in gate.requirements if r.waivable_by]


def _request(uow: UnitOfWork, key: str, form: RequestForm) -> bool:
    """Request the waiver the form describes; False (with the reasons shown) when refused."""
    until = datetime.combine(form.expires_at.data, time(), tzinfo=UTC)
    try:
        waiver = verbs.request_waiver(
            uow, me().actor, key, form.requirement.data, form.justification.data, until
        )
        uow.commit()
    except Refused as error:
        place_refusals(
            error,
            {
                "justification": form.justification.errors,
                "expires_at": form.expires_at.errors,
                "requirement": form.requirement.errors,
            },
        )
        return False
    except LockgateError as error:
        flash_refusal(error)
        return False
    flash(
        f"Waiver {waiver.id} of {waiver.requirement} is requested: it awaits approval.", "success"
    )
    return True


@blueprint.route("/projects/<key>/waivers/<int:waiver_id>/<action>", methods=["POST"])
@login_required
def decide(key: str, waiver_id: int, action: str) -> Response:
    """Approve, deny (with a reason) or revoke (with a reason) a waiver; refusals in words.
    The verb reads the waiver's own project: `key` only says which page to go back to."""
    if action not in ("approve", "deny", "revoke"):
        abort(404)
    project_or_404(key)
    uow = unit_of_work()
    valid = ConfirmForm().validate_on_submit() if action == "approve" else None
    reason_form = ReasonForm() if action != "approve" else None
    if reason_form is not None:
        valid = reason_form.validate_on_submit()
    if not valid:
        flash("Give a reason: it is recorded with the change.", "error")
        return redirect(url_for("waivers.project", key=key))
    reason = reason_form.reason.data if reason_form is not None else ""
    try:
        if action == "approve":
            waiver = verbs.approve_waiver(uow, me().actor, waiver_id)
        elif action == "deny":
            waiver = verbs.deny_waiver(uow, me().actor, waiver_id, reason or "")
        else:
            waiver = verbs.revoke_waiver(uow, me().actor, waiver_id, reason or "")
        uow.commit()
    except LockgateError as error:
        flash_refusal(error)
    else:
        flash(f"Waiver {waiver.id} of {waiver.requirement} is {waiver.status}.", "success")
    return redirect(url_for("waivers.project", key=key))


@blueprint.route("/waivers")
@login_required
@requires(PORTFOLIO)
def index() -> str:
    """Every project's waivers with one status (or none), newest first, paged by key."""
    status = request.args.get("status", "")
    if status not in STATUS_LABELS:
        abort(400)
    page = views.portfolio_waivers(
        unit_of_work(), me().actor, status or None, cursor_of(int), current_app.config["PAGE_SIZE"]
    )
    return render_template(
        "waivers/index.html",
        page=page,
        status=status,
        labels=STATUS_LABELS,
        args=filter_args(("status",)),
    )
