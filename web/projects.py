"""The project pages: the list, registering, one project's page, attaching evidence,
downloading it, changing facts and submitting the next gate."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms import Form, SelectField, StringField

from gates.authority import ATTACH, AUDIT, REGISTER, SUBMIT, UPDATE_FACTS
from gates.change_control import NEEDS_REQUEST
from policies.model import Artifact, ArtifactKind
from web.conditional import revalidated
from web.paging import cursor_of, filter_args
from web.portal import flash_refusal, me, project_or_404, requires, unit_of_work
from web.project_forms import (
    CloseConditionForm,
    ConfirmForm,
    FileEvidenceForm,
    LinkEvidenceForm,
    MoveForm,
    choices,
    errors_to_fields,
    facts_form,
    registration_form,
    structured_form,
    typed_values,
)
from workflows.errors import Conflict, InvalidInput, LockgateError, NotFound, Refused
from workflows.state import policy_of
from workflows.store.evidence import verified_copy
from workflows.verbs import attach as attaching
from workflows.verbs import conditions as conditions_verbs
from workflows.verbs.change_requests import preview_change, propose_change
from workflows.verbs.dossier import export_dossier, pdf_available
from workflows.verbs.overrides import overrides_of
from workflows.verbs.projects import hold, kill, register_project, resume, update_facts
from workflows.verbs.reviews import gate_status, submit_gate
from workflows.views import programmes as programme_views
from workflows.views import projects as views
from workflows.views.change_requests import change_requests
from workflows.views.conditions import conditions_of_project
from workflows.views.counts import project_total
from workflows.views.history import project_as_of
from workflows.views.portfolio import ProjectFilter, project_page, viewer_of
from workflows.views.triggered import reviews_ahead

blueprint = Blueprint("projects", __name__, url_prefix="/projects")


class FilterForm(Form):
    stage = SelectField("Stage", validate_choice=False)
    tier = SelectField("Tier", validate_choice=False)
    policy = SelectField("Policy", validate_choice=False)
    q = StringField("Search key or name")


@blueprint.route("/")
@login_required
@revalidated
def index() -> str:
    """The projects the user may see, filtered, paged by key (304 when the browser holds
    the page as it is now: web.conditional)."""
    uow = unit_of_work()
    stages, tiers = views.stage_and_tier_choices(uow)
    filters = FilterForm(request.args)
    filters.stage.choices = choices(
        [("", "Any stage"), *((s, s.replace("_", " ")) for s in stages)]
    )
    filters.tier.choices = choices([("", "Any tier"), *((t, t) for t in tiers)])
    filters.policy.choices = choices(
        [("", "Any policy"), *((c.policy_id, c.policy_id) for c in views.policy_choices(uow))]
    )
    where = ProjectFilter(
        stage=filters.stage.data or None,
        tier=filters.tier.data or None,
        policy=filters.policy.data or None,
        search=(filters.q.data or "").strip() or None,
        visible=viewer_of(uow, me().record, me().roles),
    )
    return render_template(
        "projects/index.html",
        page=project_page(uow, where, cursor_of(), current_app.config["PAGE_SIZE"]),
        total=project_total(uow, where),
        filters=filters,
        args=filter_args(("stage", "tier", "policy", "q")),
        can_register=REGISTER.allows_roles(frozenset(me().roles)),
    )


@blueprint.route("/new", methods=["GET", "POST"])
@login_required
@requires(REGISTER)
def register() -> str | Response:
    """Register a project: choose a policy, fill in its facts, preview the tier, save."""
    uow = unit_of_work()
    policies = views.policy_choices(uow)
    if not policies:
        return render_template("projects/register.html", choices=[], form=None)
    ids = [c.policy_id for c in policies]
    policy_id = request.values.get("policy") or ("standard" if "standard" in ids else ids[0])
    if policy_id not in ids:
        abort(404)
    policy = views.latest_policy(uow, policy_id)
    defaults = {f.id: f.default for f in policy.facts if f.default is not None}
    form = registration_form(policy.facts, defaults, views.people(uow), me().username, policy_id)
    preview = None
    if form.validate_on_submit():
        raw = typed_values(form.facts.form, policy.facts)
        try:
            if form.preview.data:
                preview = views.preview_tier(uow, policy_id, raw)
            else:
                project = register_project(
                    uow,
                    me().actor,
                    form.key.data.strip(),
                    form.name.data,
                    policy_id,
                    raw,
                    form.manager.data,
                    form.sponsor.data or None,
                )
                uow.commit()
                flash(
                    f"{project.key} is registered under {policy.ref}, tier {project.tier}.",
                    "success",
                )
                return redirect(url_for("projects.show", key=project.key))
        except InvalidInput as error:
            _show_problems(form, error, policy_id, raw)
        except LockgateError as error:
            flash_refusal(error)
    return render_template(
        "projects/register.html", choices=policies, policy=policy, form=form, preview=preview
    )


def _show_problems(form: Any, error: InvalidInput, policy_id: str, raw: dict[str, str]) -> None:
    """Every problem next to its field. The verb stops at a bad key or name before it reads
    the facts, so the facts are checked too, to show every problem at once."""
    for text in errors_to_fields(form, error, form.facts.form):
        flash(text, "error")
    if error.problems and set(error.problems) <= {"key", "name"}:
        try:
            views.preview_tier(unit_of_work(), policy_id, raw)
        except InvalidInput as facts_error:
            for text in errors_to_fields(form, facts_error, form.facts.form):
                flash(text, "error")


@blueprint.route("/<key>/dossier", methods=["POST"])
@login_required
def dossier(key: str) -> Response:
    """The project's gate dossier as a download (auditors, the PMO, admins), pinned to the
    newest signed checkpoint; the export is recorded."""
    project_or_404(key)  # a project one may not see is not found, whoever asks
    if not me().may(AUDIT):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    uow = unit_of_work()
    # A dossier holds the evidence files: never in memory. send_file closes it when sent.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        export_dossier(uow, me().actor, key, out, pdf=request.form.get("pdf") == "1")
        uow.commit()
    except LockgateError as error:
        out.close()
        flash_refusal(error)
        return redirect(url_for("projects.show", key=key))
    out.seek(0)
    response = send_file(
        out,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{key}-dossier.zip",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.route("/<key>/as-of")
@login_required
def as_of(key: str) -> str | tuple[str, int]:
    """The project as it was at a moment (the `at` field, UTC), rebuilt from its audit
    events: stage, facts, evidence versions, reviews, signatures, conditions, waivers."""
    project_or_404(key)
    text = (request.args.get("at") or "").strip()[:40]
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        message = "Give a date and time, like 2026-06-30T12:00 (UTC)."
        return render_template(
            "projects/as_of.html", key=key, seen=None, at=text, error=message
        ), 400
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    seen = project_as_of(unit_of_work(), me().actor, key, moment)
    return render_template("projects/as_of.html", key=key, seen=seen, at=moment, error="")


@blueprint.route("/<key>")
@login_required
def show(key: str) -> str:
    """One project: stages, facts, the next gate's checklist, evidence and history."""
    project, granted = project_or_404(key)
    uow = unit_of_work()
    policy = policy_of(uow, project)
    standing, no_gate = None, ""
    try:
        standing = gate_status(uow, me().actor, key)
    except Refused as error:
        no_gate = " ".join(error.reasons)
    evidence = views.evidence_versions(uow, policy, project)
    conditions = conditions_of_project(uow, project.id)
    close_form = CloseConditionForm()
    close_form.evidence.choices = [("", "None")] + [
        (f"{e.row.artifact_id}@{e.row.version}", f"{e.title} v{e.row.version}") for e in evidence
    ]
    return render_template(
        "projects/show.html",
        project=project,
        policy=policy,
        standing=standing,
        no_gate=no_gate,
        checklist=views.checklist(standing.report) if standing else [],
        steps=views.stage_steps(policy, project),
        facts=views.fact_lines(policy, project),
        tier=programme_views.tier_of(uow, project),
        programme=programme_views.programme_of(uow, project),
        evidence=evidence,
        conditions=conditions,
        closable={c.id for c in conditions if not granted.close_condition(c.owner, not c.open)},
        close_form=close_form,
        overrides=overrides_of(uow, key),
        history=views.history(uow, key),
        history_limit=views.HISTORY_LIMIT,
        can_attach=granted.may(ATTACH),
        can_update_facts=granted.may(UPDATE_FACTS),
        can_submit=granted.may(SUBMIT),
        submit_form=ConfirmForm(),
        moves=[(m, MOVE_LABELS[m]) for m in granted.moves(project.stage, policy.stages[-1])],
        move_form=MoveForm(),
        standing_note=views.standing_of(uow, project),
        changes=[c for c in change_requests(uow, me().actor, key) if c.status == "open"],
        ahead=reviews_ahead(uow, project, policy, uow.now.date()),
        can_export_dossier=me().may(AUDIT),
        can_print_dossier=me().may(AUDIT) and pdf_available(),
    )


