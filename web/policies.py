"""The policy library: read every published version, see its gate flow, and (PMO) check, diff
and propose a new version, which another PMO member approves (publishes) or rejects."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from gates.authority import MIGRATE, PUBLISH, authority
from policies.limits import MAX_POLICY_BYTES
from policies.loader import check_policy_text
from policies.model import Policy
from web.diagram import describe_flow, gate_flow_svg
from web.paging import cursor_of
from web.portal import flash_refusal, me, requires, unit_of_work, workspace
from workflows.authority import person_on
from workflows.errors import InvalidInput, LockgateError, NotFound, Refused
from workflows.inputs import LONG_TEXT
from workflows.verbs import migration, proposals
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
    publish = SubmitField("Propose")


class ProposalAnswerForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Length(max=LONG_TEXT)], render_kw={"rows": 2})


@blueprint.route("/")
@login_required
def index() -> str:
    """Every published policy version, grouped by policy, newest first."""
    uow = unit_of_work()
    shelves = policy_views.library(uow)
    waiting = proposals.proposals(uow)
    reader = authority(person_on(uow, me().username, None))
    pmo = proposals.active_pmo(uow) if waiting else frozenset()
    answerable = {p.id for p in waiting if not reader.approve_proposal(p.proposed_by, pmo)}
    return render_template(
        "policies/index.html",
        shelves=shelves,
        can_publish=PUBLISH.allows_roles(frozenset(me().roles)),
        proposals=waiting,
        answerable=answerable,
        answer_form=ProposalAnswerForm(formdata=None),
    )


@blueprint.route("/proposals/<int:proposal_id>/impact")
@login_required
@requires(MIGRATE)
def proposal_impact(proposal_id: int) -> str:
    """What a proposed version would change for every in-flight project on an older version
    of its policy (the PMO), before anyone approves it."""
    uow = unit_of_work()
    try:
        row = proposals.proposal(uow, proposal_id)
    except NotFound:
        abort(404)
    policy, _ = check_policy_text(row.source, f"proposal {row.id}")
    if policy is None:
        abort(404)
    return _impact_page(policy, {"proposal_id": proposal_id}, proposal=row)


def _impact_page(
    policy: Policy, args: dict[str, Any], proposal: Any = None, move_form: Any = None
) -> str:
    """One page of `policy`'s impact (the page the query string names); `args` keep the
    page's own address in its pager's links."""
    found = migration.impact_page(unit_of_work(), me().actor, policy, cursor_of())
    return render_template(
        "policies/impact.html",
        proposal=proposal,
        policy=policy,
        impact=found,
        args=args,
        move_form=move_form,
    )


class MoveForm(FlaskForm):
    """Move the chosen projects (checkboxes named `key`) to a published version, with a reason."""

    reason = TextAreaField(
        "Reason",
        validators=[
            DataRequired("Give a reason for moving the projects: it is recorded with each move."),
            Length(max=LONG_TEXT),
        ],
        render_kw={"rows": 2},
    )
    move = SubmitField("Move the chosen projects")


# A move is chosen on one page of the impact: more keys than a few pages is not a form.
MAX_MOVED_AT_ONCE = 500


@blueprint.route("/<policy_id>/<int:version>/impact")
@login_required
@requires(MIGRATE)
def impact(policy_id: str, version: int) -> str:
    """What a published version changes for every in-flight project on an older version of
    its policy, a page at a time, with the projects to move chosen by the PMO."""
    uow = unit_of_work()
    try:
        policy = policy_views.published_policy(uow, policy_id, version)
    except NotFound:
        abort(404)
    args = {"policy_id": policy_id, "version": version}
    return _impact_page(policy, args, move_form=MoveForm(formdata=None))


@blueprint.route("/<policy_id>/<int:version>/move", methods=["POST"])
@login_required
@requires(MIGRATE)
def move(policy_id: str, version: int) -> BaseResponse:
    """Move the chosen projects to this version, each in its own transaction and audited;
    one that cannot move is named with why, and the others still move."""
    form = MoveForm()
    keys = request.form.getlist("key")
    back = redirect(url_for("policies.impact", policy_id=policy_id, version=version))
    if not form.validate_on_submit():
        for error in form.reason.errors:
            flash(error, "error")
        return back
    if not keys:
        flash("Choose the projects to move (tick them in the list).", "error")
        return back
    if len(keys) > MAX_MOVED_AT_ONCE:
        flash(f"Move at most {MAX_MOVED_AT_ONCE} projects at once.", "error")
        return back
    moved = 0
    for outcome in migration.migrate_each(
        workspace(), me().actor, keys, version, form.reason.data or ""
    ):
        if outcome.error is None:
            moved += 1
        else:
            flash(f"{outcome.key} not moved: {outcome.error}", "error")
    if moved:
        flash(
            f"Moved {moved} project{'s' if moved != 1 else ''} to {policy_id}@{version}.", "success"
        )
    return back


@blueprint.route(
    "/proposals/<int:proposal_id>/approve", methods=["POST"], defaults={"answer": "approve"}
)
@blueprint.route(
    "/proposals/<int:proposal_id>/reject", methods=["POST"], defaults={"answer": "reject"}
)
@login_required
def answer(proposal_id: int, answer: str) -> BaseResponse:
    """Approve (publish) or reject, with a reason, a version another PMO member proposed."""
    form = ProposalAnswerForm()
    if not form.validate_on_submit():
        abort(400)
    uow = unit_of_work()
    try:
        if answer == "approve":
            row = proposals.approve(uow, me().actor, proposal_id)
            message = f"Published {row.ref}: {row.title}. A published version never changes."
        else:
            rejected = proposals.reject(uow, me().actor, proposal_id, form.reason.data or "")
            message = f"Rejected proposal {rejected.id}."
        uow.commit()
    except LockgateError as error:
        flash_refusal(error)
    else:
        flash(message, "success")
    return redirect(url_for("policies.index"))


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
        can_migrate=me().may(MIGRATE),
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
    """Check a policy file (its problems with line numbers, or its changes), then propose it:
    another PMO member approves it on the library page."""
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
    """Propose the version and go back to the library, where another PMO member answers; on a
    refusal, say why next to the source."""
    uow = unit_of_work()
    try:
        row = proposals.propose(uow, me().actor, text, name)
    except InvalidInput as error:
        if "name" in error.problems:  # the file's name, not its text
            form.file.errors.append(f"Nothing was proposed: the file name {error.problems['name']}")
        else:
            form.source.errors.append("Nothing was proposed: the policy has problems (below).")
        return None
    except Refused as error:
        form.source.errors.extend(["Nothing was proposed.", *error.reasons])
        return None
    uow.commit()
    ref = f"{row.policy_id}@{row.version}"
    flash(
        f"Proposed {ref} as proposal {row.id}: nothing is published until another member of "
        "the PMO approves it.",
        "success",
    )
    return redirect(url_for("policies.index"))
