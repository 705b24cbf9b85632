"""The change request pages: one request with its impact and approvals, and the buttons to
approve, reject or withdraw it that gates.authority allows the signed-in user."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from web.portal import flash_refusal, me, unit_of_work
from web.project_forms import ConfirmForm, MoveForm
from workflows.errors import LockgateError, NotFound, Refused
from workflows.verbs import change_requests as verbs
from workflows.views import change_requests as views

blueprint = Blueprint("changes", __name__, url_prefix="/changes")


@blueprint.route("/<int:change_id>")
@login_required
def show(change_id: int) -> str:
    """One change request; 404 when it does not exist or its project is not the user's."""
    try:
        page = views.change_request(unit_of_work(), me().actor, change_id)
    except (NotFound, Refused):
        abort(404)
    return render_template(
        "changes/show.html", page=page, confirm=ConfirmForm(), reject_form=MoveForm()
    )


@blueprint.route("/<int:change_id>/approve", methods=["POST"])
@login_required
def approve(change_id: int) -> Response:
    """Approve the change request as one approver role; the last approval applies it."""
    if ConfirmForm().validate_on_submit():
        _run(change_id, "approved", lambda uow: verbs.approve_change(uow, me().actor, change_id))
    return redirect(url_for("changes.show", change_id=change_id))


@blueprint.route("/<int:change_id>/reject", methods=["POST"])
@login_required
def reject(change_id: int) -> Response:
    """Reject the change request with a reason."""
    form = MoveForm()
    if not form.validate_on_submit():
        flash("Give a reason: it is recorded with the rejection.", "error")
    else:
        reason = form.reason.data or ""
        _run(
            change_id,
            "rejected",
            lambda uow: verbs.reject_change(uow, me().actor, change_id, reason),
        )
    return redirect(url_for("changes.show", change_id=change_id))


@blueprint.route("/<int:change_id>/withdraw", methods=["POST"])
@login_required
def withdraw(change_id: int) -> Response:
    """Withdraw the change request (its proposer)."""
    if ConfirmForm().validate_on_submit():
        _run(change_id, "withdrawn", lambda uow: verbs.withdraw_change(uow, me().actor, change_id))
    return redirect(url_for("changes.show", change_id=change_id))


def _run(change_id: int, done: str, verb: object) -> None:
    uow = unit_of_work()
    try:
        record = verb(uow)  # type: ignore[operator]
        uow.commit()
    except LockgateError as error:
        flash_refusal(error)
        return
    status = "approved and applied" if record.status == "applied" else done
    flash(f"Change request {change_id} is {status}.", "success")
