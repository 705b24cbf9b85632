"""My approvals: what waits for my signature, one review's evidence, signing and deciding."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    DateField,
    Field,
    Form,
    FormField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from gates.decisions import FollowUp
from gates.signoffs import Part, SignOption
from policies.model import Decision, Urgency
from web.portal import flash_refusal, me, place_refusals, project_or_404, reader, unit_of_work
from workflows.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    LockgateError,
    NotFound,
    Refused,
)
from workflows.inputs import FOLLOW_UP_ACTION, LONG_TEXT, SHORT_TEXT
from workflows.verbs import overrides, reviews
from workflows.verbs.assurance import Recommendation, record_assurance
from workflows.views.approvals import PAGE_SIZE, my_approvals
from workflows.views.conditions import owned_by
from workflows.views.escalations import escalated_to
from workflows.views.reviews import ReviewPage, review_page
from workflows.views.watching import coming_up, submitted_by

blueprint = Blueprint("approvals", __name__, url_prefix="/approvals")

ROWS = 3


class SignForm(FlaskForm):
    decision = SelectField("Decision", validators=[DataRequired()])
    role = SelectField("Sign as", validate_choice=False, validators=[Optional()])
    comment = TextAreaField("Comment", validators=[Length(max=LONG_TEXT)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class VoteForm(FlaskForm):
    decision = SelectField("Your vote", validators=[DataRequired()])
    comment = TextAreaField("Comment", validators=[Length(max=LONG_TEXT)])


def _due_when_filled(form: Form, field: Field) -> None:
    if field.data is None and (_text(form.action) or _text(form.owner)):
        field.errors[:] = []
        raise StopValidation("Give the date this condition is due.")


def _text(field: Field) -> str:
    return str(field.data or "").strip()


class ConditionForm(Form):
    action = StringField("Action", validators=[Length(max=FOLLOW_UP_ACTION)])
    owner = StringField("Owner", validators=[Length(max=SHORT_TEXT)])
    due = DateField("Due date", validators=[_due_when_filled, Optional()])


class ConditionRows(Form):
    """A fixed number of condition rows, row n read from the inputs conditions-n-*.

    Not a FieldList: it renumbers the rows it was sent and then reads the renumbered inputs
    again, so a condition typed in the second row alone came back twice.
    """


for _row in range(ROWS):
    setattr(ConditionRows, str(_row), FormField(ConditionForm))


class RecommendationForm(Form):
    urgency = SelectField(
        "Urgency",
        choices=[
            SelectChoice("", "—"),
            *(SelectChoice(u.value, u.value.capitalize()) for u in Urgency),
        ],
        validators=[Optional()],
    )
    owner = StringField("Owner", validators=[Length(max=SHORT_TEXT)])
    action = StringField("Recommendation", validators=[Length(max=LONG_TEXT)])


class RecommendationRows(Form):
    """A fixed number of recommendation rows (as ConditionRows, and for the same reason)."""


for _row in range(ROWS):
    setattr(RecommendationRows, str(_row), FormField(RecommendationForm))


class AssuranceForm(FlaskForm):
    rating = SelectField("Rating", validators=[DataRequired()])
    summary = TextAreaField(
        "Summary", validators=[DataRequired(), Length(max=LONG_TEXT)], render_kw={"rows": 3}
    )
    recommendations = FormField(RecommendationRows)

    def filled(self) -> list[Recommendation]:
        """The recommendation rows with anything typed in them."""
        rows = [entry.form for entry in self.recommendations]
        return [
            Recommendation(_text(row.action), str(row.urgency.data or ""), _text(row.owner))
            for row in rows
            if _text(row.action) or _text(row.owner) or row.urgency.data
        ]


class DecideForm(FlaskForm):
    decision = SelectField("Decision", validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[Length(max=LONG_TEXT)])
    recycle_to = SelectField(
        "A recycle goes back to", validate_choice=False, validators=[Optional()]
    )
    conditions = FormField(ConditionRows)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.condition_errors: list[str] = []
        self.row_errors: dict[int, list[str]] = {}  # by condition row
        self.filled: list[int] = []  # the form row of each condition passed to the verb

    def follow_ups(self) -> list[FollowUp]:
        """The condition rows that were filled in."""
        rows = [entry.form for entry in self.conditions]  # row n reads decide-conditions-n-*
        self.filled = [n for n, row in enumerate(rows) if row.due.data is not None]
        return [
            FollowUp(_text(rows[n].action), _text(rows[n].owner), rows[n].due.data)
            for n in self.filled
        ]

    def fields(self) -> dict[str, list[str]]:
        """Each input a refusal may name, by its field key: the errors shown next to it."""
        found = {"decision": self.decision.errors, "reason": self.reason.errors}
        found["recycle_to"] = self.recycle_to.errors
        found["conditions"] = self.condition_errors
        for place, row in enumerate(self.filled):
            found[f"conditions-{place}"] = self.row_errors.setdefault(row, [])
        return found


@blueprint.route("/")
@login_required
def index() -> str:
    """What waits for my signature, in two parts (my turn, waiting on others), overdue
    first, then the oldest, one page at a time; and the overdue reviews escalated to me."""
    part = Part.WAITING if request.args.get("part") == Part.WAITING.value else Part.YOUR_TURN
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    escalated_page = max(request.args.get("escalated", 1, type=int) or 1, 1)
    uow, user = unit_of_work(), me().record
    found = my_approvals(uow, user.id, part, page, PAGE_SIZE)
    escalated = escalated_to(uow, user.username, escalated_page, PAGE_SIZE)
    upcoming = coming_up(uow, user.id) if part is Part.WAITING else []
    return render_template(
        "approvals/index.html",
        found=found,
        parts=Part,
        escalated=escalated,
        coming_up=upcoming,
        submitted=submitted_by(uow, user.username),
        conditions=owned_by(uow, user.username),
    )


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
                me().actor,
                key,
                form.decision.data,
                form.password.data,
                form.role.data or None,
                form.comment.data or "",
            )
        except AuthenticationFailed as error:
            form.password.errors.append(error.refusal.text)
        except Refused as error:
            place_refusals(error, _sign_fields(form))
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
                me().actor,
                key,
                form.decision.data,
                form.reason.data or "",
                form.follow_ups(),
                form.recycle_to.data or None,
            )
        except Refused as error:
            place_refusals(error, form.fields())
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


@blueprint.route("/<key>/assure", methods=["POST"])
@login_required
def assure(key: str) -> Response | tuple[str, int]:
    """Record the independent assurance review of the open round (gates.assurance)."""
    page = _page_or_404(key)
    form = _assurance_form(page)
    if form.validate():
        uow = unit_of_work()
        try:
            rated = record_assurance(
                uow, me().actor, key, form.rating.data, form.summary.data, form.filled()
            )
        except Refused as error:
            place_refusals(error, {"rating": form.rating.errors})
        except (InvalidInput, Conflict) as error:
            flash_refusal(error)
        else:
            uow.commit()
            rating = rated.rating.replace("_", " ")
            flash(f"Recorded the assurance review of {page.gate.name}: {rating}.", "success")
            return redirect(url_for("approvals.review", key=key))
    return _render(page, _sign_form(page, formdata=None), _decide_form(page, formdata=None),
                   assurance_form=form), 400  # fmt: skip


def _assurance_form(page: ReviewPage, **options: object) -> AssuranceForm:
    form = AssuranceForm(prefix="assure", **options)
    scale = page.gate.assurance.scale.ratings if page.gate.assurance else ()
    form.rating.choices = [SelectChoice(r, r.replace("_", " ").capitalize()) for r in scale]
    return form


@blueprint.route("/<key>/vote", methods=["POST"])
@login_required
def vote(key: str) -> Response | tuple[str, int]:
    """Cast a panel member's vote on the open review (gates.votes)."""
    page = _page_or_404(key)
    form = _vote_form(page)
    if form.validate():
        uow = unit_of_work()
        try:
            cast = reviews.vote(uow, me().actor, key, form.decision.data, form.comment.data or "")
        except Refused as error:
            place_refusals(error, {"decision": form.decision.errors})
        except (InvalidInput, Conflict) as error:
            flash_refusal(error)
        else:
            uow.commit()
            flash(f"Voted {Decision(cast.decision).label} on {page.gate.name}.", "success")
            return redirect(url_for("approvals.review", key=key))
    return _render(page, _sign_form(page, formdata=None), _decide_form(page, formdata=None),
                   form), 400  # fmt: skip


