"""Users and roles, for admins: add users, grant and revoke global and project roles, enable
and disable users (disabling ends every session of theirs at once)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import AnyOf, DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from gates.authority import ADMINISTER
from gates.model import GLOBAL_ROLES
from web.portal import flash_refusal, me, requires, unit_of_work
from web.project_forms import ConfirmForm
from workflows.errors import InvalidInput, LockgateError, NotFound, Refused
from workflows.inputs import PROJECT_KEY, ROLE, SHORT_TEXT
from workflows.state import load_project
from workflows.store.records import Project
from workflows.verbs import password_links, users
from workflows.verbs.users import ATTRIBUTE_TEXT
from workflows.views import users as user_views

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_CHOICES = [SelectChoice(role, role.replace("_", " ")) for role in GLOBAL_ROLES]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AddUserForm(FlaskForm):
    username = StringField(
        "Username", validators=[DataRequired(), Length(max=40)], render_kw={"autocomplete": "off"}
    )
    display_name = StringField(
        "Printed name",
        validators=[DataRequired(), Length(max=SHORT_TEXT)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField("Email", validators=[Optional(), Length(max=SHORT_TEXT)])
    roles = MultiCheckboxField("Global roles", choices=ROLE_CHOICES)


class GlobalRoleForm(FlaskForm):
    role = SelectField("Global role", choices=ROLE_CHOICES)


class ProjectRoleForm(FlaskForm):
    project = StringField("Project key", validators=[DataRequired(), Length(max=PROJECT_KEY)])
    role = SelectField("Role on the project", choices=[])


class AttributesForm(FlaskForm):
    org_unit = StringField("Org unit", validators=[Optional(), Length(max=ATTRIBUTE_TEXT)])
    team = StringField("Team", validators=[Optional(), Length(max=ATTRIBUTE_TEXT)])


class RevokeForm(FlaskForm):
    role = HiddenField(validators=[DataRequired(), Length(max=ROLE)])
    project = HiddenField(validators=[Optional(), Length(max=PROJECT_KEY)])


class ActiveForm(FlaskForm):
    state = HiddenField(validators=[AnyOf(["enable", "disable"])])


@blueprint.before_request
@login_required
@requires(ADMINISTER)
def _admins_only() -> None:
    """Every page here is for admins; others get 403."""


@blueprint.route("/users", endpoint="users")
def users_page() -> str:
    """Every user with their global roles, and the form to add one."""
    return _users(AddUserForm(formdata=None))


def _users(form: AddUserForm) -> str:
    uow = unit_of_work()
    rows = user_views.user_list(uow)
    conflicts = user_views.grant_conflicts(uow)
    return render_template("admin/users.html", rows=rows, form=form, conflicts=conflicts)


@blueprint.route("/users", methods=["POST"])
def add_user() -> str | Response:
    """Add a user; every problem is shown next to its field."""
    form = AddUserForm()
    if not form.validate_on_submit():
        return _users(form)
    uow = unit_of_work()
    try:
        user = users.add_user(
            uow,
            me().actor,
            form.username.data.strip(),
            form.display_name.data,
            None,  # the person sets their own, through the enrollment link
            (form.email.data or "").strip(),
            tuple(form.roles.data or ()),
        )
        link = password_links.issue_link(uow, me().actor, user.username, password_links.ENROLL)
    except InvalidInput as error:
        _attach(form, error.problems)
        return _users(form)
    except LockgateError as error:
        flash_refusal(error)
        return _users(form)
    uow.commit()
    flash(f"Added {user.username} ({user.display_name}).", "success")
    return _user_page(user.username, link=link)


@blueprint.route("/users/<username>/reset", methods=["POST"])
def reset_password(username: str) -> str | Response:
    """Issue a one-time link for the user to set a new password; shown once, on this page."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.user", username=username))
    uow = unit_of_work()
    try:
        link = password_links.issue_link(uow, me().actor, username, password_links.RESET)
    except NotFound:
        abort(404)
    except LockgateError as error:
        flash_refusal(error)
        return redirect(url_for("admin.user", username=username))
    uow.commit()
    return _user_page(username, link=link)


@blueprint.route("/users/<username>")
def user(username: str) -> str:
    """One user's roles (global and per project), delegations and the forms to change them."""
    return _user_page(username)


