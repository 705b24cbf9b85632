"""The Flask application factory of the Lockgate portal."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from gates import authority as authority_rules
from web.portal import close_unit_of_work, login_manager
from workflows.store.db import instance_path, make_engine
from workflows.store.evidence import (
    DEFAULT_MAX_BYTES,
    EvidenceMismatch,
    EvidenceMissing,
    StoreUnavailable,
    store_from_environment,
)
from workflows.store.failures import Kind, diagnose
from workflows.workspace import Workspace

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the portal; `test_config` overrides settings (and may hold a WORKSPACE)."""
    instance = instance_path()
    app = Flask("web", instance_path=str(instance))
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("LOCKGATE_SECRET_KEY") or _secret_key(instance),
        MAX_CONTENT_LENGTH=DEFAULT_MAX_BYTES + 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("LOCKGATE_HTTPS", "") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        PAGE_SIZE=50,
        TRUSTED_PROXIES=os.environ.get("LOCKGATE_TRUSTED_PROXIES", ""),
    )
    if test_config:
        app.config.from_mapping(test_config)
    proxies = trusted_proxies(app.config["TRUSTED_PROXIES"])
    workspace = app.config.get("WORKSPACE") or Workspace(
        make_engine(app.config.get("DATABASE_URL")), store_from_environment(instance / "evidence")
    )
    app.extensions["lockgate"] = workspace
    login_manager.init_app(app)
    csrf.init_app(app)
    app.teardown_appcontext(close_unit_of_work)
    app.after_request(_security_headers)
    # Templates offer what the rules allow: the same permission values the views require.
    app.jinja_env.globals["permissions"] = authority_rules
    _register_blueprints(app)
    _register_errors(app)
    app.add_url_rule("/healthz", "healthz", _healthz)
    if proxies:
        # Behind `proxies` reverse proxies, the client's address (what login throttling
        # counts) and scheme are the ones they append to X-Forwarded-For and -Proto; the
        # host stays the Host header they pass on: trusting X-Forwarded-Host would let a
        # client choose the host of redirects wherever the proxy does not set it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return app


def trusted_proxies(setting: object) -> int:
    """How many reverse proxies stand in front of the portal (LOCKGATE_TRUSTED_PROXIES).

    Empty means 0: trust no X-Forwarded-* header. Raises ValueError, in words, for anything
    but a whole number of 0 or more.
    """
    text = str(setting).strip()
    if not text:
        return 0
    if not re.fullmatch(r"[0-9]{1,2}", text):
        raise ValueError(
            f"LOCKGATE_TRUSTED_PROXIES={text!r} is not a number of proxies: set it to how many "
            "reverse proxies stand in front of the portal (usually 1), or 0 when clients "
            "connect to it directly."
        )
    return int(text)


def _healthz() -> Response:
    """Liveness for load balancers (and the portal benchmark's baseline): no database."""
    return Response("ok\n", mimetype="text/plain")


def _secret_key(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _register_blueprints(app: Flask) -> None:
    from web import (
        account,
        admin,
        approvals,
        audit,
        auth,
        changes,
        delegations,
        home,
        policies,
        portfolio,
        programmes,
        projects,
        reports,
        waivers,
    )

    modules = (
        auth, home, projects, changes, waivers, approvals, portfolio, policies, audit, admin,
        account, delegations, reports, programmes,
    )  # fmt: skip
    for module in modules:
        app.register_blueprint(module.blueprint)
    app.before_request(account.require_own_password)


def _register_errors(app: Flask) -> None:
    messages = {
        400: ("Bad request", "The request could not be understood."),
        403: ("Not allowed", "Your role does not allow this page or action."),
        404: ("Not found", "There is nothing here, or it is not yours to see."),
        405: ("Not allowed this way", "This address does not accept that kind of request."),
        413: ("Too large", "The upload is larger than the limit."),
    }
    for code, (title, text) in messages.items():
        app.register_error_handler(code, _error_page(code, title, text))

    app.register_error_handler(DBAPIError, _storage_failure)
    app.register_error_handler(OSError, _storage_failure)
    log = " Tell an admin: the portal's log says which file and why."
    evidence_errors = {
        EvidenceMismatch: (
            500,
            "Stored file does not match its record",
            "The stored file does not match its record: it was altered or damaged after it "
            "was attached, so it is not served." + log,
        ),
        EvidenceMissing: (500, "Stored file is missing", "The stored file is missing." + log),
        StoreUnavailable: (
            503,
            "Evidence store unavailable",
            "The evidence store cannot be used just now; try again later." + log,
        ),
    }
    for error, (code, title, text) in evidence_errors.items():
        app.register_error_handler(error, _logged_error_page(code, title, text))

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        text = "The form expired or did not come from this site. Go back, reload and try again."
        return render_template("errors/error.html", title="Form expired", text=text), 400


STORAGE_FAILURES = {
    Kind.UNAVAILABLE: (503, "Database unavailable"),
    Kind.FULL: (507, "Storage full"),
    Kind.READ_ONLY: (500, "Storage read-only"),
    Kind.MISSING: (500, "Storage missing"),
    Kind.DISK: (500, "Storage failing"),
}


def _storage_failure(error: DBAPIError | OSError) -> tuple[str, int, dict[str, str]]:
    """The database or the disk failed: a page in words (the request's unit of work rolls
    back at teardown, so nothing of the action is saved). Any other error of these types
    is a bug and goes on to Flask's own 500."""
    failure = diagnose(error)
    if failure is None:
        raise error
    current_app.logger.error("storage failure: %s", failure.sentence, exc_info=error)
    code, title = STORAGE_FAILURES[failure.kind]
    text = (
        f"{failure.what[0].upper()}{failure.what[1:]}, so nothing was changed. "
        "Try again in a few minutes; if it persists, tell your administrator."
    )
    headers = {"Retry-After": "60"} if code == 503 else {}
    # Its own template: the usual layout reads the signed-in user from the database.
    return render_template("errors/storage.html", title=title, text=text), code, headers


def _logged_error_page(code: int, title: str, text: str) -> Any:
    """An error page in general words; the details (digests, where) go to the log only."""

    def handler(error: Exception) -> tuple[str, int]:
        current_app.logger.error("%s", error)
        return render_template("errors/error.html", title=title, text=text), code

    return handler


def _error_page(code: int, title: str, text: str) -> Any:
    def handler(_error: Exception) -> tuple[str, int]:
        return render_template("errors/error.html", title=title, text=text), code

    return handler
