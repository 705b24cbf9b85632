"""`lockgate demo`: a demo database with a seeded portfolio, served by the portal."""

from __future__ import annotations

import sys

import click

from web.cli.serve import serve_portal
from web.cli.shared import say, show_table, workspace
from web.demo import APPROVERS, PASSWORD, PEOPLE, seed_demo
from workflows.store.records import Project
from workflows.store.schema import upgrade


@click.command("demo")
@click.option("--seed-only", is_flag=True, help="Seed the demo portfolio and exit.")
@click.option("--projects", "count", default=25, show_default=True, help="Projects to seed.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def demo(seed_only: bool, count: int, host: str, port: int) -> None:
    """Create a demo database with a seeded portfolio, then serve the portal on it."""
    ws = workspace()
    upgrade(ws.engine)
    with ws.unit_of_work(read_only=True) as uow:
        seeded = uow.session.query(Project.id).first() is not None
    if seeded:
        say("the demo portfolio is already seeded; using it as it is")
    else:
        with click.progressbar(
            length=count, label="seeding the demo portfolio", file=sys.stderr
        ) as bar:
            done = [0]

            def progress(n: int) -> None:
                bar.update(n - done[0])
                done[0] = n

            keys = seed_demo(ws, count, progress=progress)
        say(f"seeded {len(keys)} projects")
    say()
    say(f"Demo logins (password for all: {PASSWORD}):")
    rows = [[p.username, p.name, ", ".join(p.roles) or _project_roles(p.username)] for p in PEOPLE]
    show_table(["USER", "NAME", "ROLES"], rows)
    if not seed_only:
        say()
        serve_portal(host, port, threaded=True)


def _project_roles(username: str) -> str:
    if username.startswith("sponsor."):
        return "sponsor (on their projects)"
    role = next((r for r, u in APPROVERS.items() if u == username), "")
    return f"{role} approver (on every project)" if role else ""
