"""Compliance reports in the portal: choose a kind and a period, read it, download it as CSV
(the download is audited). Auditors, the PMO and admins."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required
from flask_wtf import FlaskForm

from gates.authority import AUDIT
from web.portal import flash_refusal, me, requires, unit_of_work
from workflows.errors import LockgateError
from workflows.verbs.compliance import export_report, read_report
from workflows.views.compliance import KINDS

blueprint = Blueprint("reports", __name__, url_prefix="/reports")

DEFAULT_DAYS = 90


class DownloadForm(FlaskForm):
    """The CSRF token of the download button."""


def _period() -> tuple[date, date] | None:
    """The period the query string asks for (default: the last 90 days); None if unreadable."""
    try:
        until = date.fromisoformat(request.args.get("to") or date.today().isoformat())
        since = date.fromisoformat(
            request.args.get("from") or (until - timedelta(days=DEFAULT_DAYS)).isoformat()
        )
    except ValueError:
        return None
    return since, until


def _moments(since: date, until: date) -> tuple[datetime, datetime]:
    """From the start of `since` to the end of `until`, UTC."""
    return datetime.combine(since, time.min, UTC), datetime.combine(until, time.max, UTC)


@blueprint.route("/")
@login_required
@requires(AUDIT)
def index() -> str | tuple[str, int]:
    """The report asked for (kind, from, to), or the choice of reports."""
    kind = request.args.get("kind", "")
    period = _period()
    found, error = None, ""
    if period is None:
        error = "Give the period as dates, like 2026-06-30."
    elif kind:
        if kind not in KINDS:
            abort(404)
        try:
            found = read_report(unit_of_work(), me().actor, kind, *_moments(*period))
        except LockgateError as refused:
            flash_refusal(refused)
    since, until = period or (None, None)
    page = render_template(
        "reports/index.html", kinds=KINDS, kind=kind, since=since, until=until, report=found,
        error=error, form=DownloadForm(formdata=None),
    )  # fmt: skip
    return (page, 400) if error else page


@blueprint.route("/download", methods=["POST"])
@login_required
@requires(AUDIT)
def download() -> Response:
    """The report as CSV; the export is recorded with its rows and digest."""
    if not DownloadForm().validate_on_submit():
        abort(400)
    kind, period = request.args.get("kind", ""), _period()
    if kind not in KINDS or period is None:
        abort(400)
    uow = unit_of_work()
    found = export_report(uow, me().actor, kind, *_moments(*period))
    uow.commit()
    name = f"{kind}-{period[0].isoformat()}-{period[1].isoformat()}.csv"
    return Response(
        found.csv(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Report-Digest": found.digest,
            "Cache-Control": "private, no-store",
        },
    )
