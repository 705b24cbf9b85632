"""The signed-in person's own account: personal access tokens for scripts (LOCKGATE_TOKEN),
made here with the session's authentication, shown once, listed and revoked."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from web.auth import SetPasswordForm
from web.portal import flash_refusal, me, reader, unit_of_work
from workflows.errors import AuthenticationFailed, InvalidInput, LockgateError
from workflows.inputs import SHORT_TEXT
from workflows.verbs import password_links, tokens

blueprint = Blueprint("account", __name__, url_prefix="/account")


class TokenForm(FlaskForm):
    name = StringField(
        "What it is for",
        validators=[DataRequired(), Length(max=SHORT_TEXT)],
        render_kw={"autocomplete": "off"},
    )
    days = IntegerField(
        "Days until it expires",
        default=tokens.DEFAULT_DAYS,
        validators=[DataRequired(), NumberRange(1, tokens.MAX_DAYS)],
    )


class RevokeForm(FlaskForm):
    pass


def _page(form: TokenForm, made: str | None = None, status: int = 200) -> tuple[str, int]:
    # After a POST, read with the request's writing unit of work: its next transaction sees
    # the token just made (the request's reader began before it).
    uow = unit_of_work() if made else reader()
    rows = [(t, tokens.state_of(t, uow.now)) for t in tokens.tokens_of(uow, me().actor)]
    page = render_template(
        "account/tokens.html", form=form, revoke=RevokeForm(), rows=rows, made=made
    )
    return page, status


@blueprint.route("/tokens")
@login_required
def tokens_page() -> tuple[str, int]:
    """Your access tokens, and a form to make one."""
    return _page(TokenForm())


@blueprint.route("/tokens", methods=["POST"])
@login_required
def create_token() -> tuple[str, int] | Response:
    """Make a token; the page shows it this once (it is never stored, only its digest)."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    uow = unit_of_work()
    try:
        made = tokens.create_token(uow, me().actor, form.name.data or "", form.days.data or 0)
    except InvalidInput as error:
        for name, problem in error.problems.items():
            getattr(form, name, form.name).errors.append(problem)
        return _page(form, status=400)
    except LockgateError as error:
        flash_refusal(error)
        return _page(form, status=400)
    uow.commit()
    return _page(TokenForm(formdata=None), made=made.token)


@blueprint.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Response:
    """Revoke one of your tokens; it stops working at once."""
    if RevokeForm().validate_on_submit():
        uow = unit_of_work()
        try:
            record = tokens.revoke_token(uow, me().actor, token_id)
        except LockgateError as error:
            flash_refusal(error)
        else:
            uow.commit()
            flash(f"Token '{record.name}' is revoked.", "info")
    return redirect(url_for("account.tokens_page"))


class ChangePasswordForm(SetPasswordForm):
    """The new password twice (as a one-time link asks it), after the current one."""

    current = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=SHORT_TEXT)],
        render_kw={"autocomplete": "current-password"},
    )


@blueprint.route("/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response:
    """Change your own password; every session of yours ends, so you log in again."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        uow = unit_of_work()
        try:
            password_links.change_password(
                uow, me().actor, form.current.data or "", form.new_password.data or ""
            )
        except AuthenticationFailed as error:
            form.current.errors.append(str(error))
        except InvalidInput as error:
            form.new_password.errors.extend(error.problems.values())
        except LockgateError as error:
            flash_refusal(error)
        else:
            uow.commit()
            logout_user()
            flash(
                "Your password is changed and every session of yours ended: log in again.",
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template(
        "account/password.html", form=form, must_change=me().record.must_change_password
    )


ALLOWED_WHILE_MUST_CHANGE = {
    "account.password",
    "auth.logout",
    "auth.login",
    "auth.set_password",
    "static",
}


def require_own_password() -> Response | None:
    """Before every request: someone whose password an admin chose changes it first. Pages
    that need no signed-in user are left alone (the session is not even read for them)."""
    if request.endpoint in ALLOWED_WHILE_MUST_CHANGE or request.endpoint is None:
        return None
    if "_user_id" not in session or not current_user.is_authenticated:
        return None
    if not me().record.must_change_password:
        return None
    return redirect(url_for("account.password"))