# What the project page offers to move a project: the action, its button, and the rule.
# The button of each move; which moves a person is offered is gates.authority's answer.
MOVE_LABELS = {"hold": "Put on hold", "resume": "Resume", "kill": "Kill"}


@blueprint.route("/<key>/move/<action>", methods=["POST"])
@login_required
def move(key: str, action: str) -> Response:
    """Hold, resume or kill the project, with a reason; refusals are shown in words."""
    project_or_404(key)
    if action not in MOVE_LABELS:
        abort(404)
    form = MoveForm()
    if not form.validate_on_submit():
        flash("Give a reason: it is recorded with the change.", "error")
        return redirect(url_for("projects.show", key=key))
    uow = unit_of_work()
    verb = {"hold": hold, "resume": resume, "kill": kill}[action]
    try:
        moved = verb(uow, me().actor, key, form.reason.data or "")
        uow.commit()
    except LockgateError as error:
        flash_refusal(error)
    else:
        flash(f"{key} is now {moved.stage.replace('_', ' ')}.", "success")
    return redirect(url_for("projects.show", key=key))


@blueprint.route("/<key>/conditions/<int:condition_id>/close", methods=["POST"])
@login_required
def close_condition(key: str, condition_id: int) -> Response:
    """Close a condition you own, with a note and optional evidence."""
    project_or_404(key)
    form = CloseConditionForm()
    if not form.validate_on_submit():
        flash("Say what was done to meet the condition.", "error")
        return redirect(url_for("projects.show", key=key, _anchor="conditions-title"))
    uow = unit_of_work()
    try:
        closed = conditions_verbs.close_condition(
            uow, me().actor, condition_id, form.note.data or "", form.evidence.data or None
        )
        uow.commit()
    except LockgateError as error:
        flash_refusal(error)
    else:
        flash(f"Condition {condition_id} of {closed.gate_id} is closed.", "success")
    return redirect(url_for("projects.show", key=key, _anchor="conditions-title"))


