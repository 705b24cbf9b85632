"""`lockgate init`: create or upgrade the database and publish the shipped policies."""

from __future__ import annotations

import click

from web.cli.shared import say, workspace
from workflows.identity import system
from workflows.store.schema import upgrade
from workflows.verbs import publishing, users


@click.command("init")
@click.option("--admin", metavar="USER", help="Also create this first admin user.")
@click.option("--admin-name", default="", help="The admin's printed name.")
@click.option("--admin-password", envvar="LOCKGATE_ADMIN_PASSWORD", default=None)
def init(admin: str | None, admin_name: str, admin_password: str | None) -> None:
    """Create the database, or upgrade it to this version's schema; publish shipped policies."""
    ws = workspace()
    before, after = upgrade(ws.engine)
    say(f"database {ws.engine.url.render_as_string()}: {_schema_change(before, after)}")
    with ws.unit_of_work() as uow:
        for row in publishing.publish_library(uow):
            say(f"published {row.ref}: {row.title}")
        if admin:
            password = admin_password or click.prompt(
                "Admin password", hide_input=True, confirmation_prompt=True
            )
            # Only while there is no admin yet: later users are added by an admin.
            users.add_user(uow, system(), admin, admin_name or admin, password, roles=("admin",))
            say(f"created admin '{admin}'")
        uow.commit()


def _schema_change(before: str | None, after: str) -> str:
    if before is None:
        return f"created at revision {after}"
    if before != after:
        return f"upgraded {before} -> {after}"
    return f"at revision {after}"
