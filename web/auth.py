"""Logging in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from web.portal import PortalUser, flash_refusal, me, unit_of_work
from workflows.errors import AuthenticationFailed, InvalidInput, Refused
from workflows.identity import user_of
from workflows.inputs import SHORT_TEXT, USERNAME
from workflows.verbs import password_links
from workflows.verbs.logins import log_in, log_out
from workflows.verbs.users import global_roles

blueprint = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=USERNAME)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """The login page."""
    form = LoginForm()
    if form.validate_on_submit():
        uow = unit_of_work()
        try:
            actor = log_in(uow, form.username.data, form.password.data, client_address())
        except AuthenticationFailed as error:
            form.password.errors.append(str(error))
        except Refused as error:
            flash_refusal(error)
        else:
            user = user_of(uow, actor)
            roles = global_roles(uow, user)
            uow.commit()
            login_user(PortalUser(user, roles, actor))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def client_address() -> str:
    """The address login throttling counts: the client's, also behind trusted reverse proxies
    (web/app.py applies LOCKGATE_TRUSTED_PROXIES). Cut to the length a failure records, so
    that the failures counted are the ones recorded."""
    return (request.remote_addr or "")[:64]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Log out everywhere: every session of this user ends, copied cookies included."""
    uow = unit_of_work()
    log_out(uow, me().actor)
    uow.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


class SetPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=SHORT_TEXT)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "The same again",
        validators=[DataRequired(), EqualTo("new_password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


@blueprint.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> str | tuple[str, int] | Response:
    """Set your own password through the one-time link an admin gave you."""
    form = SetPasswordForm()
    uow = unit_of_work()
    try:
        owner = password_links.link_owner(uow, token)
    except AuthenticationFailed as error:
        return render_template("auth/set_password.html", form=None, problem=str(error)), 404
    if form.validate_on_submit():
        try:
            password_links.use_link(uow, token, form.new_password.data or "")
        except InvalidInput as error:
            form.new_password.errors.extend(error.problems.values())
        else:
            uow.commit()
            flash("Your password is set: log in with it.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, username=owner.username)