@blueprint.route("/<key>/submit", methods=["POST"])
@login_required
def submit(key: str) -> Response:
    """Submit the project's next gate for review; a refusal is shown with its reasons."""
    project, _ = project_or_404(key)
    if ConfirmForm().validate_on_submit():
        uow = unit_of_work()
        try:
            review = submit_gate(uow, me().actor, key)
            uow.commit()
        except LockgateError as error:
            flash_refusal(error)
        else:
            gate = policy_of(uow, project).gate(review.gate_id)
            name = gate.name if gate else review.gate_id
            flash(f"{name} is submitted for review (round {review.round}).", "success")
    return redirect(url_for("projects.show", key=key))


def _artifact_or_404(uow: Any, project: Any, artifact_id: str) -> Artifact:
    try:
        return attaching.find_artifact(policy_of(uow, project), artifact_id)
    except InvalidInput:
        abort(404)


@blueprint.route("/<key>/evidence/<artifact_id>", methods=["GET", "POST"])
@login_required
def attach(key: str, artifact_id: str) -> str | Response:
    """Attach a new version of one artifact: a file, a link or the policy's form."""
    project, granted = project_or_404(key)
    if not granted.may(ATTACH):
        abort(403)
    uow = unit_of_work()
    artifact = _artifact_or_404(uow, project, artifact_id)
    form = _evidence_form(artifact)
    if form.validate_on_submit():
        try:
            _attach(uow, key, artifact, form)
            uow.commit()
        except InvalidInput as error:
            _attach_problems(form, artifact, error)
        except (Refused, NotFound, Conflict) as error:
            flash_refusal(error)
        else:
            flash(f"{artifact.title} is attached.", "success")
            return redirect(url_for("projects.show", key=key))
    limit = uow.workspace.evidence.max_bytes / (1024 * 1024)
    return render_template(
        "projects/attach.html", project=project, artifact=artifact, form=form, limit=limit
    )


