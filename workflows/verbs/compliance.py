"""Reading and exporting compliance reports (workflows.views.compliance): auditors, the PMO
and admins; an export is recorded with the report's parameters, row count and digest."""

from __future__ import annotations

from datetime import datetime

from gates.refusals import Refusal
from workflows.errors import InvalidInput, Refused
from workflows.identity import Actor
from workflows.refusal_log import refusals_recorded
from workflows.store.uow import UnitOfWork
from workflows.verbs.audit import require_auditor
from workflows.views.compliance import KINDS, Report, report


@refusals_recorded
def read_report(
    uow: UnitOfWork, actor: Actor, kind: str, since: datetime, until: datetime
) -> Report:
    """The report `kind` over [since, until), for reading on a page."""
    require_auditor(uow, actor, "read compliance reports")
    return report(uow, _known(kind), *_period(since, until))


@refusals_recorded
def export_report(
    uow: UnitOfWork, actor: Actor, kind: str, since: datetime, until: datetime
) -> Report:
    """The report, recorded as exported (`report.exported`: kind, period, rows, digest); the
    caller commits once the file is written."""
    found = read_report(uow, actor, kind, since, until)
    uow.record(
        actor.username, "report.exported", None, kind=found.kind, since=found.since,
        until=found.until, rows=found.count, truncated=found.truncated, digest=found.digest,
    )  # fmt: skip
    return found


def _known(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput("Unknown report", {"kind": f"choose one of {', '.join(KINDS)}"})
    return kind


def _period(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("The period needs times in UTC", {"from": "give a UTC time"})
    if until <= since:
        text = "The period ends before it starts: give --from before --to."
        raise Refused("read compliance reports", [Refusal("report.period", "to", text)])
    return since, until