def _vote_form(page: ReviewPage, **options: object) -> VoteForm:
    form = VoteForm(prefix="vote", **options)
    form.decision.choices = [(d.value, d.label.capitalize()) for d in page.decisions]
    return form


def _page_or_404(key: str) -> ReviewPage:
    # Read-only even for a POST: signing checks the password before it writes, and reading
    # the page in the writing unit of work would hold SQLite's write lock during that check.
    uow = reader()
    project_or_404(key, uow)
    try:
        return review_page(uow, me().actor, key)
    except NotFound:
        abort(404)


def _sign_form(page: ReviewPage, **options: object) -> SignForm:
    form = SignForm(**options)
    form.decision.choices = [(d.value, d.label.capitalize()) for d in page.sign_choices]
    form.role.choices = [(o.role, _role_label(page, o)) for o in page.sign_options]
    return form


def _sign_fields(form: SignForm) -> dict[str, list[str]]:
    return {
        "decision": form.decision.errors,
        "role": form.role.errors,
        "comment": form.comment.errors,
        "password": form.password.errors,
    }


def _decide_form(page: ReviewPage, **options: object) -> DecideForm:
    form = DecideForm(prefix="decide", **options)
    form.decision.choices = [(d.value, d.label.capitalize()) for d in page.decisions]
    gates = {g.id: g.name for g in page.policy.gates}
    form.recycle_to.choices = [("", f"{page.gate.name} (rework this gate)")] + [
        (target, gates[target]) for target in page.gate.recycle_to
    ]
    return form


