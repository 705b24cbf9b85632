"""Your delegations: the ones you gave and received, a form to delegate a role you hold, and
revoking (yours, or any for an admin). The rules are the verbs' (gates.delegations)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, DecimalField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from gates.authority import ADMINISTER
from gates.delegations import revoke_refusals
from web.portal import flash_refusal, me, place_refusals, reader, unit_of_work
from workflows.errors import InvalidInput, LockgateError, NotFound, Refused
from workflows.inputs import LONG_TEXT, SHORT_TEXT
from workflows.state import load_project
from workflows.verbs import users

blueprint = Blueprint("delegations", __name__, url_prefix="/account/delegations")


class DelegateForm(FlaskForm):
    delegate = StringField("Delegate to (username)", validators=[DataRequired(), Length(max=80)])
    role = StringField("Role", validators=[DataRequired(), Length(max=SHORT_TEXT)])
    project = StringField("Project key", validators=[Optional(), Length(max=40)])
    starts = DateField("From", validators=[Optional()])
    ends = DateField("Until (last day, inclusive)", validators=[DataRequired()])
    budget_limit = DecimalField(
        "Budget limit", places=2, validators=[Optional(), NumberRange(min=0)]
    )
    reason = TextAreaField("Reason", validators=[Length(max=LONG_TEXT)])


class RevokeForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=LONG_TEXT)])


def _page(form: DelegateForm, status: int = 200, after_write: bool = False) -> tuple[str, int]:
    uow = unit_of_work() if after_write else reader()
    admin = me().may(ADMINISTER)  # admins see and may revoke every delegation
    found = users.delegations_of(uow, me().actor, everyone=admin)
    rows = [(d, users.delegation_status(d, uow.now)) for d in found]
    # Who may revoke is gates.delegations' answer; an ended one is not offered (it is moot).
    roles, username = frozenset(me().roles), me().username
    revocable = {
        d.id
        for d, state in rows
        if state in ("active", "upcoming")
        and not revoke_refusals(username, roles, d.delegator.username, d.revoked_at is not None)
    }
    page = render_template(
        "account/delegations.html",
        form=form,
        revoke=RevokeForm(formdata=None),
        rows=rows,
        revocable=revocable,
        admin=admin,
    )
    return page, status


@blueprint.route("/")
@login_required
def index() -> tuple[str, int]:
    """The delegations you gave and received, and a form to delegate."""
    return _page(DelegateForm(formdata=None))


@blueprint.route("/", methods=["POST"])
@login_required
def create() -> tuple[str, int] | Response:
    """Delegate a role you hold; every refusal is shown next to the input it concerns."""
    form = DelegateForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    uow = unit_of_work()
    try:
        project = load_project(uow, form.project.data.strip()) if form.project.data else None
    except NotFound as error:
        form.project.errors = [f"{error} Leave it empty to delegate wherever you hold the role."]
        return _page(form, 400)
    starts = _day(form.starts.data) if form.starts.data else uow.now
    ends = _day(form.ends.data) + timedelta(days=1) if form.ends.data else None
    try:
        users.delegate(
            uow, me().actor, form.delegate.data.strip(), form.role.data.strip(), starts, ends,
            project, form.reason.data or "", form.budget_limit.data,
        )  # fmt: skip
    except Refused as error:
        place_refusals(error, _fields(form))
        return _page(form, 400)
    except InvalidInput as error:
        for name, problem in error.problems.items():
            getattr(form, name, form.delegate).errors.append(problem)
        return _page(form, 400)
    except LockgateError as error:
        flash_refusal(error)
        return _page(form, 400)
    uow.commit()
    flash(f"{form.delegate.data} may now act as {form.role.data} for you.", "info")
    return redirect(url_for("delegations.index"))


def _day(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time(), UTC)


def _fields(form: DelegateForm) -> dict[str, list[str]]:
    """Each input a refusal may name (gates.delegations' field keys): its error list."""
    inputs = {"delegate": form.delegate, "role": form.role, "ends_at": form.ends}
    inputs["budget_limit"] = form.budget_limit
    for found in inputs.values():
        found.errors = list(found.errors)
    return {key: found.errors for key, found in inputs.items()}


@blueprint.route("/<int:delegation_id>/revoke", methods=["POST"])
@login_required
def revoke(delegation_id: int) -> Response:
    """Revoke a delegation now (yours, or any for an admin), with a reason."""
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Say why the delegation is revoked.", "error")
        return redirect(url_for("delegations.index"))
    uow = unit_of_work()
    try:
        users.revoke_delegation(uow, me().actor, delegation_id, form.reason.data or "")
    except LockgateError as error:
        flash_refusal(error)
    else:
        uow.commit()
        flash(f"Delegation {delegation_id} is revoked.", "info")
    return redirect(url_for("delegations.index"))
