"""What every portal page shares: the request's unit of work, the signed-in user, access
checks that answer 404 for what a user may not see, and refusal handling."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, flash, g, request
from flask_login import LoginManager, UserMixin, current_user

from gates.authority import READ, Authority, Permission
from workflows.errors import LockgateError, NotFound, Refused
from workflows.identity import Actor, from_session
from workflows.state import authority_on, load_project
from workflows.store.records import Project, User
from workflows.store.uow import UnitOfWork
from workflows.views.users import signed_in_user
from workflows.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see this page."
login_manager.session_protection = "strong"


class PortalUser(UserMixin):
    """The signed-in person. The session id carries the session version, so bumping it
    (logout, disable) ends every session at once, copied cookies included."""

    def __init__(self, record: User, roles: set[str], actor: Actor) -> None:
        self.record = record
        self.actor = actor  # what the verbs take: authenticated by this session
        self.username = record.username
        self.display_name = record.display_name
        self.roles = roles

    def get_id(self) -> str:
        return f"{self.record.id}:{self.record.session_version}"

    @property
    def is_active(self) -> bool:
        return self.record.active

    def may(self, permission: Permission) -> bool:
        """True when the user's global roles grant `permission` (gates.authority): what the
        pages offer (a menu entry, a button) follows the rule that guards the action."""
        return permission.allows_roles(frozenset(self.roles))


@login_manager.user_loader
def _load_user(session_id: str) -> PortalUser | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    record, roles = signed_in_user(reader(), int(user_id))
    actor = None if record is None else from_session(record, int(version))
    if record is None or actor is None:
        return None
    return PortalUser(record, roles, actor)


def workspace() -> Workspace:
    """The application's workspace."""
    found: Workspace = current_app.extensions["lockgate"]
    return found


def unit_of_work() -> UnitOfWork:
    """The request's unit of work, opened on first use and closed at teardown.

    GET and HEAD requests read only (on SQLite they never wait for the write lock); other
    methods may change state. Its transaction begins at its first statement.
    """
    if request.method in ("GET", "HEAD"):
        return reader()
    if "uow" not in g:
        g.uow = workspace().unit_of_work().__enter__()
    found: UnitOfWork = g.uow
    return found


def reader() -> UnitOfWork:
    """The request's read-only unit of work: the signed-in user, and pages a POST shows.

    On SQLite a writing transaction holds the database's write lock until it ends; reading
    what a form needs here means a POST takes that lock only when its verb writes.
    """
    if "reader" not in g:
        g.reader = workspace().unit_of_work(read_only=True).__enter__()
    found: UnitOfWork = g.reader
    return found


def close_unit_of_work(_error: BaseException | None = None) -> None:
    """Teardown: roll back whatever was not committed and release the connections."""
    for name in ("uow", "reader"):
        uow = g.pop(name, None)
        if uow is not None:
            uow.__exit__(None, None, None)


def me() -> PortalUser:
    """The signed-in user (views are behind login_required)."""
    user: PortalUser = current_user._get_current_object()
    return user


def project_or_404(key: str, uow: UnitOfWork | None = None) -> tuple[Project, Authority]:
    """The project and what the user may do on it (gates.authority); 404 when it does not
    exist or is not theirs to see.

    Read in the request's unit of work, or in `uow`.
    """
    uow = uow or unit_of_work()
    try:
        project = load_project(uow, key)
        granted = authority_on(uow, me().username, project)
    except NotFound:
        abort(404)
    if not granted.may(READ):
        abort(404)
    return project, granted


def requires(permission: Permission) -> Callable[[F], F]:
    """Allow a view only to users whose global roles grant `permission` (gates.authority);
    else 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not me().may(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def flash_refusal(error: LockgateError) -> None:
    """Show a refused action's reasons as messages, in the user's words."""
    if isinstance(error, Refused):
        flash(f"Could not {error.action}:", "error")
        for reason in error.reasons:
            flash(reason, "error")
    else:
        flash(str(error), "error")


def place_refusals(error: Refused, fields: dict[str, list[str]]) -> None:
    """Show each refusal next to the input its field key names (`fields`: key -> that
    input's error list); flash the others. No words are read to decide where one goes."""
    rest = []
    for refusal in error.refusals:
        errors = fields.get(refusal.field) if refusal.field is not None else None
        if errors is None:
            rest.append(refusal)
        else:
            errors.append(refusal.text)
    if rest:
        flash_refusal(Refused(error.action, rest))
    else:
        flash(f"Could not {error.action}: see the fields marked below.", "error")