class OverrideForm(FlaskForm):
    reason = TextAreaField(
        "Reason", validators=[DataRequired(), Length(max=LONG_TEXT)], render_kw={"rows": 2}
    )


class AnswerOverrideForm(FlaskForm):
    answer = TextAreaField("Answer", validators=[Length(max=LONG_TEXT)], render_kw={"rows": 2})
    choice = StringField("Choice", validators=[Optional(), Length(max=10)])  # the button


@blueprint.route("/<key>/override", methods=["POST"])
@login_required
def ask_override(key: str) -> Response:
    """Ask for the open review to pass with requirements missing (a PMO member)."""
    _page_or_404(key)
    form = OverrideForm(prefix="override")
    if not form.validate_on_submit():
        flash("An override needs a reason: say why the gate must pass as it is.", "error")
        return redirect(url_for("approvals.review", key=key))
    uow = unit_of_work()
    try:
        asked = overrides.request_override(uow, me().actor, key, form.reason.data or "")
        uow.commit()
    except LockgateError as error:
        flash_refusal(error)
    else:
        flash(f"Override {asked.id} asked for: a second PMO member must confirm it.", "success")
    return redirect(url_for("approvals.review", key=key))


@blueprint.route("/<key>/override/<int:override_id>", methods=["POST"])
@login_required
def answer_override(key: str, override_id: int) -> Response:
    """Confirm (the gate passes) or decline an override another PMO member asked for: the
    button pressed says which."""
    _page_or_404(key)
    form = AnswerOverrideForm(prefix="answer")
    if not form.validate_on_submit() or form.choice.data not in ("confirm", "decline"):
        abort(400)
    uow = unit_of_work()
    try:
        answered = overrides.answer_override(
            uow, me().actor, override_id, form.choice.data == "confirm", form.answer.data or ""
        )
        uow.commit()
    except LockgateError as error:
        flash_refusal(error)
        return redirect(url_for("approvals.review", key=key))
    flash(f"Override {answered.id} {answered.state}.", "success")
    target = "projects.show" if answered.state == "confirmed" else "approvals.review"
    return redirect(url_for(target, key=key))


def _role_label(page: ReviewPage, option: SignOption) -> str:
    label = page.policy.role_title(option.role)
    if option.on_behalf_of:
        label += f" on behalf of {page.status.names.get(option.on_behalf_of, option.on_behalf_of)}"
    if option.part is Part.WAITING:
        label += " (after: " + " ".join(option.waiting_for) + ")"
    return label


def _render(
    page: ReviewPage,
    sign_form: SignForm,
    decide_form: DecideForm,
    vote_form: VoteForm | None = None,
    assurance_form: AssuranceForm | None = None,
) -> str:
    # A refused signature is shown next to its inputs, even when nothing is left to sign.
    return render_template(
        "approvals/review.html",
        page=page,
        project=page.status.project,
        review=page.review,
        report=page.status.report,
        sign_form=sign_form,
        decide_form=decide_form,
        can_decide=page.may_decide,
        vote_form=vote_form or _vote_form(page, formdata=None),
        assurance_form=assurance_form or _assurance_form(page, formdata=None),
        override_form=OverrideForm(prefix="override", formdata=None),
        answer_form=AnswerOverrideForm(prefix="answer", formdata=None),
        show_sign_form=page.offers_signature or bool(sign_form.errors),
    )
