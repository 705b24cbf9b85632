"""My approvals: what waits for my signature, one review's evidence, signing and deciding."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from gates import access
from gates.decisions import FollowUp
from policies.model import Decision
from web.portal import flash_refusal, me, project_or_404, reader, unit_of_work
from workflows.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, Refused
from workflows.verbs import reviews
from workflows.views.approvals import approvals_for
from workflows.views.reviews import ReviewPage, review_page

blueprint = Blueprint("approvals", __name__, url_prefix="/approvals")

QUEUE_LIMIT = 100  # overdue first: p95 < 250 ms with 10,000 projects (bench/portal.py)
CONDITION_ROWS = 3
# How the gate rules word the refusals that concern the conditions of a conditional go.
CONDITION_PHRASES = ("Condition ", "needs at least one condition", "has no conditions")


class SignForm(FlaskForm):
    decision = SelectField("Decision", validators=[DataRequired()])
    role = SelectField("Sign as", validate_choice=False, validators=[Optional()])
    comment = TextAreaField("Comment", validators=[Length(max=4000)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def _due_when_filled(form: Form, field: Field) -> None:
    if field.data is None and (_text(form.action) or _text(form.owner)):
        field.errors[:] = []
        raise StopValidation("Give the date this condition is due.")


def _text(field: Field) -> str:
    return str(field.data or "").strip()


class ConditionForm(Form):
    action = StringField("Action", validators=[Length(max=500)])
    owner = StringField("Owner", validators=[Length(max=200)])
    due = DateField("Due date", validators=[_due_when_filled, Optional()])


class DecideForm(FlaskForm):
    decision = SelectField("Decision", validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[Length(max=4000)])
    conditions = FieldList(
        FormField(ConditionForm), min_entries=CONDITION_ROWS, max_entries=CONDITION_ROWS
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.condition_errors: list[str] = []

    def follow_ups(self) -> list[FollowUp]:
        """The condition rows that were filled in."""
        return [
            FollowUp(_text(row.action), _text(row.owner), row.due.data)
            for row in (entry.form for entry in self.conditions)
            if row.due.data is not None
        ]


@blueprint.route("/")
@login_required
def index() -> str:
    """What waits for my signature: overdue first, then the oldest."""
    user = me()
    approvals = approvals_for(unit_of_work(), user.record, user.roles, limit=QUEUE_LIMIT)
    return render_template("approvals/index.html", approvals=approvals, limit=QUEUE_LIMIT)


@blueprint.route("/<key>")
@login_required
def review(key: str) -> str:
    """The open review of a project: its snapshot, readiness, signatures and the forms."""
    page = _page_or_404(key)
    return _render(page, _sign_form(page, formdata=None), _decide_form(page, formdata=None))


@blueprint.route("/<key>/sign", methods=["POST"])
@login_required
def sign(key: str) -> Response | tuple[str, int]:
    """Sign the open review after typing the password again."""
    page = _page_or_404(key)
    form = _sign_form(page)
    if form.validate():
        uow = unit_of_work()
        try:
            record = reviews.sign(
                uow,
                me().username,
                key,
                form.decision.data,
                form.password.data,
                form.role.data or None,
                form.comment.data or "",
            )
        except AuthenticationFailed as error:
            form.password.errors.append(str(error))
        except Refused as error:
            _place_reasons(error, {("needs a comment",): form.comment.errors})
        except (InvalidInput, Conflict) as error:
            flash_refusal(error)
        else:
            uow.commit()
            flash(
                f"Signed: {record.meaning}, {record.printed_name}, "
                f"{record.signed_at:%Y-%m-%d %H:%M} UTC, "
                f"bound to snapshot {record.snapshot_digest}.",
                "success",
            )
            return redirect(url_for("approvals.review", key=key))
    return _render(page, form, _decide_form(page, formdata=None)), 400


@blueprint.route("/<key>/decide", methods=["POST"])
@login_required
def decide(key: str) -> Response | tuple[str, int]:
    """Record the gate decision (sponsor or PMO) and move the project."""
    page = _page_or_404(key)
    form = _decide_form(page)
    if form.validate():
        uow = unit_of_work()
        try:
            decided = reviews.decide(
                uow,
                me().username,
                key,
                form.decision.data,
                form.reason.data or "",
                form.follow_ups(),
            )
        except Refused as error:
            _place_reasons(
                error,
                {
                    ("needs a reason",): form.reason.errors,
                    CONDITION_PHRASES: form.condition_errors,
                },
            )
        except (InvalidInput, Conflict) as error:
            flash_refusal(error)
        else:
            uow.commit()
            stage = decided.new_stage.replace("_", " ")
            flash(
                f"Decided {page.gate.name}, round {decided.review.round}: "
                f"{Decision(form.decision.data).label}. {key} is now in {stage}.",
                "success",
            )
            return redirect(url_for("projects.show", key=key))
    return _render(page, _sign_form(page, formdata=None), form), 400


def _page_or_404(key: str) -> ReviewPage:
    # Read-only even for a POST: signing checks the password before it writes, and reading
    # the page in the writing unit of work would hold SQLite's write lock during that check.
    uow = reader()
    _project, roles = project_or_404(key, uow)
    try:
        return review_page(uow, me().record, roles, key)
    except NotFound:
        abort(404)


def _sign_form(page: ReviewPage, **options: object) -> SignForm:
    form = SignForm(**options)
    form.decision.choices = [(d.value, d.label.capitalize()) for d in page.decisions]
    form.role.choices = [(r, _role_label(page, r)) for r in page.signing_roles]
    return form


def _decide_form(page: ReviewPage, **options: object) -> DecideForm:
    form = DecideForm(prefix="decide", **options)
    form.decision.choices = [(d.value, d.label.capitalize()) for d in page.decisions]
    return form


def _role_label(page: ReviewPage, role: str) -> str:
    title = page.policy.role_title(role)
    principal = page.on_behalf_of.get(role)
    return f"{title} on behalf of {principal}" if principal else title


def _place_reasons(error: Refused, fields: dict[tuple[str, ...], list[str]]) -> None:
    """Show each reason next to the field its words concern; flash the rest."""
    rest = []
    for reason in error.reasons:
        errors = next((e for words, e in fields.items() if any(w in reason for w in words)), None)
        if errors is None:
            rest.append(reason)
        else:
            errors.append(reason)
    if rest:
        flash_refusal(Refused(error.action, rest))
    else:
        flash(f"Could not {error.action}: see the fields marked below.", "error")


def _render(page: ReviewPage, sign_form: SignForm, decide_form: DecideForm) -> str:
    return render_template(
        "approvals/review.html",
        page=page,
        project=page.status.project,
        review=page.review,
        report=page.status.report,
        sign_form=sign_form,
        decide_form=decide_form,
        can_decide=access.can_decide(page.roles),
    )
