"""The policy library: read every published version, see its gate flow, and (PMO) check, diff
and publish a new version."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from gates.authority import PUBLISH
from policies.limits import MAX_POLICY_BYTES
from web.diagram import describe_flow, gate_flow_svg
from web.portal import me, requires, unit_of_work
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.verbs.publishing import publish
from workflows.views import policies as policy_views

blueprint = Blueprint("policies", __name__, url_prefix="/policies")

MAX_POLICY_CHARS = MAX_POLICY_BYTES  # a character is at least a byte: the loader says more
PASTED = "pasted policy"


class PolicyUploadForm(FlaskForm):
    source = TextAreaField(
        "Policy (YAML)",
        validators=[Length(max=MAX_POLICY_CHARS)],
        render_kw={"rows": 22, "spellcheck": "false", "class": "mono", "autocomplete": "off"},
    )
    file = FileField(
        "Or choose a file",
        validators=[FileAllowed(["yaml", "yml"], "Choose a .yaml or .yml file.")],
    )
    check = SubmitField("Check")
    publish = SubmitField("Publish")


@blueprint.route("/")
@login_required
def index() -> str:
    """Every published policy version, grouped by policy, newest first."""
    shelves = policy_views.library(unit_of_work())
    return render_template(
        "policies/index.html",
        shelves=shelves,
        can_publish=PUBLISH.allows_roles(frozenset(me().roles)),
    )


@blueprint.route("/<policy_id>/<int:version>")
@login_required
def show(policy_id: str, version: int) -> str:
    """One published version, laid out for reading, with its gate-flow diagram and source."""
    try:
        sheet = policy_views.policy_sheet(unit_of_work(), policy_id, version)
    except NotFound:
        abort(404)
    flow = describe_flow(*policy_views.gate_flow(sheet.policy))
    return render_template(
        "policies/show.html",
        sheet=sheet,
        flow=flow,
        can_publish=PUBLISH.allows_roles(frozenset(me().roles)),
    )


@blueprint.route("/<policy_id>/<int:version>/diagram.svg")
@login_required
def diagram(policy_id: str, version: int) -> Response:
    """The gate flow as SVG, drawn from the machine definition the engine runs."""
    try:
        policy = policy_views.published_policy(unit_of_work(), policy_id, version)
    except NotFound:
        abort(404)
    response = Response(gate_flow_svg(*policy_views.gate_flow(policy)), mimetype="image/svg+xml")
    # A published version never changes, so the picture may be kept for a while.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@blueprint.route("/new", methods=["GET", "POST"])
@login_required
@requires(PUBLISH)
def upload() -> str | BaseResponse:
    """Check a policy file (its problems with line numbers, or its changes), then publish it."""
    form = PolicyUploadForm()
    preview = None
    if form.validate_on_submit():
        text, name = _uploaded(form)
        if text is not None:
            uow = unit_of_work()
            if form.publish.data:
                published = _publish(form, text, name)
                if published is not None:
                    return published
            preview = policy_views.preview_policy(uow, text, name)
    return render_template("policies/upload.html", form=form, preview=preview)


def _uploaded(form: PolicyUploadForm) -> tuple[str | None, str]:
    """The text to check (a chosen file wins over the text box) and its name for messages."""
    upload = form.file.data
    if upload and upload.filename:
        try:
            text = upload.read(MAX_POLICY_CHARS + 1).decode("utf-8")
        except UnicodeDecodeError:
            form.file.errors.append("The file is not UTF-8 text.")
            return None, ""
        if len(text) > MAX_POLICY_CHARS:
            form.file.errors.append(f"The file is over {MAX_POLICY_CHARS // 1024} KB.")
            return None, ""
        form.source.data = text
        return text, upload.filename
    if not (form.source.data or "").strip():
        form.source.errors.append("Paste the policy here, or choose a file.")
        return None, ""
    return form.source.data, PASTED


def _publish(form: PolicyUploadForm, text: str, name: str) -> BaseResponse | None:
    """Publish and redirect to the new version; on a refusal, say why next to the source."""
    uow = unit_of_work()
    try:
        row = publish(uow, me().actor, text, name)
    except InvalidInput as error:
        if "name" in error.problems:  # the file's name, not its text
            form.file.errors.append(
                f"Nothing was published: the file name {error.problems['name']}"
            )
        else:
            form.source.errors.append("Nothing was published: the policy has problems (below).")
        return None
    except Refused as error:
        form.source.errors.extend(["Nothing was published.", *error.reasons])
        return None
    uow.commit()
    flash(f"Published {row.ref}: {row.title}. A published version never changes.", "success")
    return redirect(url_for("policies.show", policy_id=row.policy_id, version=row.version))
