"""`lockgate serve`: the portal on the configured database. Flask is imported when it runs."""

from __future__ import annotations

import click

from web.cli.shared import say, workspace
from workflows.store.schema import upgrade


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--threads/--no-threads", default=True, show_default=True)
def serve(host: str, port: int, threads: bool) -> None:
    """Serve the portal on the configured database (upgraded first, no demo data).

    For production run it under gunicorn instead:
    gunicorn -w 4 -b 0.0.0.0:8000 'web.app:create_app()'
    """
    upgrade(workspace().engine)
    serve_portal(host, port, threaded=threads)


def serve_portal(host: str, port: int, *, threaded: bool) -> None:
    """Serve the portal with werkzeug's development server until Ctrl+C."""
    from werkzeug.serving import run_simple

    from web.app import create_app

    app = create_app()
    say(f"Lockgate portal: http://{host}:{port}/  (Ctrl+C to stop)")
    run_simple(host, port, app, threaded=threaded, use_reloader=False)
