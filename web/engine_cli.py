"""`lockgate init|project|gate|evidence|user`: the engine's verbs from the command line."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click

from gates.decisions import FollowUp
from web.cli_support import as_option, parse_pairs, reports_errors, workspace
from web.demo import APPROVERS, PASSWORD, PEOPLE, seed_demo
from web.tables import table
from workflows.state import load_project
from workflows.store.records import Project
from workflows.store.schema import upgrade
from workflows.verbs import attach, projects, publishing, reviews, users
from workflows.views.portfolio import project_summaries


@click.command("init")
@click.option("--admin", metavar="USER", help="Also create this first admin user.")
@click.option("--admin-name", default="", help="The admin's printed name.")
@click.option("--admin-password", envvar="LOCKGATE_ADMIN_PASSWORD", default=None)
@reports_errors
def init(admin: str | None, admin_name: str, admin_password: str | None) -> None:
    """Create the database, or upgrade it to this version's schema; publish shipped policies."""
    ws = workspace()
    before, after = upgrade(ws.engine)
    click.echo(
        f"database {ws.engine.url.render_as_string()}: "
        + (
            f"created at revision {after}"
            if before is None
            else f"upgraded {before} -> {after}"
            if before != after
            else f"at revision {after}"
        )
    )
    with ws.unit_of_work() as uow:
        for row in publishing.publish_library(uow):
            click.echo(f"published {row.ref}: {row.title}")
        if admin:
            password = admin_password or click.prompt(
                "Admin password", hide_input=True, confirmation_prompt=True
            )
            users.add_user(
                uow,
                "system",
                admin,
                admin_name or admin,
                password,
                roles=("admin",),
                bootstrap=True,
            )
            click.echo(f"created admin '{admin}'")
        uow.commit()


@click.group("project")
def project_group() -> None:
    """Register, list and show projects."""


@project_group.command("list")
@click.option("--stage", help="Only projects in this stage.")
@click.option("--tier", help="Only projects of this tier.")
@reports_errors
def project_list(stage: str | None, tier: str | None) -> None:
    """List projects with their stage, tier and next gate."""
    with workspace().unit_of_work(read_only=True) as uow:
        rows = [
            [s.key, s.name[:40], s.policy, s.stage, s.tier, s.manager, s.next_gate or "-"]
            for s in project_summaries(uow, stage=stage, tier=tier)
        ]
    click.echo(table(["KEY", "NAME", "POLICY", "STAGE", "TIER", "MANAGER", "NEXT GATE"], rows))
    click.echo(f"{len(rows)} project(s)")


@project_group.command("register")
@as_option
@click.argument("key")
@click.argument("name")
@click.option("--policy", "policy_id", default="standard", show_default=True)
@click.option("--fact", "facts", multiple=True, metavar="NAME=VALUE")
@click.option("--manager", help="The project manager (default: you).")
@click.option("--sponsor", help="The sponsor.")
@reports_errors
def project_register(
    actor: str,
    key: str,
    name: str,
    policy_id: str,
    facts: tuple[str, ...],
    manager: str | None,
    sponsor: str | None,
) -> None:
    """Register project KEY named NAME under the latest version of a policy."""
    with workspace().unit_of_work() as uow:
        project = projects.register_project(
            uow, actor, key, name, policy_id, parse_pairs(facts, "--fact"), manager, sponsor
        )
        uow.commit()
        click.echo(
            f"registered {project.key} under {project.policy_version.ref}: "
            f"stage {project.stage}, tier {project.tier}"
        )


@project_group.command("show")
@as_option
@click.argument("key")
@reports_errors
def project_show(actor: str, key: str) -> None:
    """Show a project: facts, tier, stage, and its next gate's checklist."""
    with workspace().unit_of_work(read_only=True) as uow:
        project = load_project(uow, key)
        click.echo(f"{project.key}  {project.name}")
        click.echo(
            f"policy {project.policy_version.ref}, stage {project.stage}, "
            f"tier {project.tier}, manager {project.manager.username}"
        )
        click.echo(table(["FACT", "VALUE"], [[k, str(v)] for k, v in project.facts.items()]))
        _print_status(uow, actor, key, None)


def _print_status(uow: object, actor: str, key: str, gate: str | None) -> None:
    status = reviews.gate_status(uow, actor, key, gate)  # type: ignore[arg-type]
    review = status.review
    state = (
        f"round {review.round} submitted {review.submitted_at:%Y-%m-%d} by "
        f"{review.submitted_by}, snapshot {review.snapshot_digest[:12]}"
        if review
        else "not submitted"
    )
    click.echo(f"\n{status.gate.name} [{status.gate.id}] -> {status.gate.stage}: {state}")
    if status.report.skipped:
        click.echo(status.report.skipped)
    rows = [[line.status.label.upper(), line.key, line.reason] for line in status.report.lines]
    click.echo(table(["STATUS", "KEY", "REQUIREMENT"], rows))
    verdict = (
        "ready to decide"
        if status.report.ready_to_decide
        else "ready to submit"
        if status.report.ready_to_submit
        else "not ready"
    )
    click.echo(f"{len(status.report.blocking)} blocking; {verdict}")


