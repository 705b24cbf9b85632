"""`lockgate user add|attributes|grant|disable|enable|conflicts|reset|password`."""

from __future__ import annotations

import click

from gates.authority import REVIEW_GRANTS
from web.cli.shared import acting, say, show_table, typed_password, workspace
from workflows.identity import Actor
from workflows.state import load_project
from workflows.verbs import password_links, users
from workflows.verbs.users import require_permission
from workflows.views import users as user_views


@click.group("user")
def user_group() -> None:
    """Users and roles."""


@user_group.command("add")
@acting
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Printed name, shown on signatures.")
@click.option("--email", default="")
@click.option(
    "--role", "roles", multiple=True, help="Global role: pmo, auditor, admin, project_manager."
)
@click.option(
    "--password",
    envvar="LOCKGATE_NEW_PASSWORD",
    default=None,
    help="Choose their password instead of a link (they must change it at their next login).",
)
def user_add(
    actor: Actor,
    username: str,
    display_name: str,
    email: str,
    roles: tuple[str, ...],
    password: str | None,
) -> None:
    """Add a user (admins only); prints the one-time link where they set their password."""
    with workspace().unit_of_work() as uow:
        users.add_user(uow, actor, username, display_name, password, email, roles)
        link = None
        if password is None:
            link = password_links.issue_link(uow, actor, username, password_links.ENROLL)
        uow.commit()
    say(f"added {username}" + (f" ({', '.join(roles)})" if roles else ""))
    if link is not None:
        _say_link(username, link)


@user_group.command("attributes")
@acting
@click.argument("username")
@click.option("--org-unit", default=None, help="Their organisation unit ('' clears it).")
@click.option("--team", default=None, help="Their team ('' clears it).")
def user_attributes(actor: Actor, username: str, org_unit: str | None, team: str | None) -> None:
    """Record USERNAME's org unit and team (admins; never their own): assurance reviewers
    must be independent of a project's units and teams."""
    with workspace().unit_of_work() as uow:
        user = users.set_attributes(uow, actor, username, org_unit, team)
        uow.commit()
        unit, team = user.org_unit or "(not recorded)", user.team or "(not recorded)"
        say(f"{username}: org unit {unit}, team {team}")


def _say_link(username: str, link: password_links.NewLink) -> None:
    say(link.url)
    say(
        f"Give this link to {username} privately: it sets their password once, until "
        f"{link.expires_at:%Y-%m-%d %H:%M} UTC. It is not stored and is shown only now.",
        err=True,
    )


@user_group.command("reset")
@acting
@click.argument("username")
def user_reset(actor: Actor, username: str) -> None:
    """Issue a one-time link for USERNAME to set a new password (admins only)."""
    with workspace().unit_of_work() as uow:
        link = password_links.issue_link(uow, actor, username, password_links.RESET)
        uow.commit()
    _say_link(username, link)


@user_group.command("password")
@acting
@click.option("--new-password", envvar="LOCKGATE_NEW_PASSWORD", default=None)
def user_password(actor: Actor, new_password: str | None) -> None:
    """Change your own password; every portal session of yours ends."""
    current = typed_password() or click.prompt("Current password", hide_input=True)
    new_password = new_password or click.prompt(
        "New password", hide_input=True, confirmation_prompt=True
    )
    with workspace().unit_of_work() as uow:
        password_links.change_password(uow, actor, current, new_password)
        uow.commit()
    say("password changed; every portal session of yours ended")


@user_group.command("grant")
@acting
@click.argument("username")
@click.argument("role")
@click.option("--project", "key", help="Grant the role on one project (sponsor, finance, ...).")
def user_grant(actor: Actor, username: str, role: str, key: str | None) -> None:
    """Grant ROLE to USERNAME, globally or on one project. Without --project: a global role
    (pmo, auditor, admin, project_manager) or a standing policy role held on every project
    (treasury, investment_board, ...; never sponsor)."""
    with workspace().unit_of_work() as uow:
        project = load_project(uow, key) if key else None
        users.grant_role(uow, actor, username, role, project)
        uow.commit()
        say(f"granted {role} to {username}" + (f" on {key}" if key else ""))


@user_group.command("disable")
@acting
@click.argument("username")
def user_disable(actor: Actor, username: str) -> None:
    """Disable USERNAME (admins only): they can do nothing anywhere until enabled again; their
    sessions end at once and their tokens stop working."""
    with workspace().unit_of_work() as uow:
        users.set_active(uow, actor, username, active=False)
        uow.commit()
    say(f"disabled {username}")


@user_group.command("enable")
@acting
@click.argument("username")
def user_enable(actor: Actor, username: str) -> None:
    """Enable USERNAME again (admins only)."""
    with workspace().unit_of_work() as uow:
        users.set_active(uow, actor, username, active=True)
        uow.commit()
    say(f"enabled {username}")


@user_group.command("conflicts")
@acting
def user_conflicts(actor: Actor) -> None:
    """Grants in force that break segregation of duties (admins and auditors): incompatible
    roles held on one project, and roles granted to oneself. Exit 1 when there are any."""
    with workspace().unit_of_work(read_only=True) as uow:
        require_permission(uow, actor, REVIEW_GRANTS, "list grant conflicts")
        found = user_views.grant_conflicts(uow)
    show_table(
        ["USER", "PROJECT", "ROLES", "RULE", "WHY"],
        [
            (c.username, c.project_key or "(global)", ", ".join(c.roles), c.rule, c.words)
            for c in found
        ],
    )
    say(f"{len(found)} conflict(s)")
    if found:
        raise SystemExit(1)
