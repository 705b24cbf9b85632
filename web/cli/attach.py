"""`lockgate attach`: evidence for one artifact of a project."""

from __future__ import annotations

from pathlib import Path

import click

from web.cli.shared import acting, parse_pairs, say, workspace
from workflows.identity import Actor
from workflows.verbs import attach as attaching


@click.command("attach")
@acting
@click.argument("key")
@click.argument("artifact")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE")
@click.option("--note", default="")
def attach(
    actor: Actor,
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
                row = attaching.attach_file(uow, actor, key, artifact, stream, path.name, note=note)
        elif url is not None:
            row = attaching.attach_link(uow, actor, key, artifact, url, note)
        else:
            row = attaching.attach_form(
                uow, actor, key, artifact, parse_pairs(fields, "--field"), note
            )
        uow.commit()
        say(f"attached {artifact} v{row.version} ({row.kind}, sha256 {row.digest[:12]})")