@click.group("gate")
def gate_group() -> None:
    """Gate reviews: status, submit, sign, decide, withdraw, waive."""


@gate_group.command("status")
@as_option
@click.argument("key")
@click.option("--gate", help="A gate id (default: the next gate).")
@reports_errors
def gate_status(actor: str, key: str, gate: str | None) -> None:
    """The readiness checklist of PROJECT's next gate: what is satisfied, missing, and why."""
    with workspace().unit_of_work(read_only=True) as uow:
        _print_status(uow, actor, key, gate)


@gate_group.command("submit")
@as_option
@click.argument("key")
@click.option("--gate", help="The gate id (default: the next gate).")
@reports_errors
def gate_submit(actor: str, key: str, gate: str | None) -> None:
    """Submit PROJECT's next gate: freezes the evidence snapshot signers sign."""
    with workspace().unit_of_work() as uow:
        review = reviews.submit_gate(uow, actor, key, gate)
        uow.commit()
        click.echo(
            f"submitted {review.gate_id} round {review.round}; snapshot {review.snapshot_digest}"
        )


@gate_group.command("sign")
@as_option
@click.argument("key")
@click.option(
    "--decision",
    default="go",
    show_default=True,
    type=click.Choice(["go", "conditional_go", "recycle", "hold", "kill"]),
)
@click.option("--role", help="The role you sign as (when you hold several).")
@click.option("--comment", default="", help="Required for anything but a plain go.")
@click.option(
    "--password",
    envvar="LOCKGATE_PASSWORD",
    default=None,
    help="Your password (prompted when omitted).",
)
@reports_errors
def gate_sign(
    actor: str, key: str, decision: str, role: str | None, comment: str, password: str | None
) -> None:
    """Sign PROJECT's open review, re-entering your password."""
    password = password or click.prompt("Password", hide_input=True)
    with workspace().unit_of_work() as uow:
        signature = reviews.sign(uow, actor, key, decision, password, role, comment)
        uow.commit()
        click.echo(
            f"signed: {signature.meaning} ({signature.printed_name}, "
            f"{signature.signed_at:%Y-%m-%d %H:%M} UTC, snapshot "
            f"{signature.snapshot_digest[:12]})"
        )


def _follow_up(text: str) -> FollowUp:
    parts = [p.strip() for p in text.split(";")]
    if len(parts) != 3:
        raise click.BadParameter("use 'action; owner; YYYY-MM-DD'", param_hint="--condition")
    try:
        due = date.fromisoformat(parts[2])
    except ValueError:
        raise click.BadParameter(
            f"'{parts[2]}' is not a date (YYYY-MM-DD)", param_hint="--condition"
        ) from None
    return FollowUp(parts[0], parts[1], due)


@gate_group.command("decide")
@as_option
@click.argument("key")
@click.argument("decision", type=click.Choice(["go", "conditional_go", "recycle", "hold", "kill"]))
@click.option("--reason", default="", help="Required for recycle, hold and kill.")
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    metavar="'ACTION; OWNER; YYYY-MM-DD'",
    help="A condition of a conditional go.",
)
@reports_errors
def gate_decide(
    actor: str, key: str, decision: str, reason: str, conditions: tuple[str, ...]
) -> None:
    """Decide PROJECT's open review: go, conditional_go, recycle, hold or kill."""
    follow_ups = [_follow_up(c) for c in conditions]
    with workspace().unit_of_work() as uow:
        decided = reviews.decide(uow, actor, key, decision, reason, follow_ups)
        uow.commit()
        gate = decided.review.gate_id
        click.echo(f"{gate}: {decision.replace('_', ' ')}; {key} is now '{decided.new_stage}'")


@gate_group.command("withdraw")
@as_option
@click.argument("key")
@click.option("--reason", required=True)
@reports_errors
def gate_withdraw(actor: str, key: str, reason: str) -> None:
    """Withdraw PROJECT's open review."""
    with workspace().unit_of_work() as uow:
        review = reviews.withdraw(uow, actor, key, reason)
        uow.commit()
        click.echo(f"withdrew {review.gate_id} round {review.round}")


@gate_group.command("waive")
@as_option
@click.argument("key")
@click.argument("requirement")
@click.option("--justification", required=True)
@click.option("--expires", type=click.DateTime(["%Y-%m-%d"]), help="Expiry date (UTC).")
@reports_errors
def gate_waive(
    actor: str, key: str, requirement: str, justification: str, expires: datetime | None
) -> None:
    """Waive REQUIREMENT (e.g. artifact:business_case) of PROJECT's next gate."""
    with workspace().unit_of_work() as uow:
        waiver = reviews.waive(
            uow,
            actor,
            key,
            requirement,
            justification,
            expires.replace(tzinfo=UTC) if expires else None,
        )
        uow.commit()
        click.echo(f"waived {waiver.requirement} at {waiver.gate_id} as {waiver.granted_role}")