def _attach_problems(form: Any, artifact: Artifact, error: InvalidInput) -> None:
    """Problems next to their field; a file's or a link's other problems next to that input."""
    nested = form["values"].form if artifact.kind is ArtifactKind.FORM else None
    main = {ArtifactKind.FILE: "file", ArtifactKind.LINK: "url"}.get(artifact.kind)
    for text in errors_to_fields(form, error, nested):
        if main is None:
            flash(text, "error")
        else:
            form[main].errors = [*form[main].errors, text]


def _evidence_form(artifact: Artifact) -> Any:
    if artifact.kind is ArtifactKind.FILE:
        return FileEvidenceForm()
    if artifact.kind is ArtifactKind.LINK:
        return LinkEvidenceForm()
    return structured_form(artifact.fields)


def _attach(uow: Any, key: str, artifact: Artifact, form: Any) -> None:
    actor, note = me().actor, form.note.data or ""
    if artifact.kind is ArtifactKind.FILE:
        upload = form.file.data
        attaching.attach_file(
            uow,
            actor,
            key,
            artifact.id,
            upload.stream,
            upload.filename or "",
            upload.mimetype or "",
            note,
        )
    elif artifact.kind is ArtifactKind.LINK:
        attaching.attach_link(uow, actor, key, artifact.id, form.url.data, note)
    else:
        values = typed_values(form["values"].form, artifact.fields)
        attaching.attach_form(uow, actor, key, artifact.id, values, note)


@blueprint.route("/<key>/evidence/<artifact_id>/v<int:version>")
@login_required
def download(key: str, artifact_id: str, version: int) -> Response:
    """One stored file, always as a download (never rendered by the browser).

    The whole file is checked against its record before the response begins: a file that
    is missing or does not match raises, and the error page (web/app.py) says so instead.
    """
    project, _ = project_or_404(key)
    uow = unit_of_work()
    try:
        row = views.evidence_file(uow, project, artifact_id, version)
    except NotFound:
        abort(404)
    stream = verified_copy(uow.workspace.evidence.open(row.digest, row.size))
    response = send_file(
        stream,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=row.filename or "evidence",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.route("/<key>/facts", methods=["GET", "POST"])
@login_required
def facts(key: str) -> str | Response:
    """Change the project's facts; the project is re-tiered and the new tier shown. A change
    that needs a change request (gates.change_control) shows its impact and is proposed."""
    project, granted = project_or_404(key)
    if not granted.may(UPDATE_FACTS):
        abort(403)
    uow = unit_of_work()
    policy = policy_of(uow, project)
    form = facts_form(policy.facts, project.facts)
    impact = None
    if form.validate_on_submit():
        raw = typed_values(form.facts.form, policy.facts)
        reason = form.reason.data or ""
        try:
            if form.propose.data:
                proposal = propose_change(uow, me().actor, key, raw, reason)
                uow.commit()
                flash(f"Change request {proposal.record.id} is proposed.", "success")
                return redirect(url_for("changes.show", change_id=proposal.record.id))
            choice = update_facts(uow, me().actor, key, raw, reason)
            uow.commit()
        except InvalidInput as error:
            for text in errors_to_fields(form, error, form.facts.form):
                flash(text, "error")
        except Refused as error:
            needs_request = NEEDS_REQUEST in {r.rule for r in error.refusals}
            if needs_request:
                flash("This change needs an approved change request: see its impact.", "error")
            else:
                flash_refusal(error)
            if needs_request or form.propose.data:
                impact = _impact(key, raw)
        except (NotFound, Conflict) as error:
            flash_refusal(error)
        else:
            flash(f"The facts are saved. Tier: {choice.reason}.", "success")
            return redirect(url_for("projects.show", key=key))
    return render_template(
        "projects/facts.html", project=project, policy=policy, form=form, impact=impact
    )


def _impact(key: str, raw: dict[str, str]) -> dict[str, object] | None:
    """The impact of changing the facts as typed, to show next to 'Propose this change'."""
    try:
        return preview_change(unit_of_work(), me().actor, key, raw).as_record()
    except LockgateError:
        return None