def _user_page(username: str, link: password_links.NewLink | None = None, **forms: Any) -> str:
    uow = unit_of_work()
    try:
        detail = user_views.user_detail(uow, username)
    except NotFound:
        abort(404)
    project_form = forms.pop("project_form", None) or ProjectRoleForm(formdata=None)
    project_form.role.choices = _project_roles()
    return render_template(
        "admin/user.html",
        detail=detail,
        now=uow.now,
        global_form=forms.pop("global_form", None) or GlobalRoleForm(formdata=None),
        attributes_form=forms.pop("attributes_form", None)
        or AttributesForm(
            formdata=None, data={"org_unit": detail.user.org_unit, "team": detail.user.team}
        ),
        project_form=project_form,
        is_me=detail.user.id == me().record.id,
        link=link,
        reset_form=ConfirmForm(),
    )


@blueprint.route("/users/<username>/roles", methods=["POST"])
def grant_role(username: str) -> str | Response:
    """Grant a global role."""
    form = GlobalRoleForm()
    if not form.validate_on_submit():
        return _user_page(username, global_form=form)
    try:
        users.grant_role(unit_of_work(), me().actor, username, form.role.data)
    except LockgateError as error:
        form.role.errors.extend(_reasons(error))
        return _user_page(username, global_form=form)
    return _done(username, f"Granted {form.role.data} to {username}.")


@blueprint.route("/users/<username>/attributes", methods=["POST"])
def set_attributes(username: str) -> str | Response:
    """Record where the user sits: their org unit and team (never one's own)."""
    form = AttributesForm()
    if not form.validate_on_submit():
        return _user_page(username, attributes_form=form)
    try:
        users.set_attributes(
            unit_of_work(), me().actor, username, form.org_unit.data or "", form.team.data or ""
        )
    except LockgateError as error:
        form.org_unit.errors = [*form.org_unit.errors, *_reasons(error)]
        return _user_page(username, attributes_form=form)
    return _done(username, f"Recorded {username}'s org unit and team.")


@blueprint.route("/users/<username>/project-roles", methods=["POST"])
def grant_project_role(username: str) -> str | Response:
    """Grant a role on one project (sponsor, or an approver role of its policy)."""
    form = ProjectRoleForm()
    form.role.choices = _project_roles()
    if not form.validate_on_submit():
        return _user_page(username, project_form=form)
    key = form.project.data.strip()
    project = _project(key, form.project.errors)
    if project is None:
        return _user_page(username, project_form=form)
    try:
        users.grant_role(unit_of_work(), me().actor, username, form.role.data, project)
    except LockgateError as error:
        form.role.errors.extend(_reasons(error))
        return _user_page(username, project_form=form)
    return _done(username, f"Granted {form.role.data} on {key} to {username}.")


@blueprint.route("/users/<username>/roles/revoke", methods=["POST"])
def revoke_role(username: str) -> Response:
    """End a global or project role grant (it stays in the history)."""
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    key = (form.project.data or "").strip()
    try:
        project = load_project(unit_of_work(), key) if key else None
        users.revoke_role(unit_of_work(), me().actor, username, form.role.data, project)
    except LockgateError as error:
        return _refused(username, error)
    where = f" on {key}" if key else ""
    return _done(username, f"Revoked {form.role.data}{where} from {username}.")


@blueprint.route("/users/<username>/active", methods=["POST"])
def set_active(username: str) -> Response:
    """Enable or disable a user; disabling ends their sessions everywhere at once."""
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = form.state.data == "enable"
    try:
        users.set_active(unit_of_work(), me().actor, username, active)
    except LockgateError as error:
        return _refused(username, error)
    text = "enabled" if active else "disabled; their sessions have ended"
    return _done(username, f"{username} is {text}.")


def _project_roles() -> list[SelectChoice]:
    return [SelectChoice(k, v) for k, v in user_views.project_role_choices(unit_of_work())]


def _project(key: str, errors: list[str]) -> Project | None:
    try:
        return load_project(unit_of_work(), key)
    except NotFound as error:
        errors.append(str(error))
        return None


def _done(username: str, message: str) -> Response:
    unit_of_work().commit()
    flash(message, "success")
    return redirect(url_for("admin.user", username=username))


def _refused(username: str, error: LockgateError) -> Response:
    flash_refusal(error)
    return redirect(url_for("admin.user", username=username))


def _reasons(error: LockgateError) -> list[str]:
    if isinstance(error, Refused):
        return error.reasons
    if isinstance(error, InvalidInput) and error.problems:
        return list(error.problems.values())
    return [str(error)]


def _attach(form: FlaskForm, problems: dict[str, str]) -> None:
    """Put each problem next to its field; one without a field goes next to the username."""
    for name, message in problems.items():
        field = form._fields.get(name) or form.username
        field.errors = [*field.errors, message]
