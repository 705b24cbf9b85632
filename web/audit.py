"""The audit trail for auditors, the PMO and admins: read it, verify it, export it.

Reading and verifying change nothing; an export is itself recorded (who took what)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from flask import Blueprint, Response, render_template, request
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, Length, Optional
from wtforms.widgets import HiddenInput

from gates.authority import AUDIT
from gates.chain import Verification
from gates.replay import Mismatch
from web.paging import cursor_of, filter_args
from web.portal import flash_refusal, me, requires, unit_of_work
from workflows.errors import InvalidInput, LockgateError
from workflows.inputs import PROJECT_KEY, USERNAME
from workflows.verbs.audit import EventFilter, export_events, verify_trail
from workflows.views.audit import FORMATS, event_filter, event_page

blueprint = Blueprint("audit", __name__, url_prefix="/audit")

CHECKPOINT_BYTES = 64 * 1024
SPOOL_BYTES = 8 * 1024 * 1024
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
FILTERS = ("project", "actor", "action", "since", "until")


class FilterForm(FlaskForm):
    """Which events to list: a GET form, so a filtered page has an address of its own."""

    class Meta:
        csrf = False

    project = StringField("Project", validators=[Optional(), Length(max=PROJECT_KEY)])
    actor = StringField("Actor", validators=[Optional(), Length(max=USERNAME)])
    action = StringField("Action starts with", validators=[Optional(), Length(max=80)])
    since = DateField("From (UTC)", validators=[Optional()])
    until = DateField("To (UTC, inclusive)", validators=[Optional()])


class ExportForm(FlaskForm):
    """Download the filtered events; the filter rides along in hidden fields."""

    project = HiddenField(validators=[Optional(), Length(max=PROJECT_KEY)])
    actor = HiddenField(validators=[Optional(), Length(max=USERNAME)])
    action = HiddenField(validators=[Optional(), Length(max=80)])
    since = DateField(widget=HiddenInput(), validators=[Optional()])
    until = DateField(widget=HiddenInput(), validators=[Optional()])
    format = SelectField(
        "Format",
        choices=[SelectChoice("csv", "CSV"), SelectChoice("jsonl", "JSON lines")],
        validators=[AnyOf(FORMATS)],
    )


class VerifyForm(FlaskForm):
    checkpoint = FileField("Checkpoint file (optional)")
    deep = BooleanField("Also reconcile the tables with the trail (deep)")


def _filter_of(form: FilterForm | ExportForm) -> EventFilter:
    return event_filter(
        form.project.data, form.actor.data, form.action.data, form.since.data, form.until.data
    )


@blueprint.route("/")
@login_required
@requires(AUDIT)
def index() -> str:
    """The trail newest first, 100 events a page (paged by seq: "older" and "newer" pages
    start after the last event seen), filtered by project, actor, action, dates."""
    form = FilterForm(formdata=request.args)
    form.validate()  # a value that does not parse is left out of the filter and shown
    where = _filter_of(form)
    page = event_page(unit_of_work(), where, cursor_of(int))
    export = ExportForm(
        formdata=None, data={k: v for k, v in form.data.items() if k != "csrf_token"}
    )
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        args=filter_args(FILTERS),
        export=export,
        verify=VerifyForm(formdata=None),
    )


@blueprint.route("/verify", methods=["POST"])
@login_required
@requires(AUDIT)
def verify() -> str:
    """Verify the whole chain (and a checkpoint, when one is uploaded); show the verdict."""
    form = VerifyForm()
    result, text, mismatches = None, None, list[Mismatch]()
    if form.validate_on_submit():
        text = _checkpoint_text(form)
        found = None if form.checkpoint.errors else _verified(form, text)
        if found is not None:
            result, mismatches = found
    return render_template(
        "audit/verify.html",
        form=form,
        result=result,
        checkpoint=bool(text),
        deep=bool(form.deep.data),
        mismatches=mismatches,
    )


def _verified(form: VerifyForm, text: str | None) -> tuple[Verification, list[Mismatch]] | None:
    try:
        return verify_trail(unit_of_work(), me().actor, text, deep=bool(form.deep.data))
    except InvalidInput as error:
        form.checkpoint.errors.extend(error.problems.values())
    except LockgateError as error:
        flash_refusal(error)
    return None


def _checkpoint_text(form: VerifyForm) -> str | None:
    upload = form.checkpoint.data
    if not upload or not upload.filename:
        return None
    raw = upload.read(CHECKPOINT_BYTES + 1)
    if len(raw) > CHECKPOINT_BYTES:
        form.checkpoint.errors.append("A checkpoint file is a few hundred bytes: this is not one.")
        return None
    try:
        return str(raw.decode("utf-8"))
    except UnicodeDecodeError:
        form.checkpoint.errors.append("The checkpoint file is not UTF-8 text.")
        return None


@blueprint.route("/export", methods=["POST"])
@login_required
@requires(AUDIT)
def export() -> Response | tuple[str, int]:
    """The filtered events as a CSV or JSON lines download; the export is recorded."""
    form = ExportForm()
    if not form.validate_on_submit():
        text = "The export form was incomplete or expired. Go back, reload and try again."
        return render_template("errors/error.html", title="Cannot export", text=text), 400
    uow = unit_of_work()
    out: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by the response
        max_size=SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
    )
    try:
        export_events(uow, me().actor, out, form.format.data, _filter_of(form))
        uow.commit()
    except LockgateError as error:
        out.close()
        return render_template("errors/error.html", title="Cannot export", text=str(error)), 403
    out.seek(0)
    stamp = uow.now.strftime("%Y%m%dT%H%M%SZ")
    response = Response(_chunks(out), mimetype=MEDIA_TYPES[form.format.data])
    name = f"lockgate-audit-{stamp}.{form.format.data}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _chunks(handle: IO[str]) -> Iterator[Any]:
    with handle:
        while chunk := handle.read(64 * 1024):
            yield chunk