@click.command("attach")
@as_option
@click.argument("key")
@click.argument("artifact")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE")
@click.option("--note", default="")
@reports_errors
def attach_command(
    actor: str,
    key: str,
    artifact: str,
    path: Path | None,
    url: str | None,
    fields: tuple[str, ...],
    note: str,
) -> None:
    """Attach evidence for ARTIFACT to PROJECT: a file, a link, or form fields."""
    given = [x for x in (path, url, fields) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --file, --url or --field")
    with workspace().unit_of_work() as uow:
        if path is not None:
            with path.open("rb") as stream:
                row = attach.attach_file(uow, actor, key, artifact, stream, path.name, note=note)
        elif url is not None:
            row = attach.attach_link(uow, actor, key, artifact, url, note)
        else:
            row = attach.attach_form(
                uow, actor, key, artifact, parse_pairs(fields, "--field"), note
            )
        uow.commit()
        click.echo(f"attached {artifact} v{row.version} ({row.kind}, sha256 {row.digest[:12]})")


@click.group("user")
def user_group() -> None:
    """Users and roles."""


@user_group.command("add")
@as_option
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Printed name, shown on signatures.")
@click.option("--email", default="")
@click.option(
    "--role", "roles", multiple=True, help="Global role: pmo, auditor, admin, project_manager."
)
@click.option("--password", envvar="LOCKGATE_NEW_PASSWORD", default=None)
@reports_errors
def user_add(
    actor: str,
    username: str,
    display_name: str,
    email: str,
    roles: tuple[str, ...],
    password: str | None,
) -> None:
    """Add a user (admins only)."""
    password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with workspace().unit_of_work() as uow:
        users.add_user(uow, actor, username, display_name, password, email, roles)
        uow.commit()
        click.echo(f"added {username}" + (f" ({', '.join(roles)})" if roles else ""))


@user_group.command("grant")
@as_option
@click.argument("username")
@click.argument("role")
@click.option("--project", "key", help="Grant the role on one project (sponsor, finance, ...).")
@reports_errors
def user_grant(actor: str, username: str, role: str, key: str | None) -> None:
    """Grant ROLE to USERNAME, globally or on one project."""
    with workspace().unit_of_work() as uow:
        project = load_project(uow, key) if key else None
        users.grant_role(uow, actor, username, role, project)
        uow.commit()
        click.echo(f"granted {role} to {username}" + (f" on {key}" if key else ""))


@click.command("publish")
@as_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reports_errors
def policy_publish(actor: str, path: Path) -> None:
    """Publish a policy file as a new, immutable version (PMO)."""
    with workspace().unit_of_work() as uow:
        row = publishing.publish(uow, actor, path.read_text(encoding="utf-8"), str(path))
        uow.commit()
        click.echo(f"published {row.ref} ({row.digest[:12]})")


@click.command("demo")
@click.option("--seed-only", is_flag=True, help="Seed the demo portfolio and exit.")
@click.option("--projects", "count", default=25, show_default=True, help="Projects to seed.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@reports_errors
def demo(seed_only: bool, count: int, host: str, port: int) -> None:
    """Create a demo database with a seeded portfolio, then serve the portal on it."""
    ws = workspace()
    upgrade(ws.engine)
    with ws.unit_of_work() as uow:
        seeded = uow.session.query(Project.id).first() is not None
    if seeded:
        click.echo("the demo portfolio is already seeded; using it as it is")
    else:
        with click.progressbar(
            length=count, label="seeding the demo portfolio", file=sys.stderr
        ) as bar:
            done = [0]

            def progress(n: int) -> None:
                bar.update(n - done[0])
                done[0] = n

            keys = seed_demo(ws, count, progress=progress)
        click.echo(f"seeded {len(keys)} projects")
    click.echo(f"\nDemo logins (password for all: {PASSWORD}):")
    rows = [
        [p.username, p.name, ", ".join(p.roles) or _project_roles_hint(p.username)] for p in PEOPLE
    ]
    click.echo(table(["USER", "NAME", "ROLES"], rows))
    if seed_only:
        return
    from web.app import create_app

    click.echo(f"\nLockgate portal: http://{host}:{port}/  (Ctrl+C to stop)")
    _serve(create_app(), host, port, threaded=True)


def _project_roles_hint(username: str) -> str:
    if username.startswith("sponsor."):
        return "sponsor (on their projects)"
    role = next((r for r, u in APPROVERS.items() if u == username), "")
    return f"{role} approver (on every project)" if role else ""


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--threads/--no-threads", default=True, show_default=True)
@reports_errors
def serve(host: str, port: int, threads: bool) -> None:
    """Serve the portal on the configured database (upgraded first, no demo data).

    For production run it under gunicorn instead:
    gunicorn -w 4 -b 0.0.0.0:8000 'web.app:create_app()'
    """
    from web.app import create_app

    upgrade(workspace().engine)
    click.echo(f"Lockgate portal: http://{host}:{port}/  (Ctrl+C to stop)")
    _serve(create_app(), host, port, threaded=threads)


def _serve(app: object, host: str, port: int, threaded: bool) -> None:
    # werkzeug directly: Flask's app.run() refuses to start inside a `flask` CLI command.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=threaded, use_reloader=False)  # type: ignore[arg-type]
