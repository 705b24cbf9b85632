"""`lockgate dossier KEY -o FILE.zip` and `lockgate dossier verify FILE.zip`: gate dossiers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gates.checkpoints import CheckpointError
from web.cli.audit import public_keys
from web.cli.shared import acting, say, workspace
from workflows.identity import Actor


class _DossierGroup(click.Group):
    """`dossier KEY ...` exports; `dossier verify FILE` checks: a first word that is not a
    subcommand is the project key of an export."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "export", self.commands["export"], args
        return super().resolve_command(ctx, args)


@click.group("dossier", cls=_DossierGroup)
def dossier_group() -> None:
    """Gate dossiers: export a project's evidence pack, or check one with no database."""


@dossier_group.command("export")
@acting
@click.argument("key")
@click.option("--gate", help="Only this gate's review rounds and conditions.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
    help="The .zip to write.",
)  # fmt: skip
@click.option(
    "--digests-only", is_flag=True, help="Leave the evidence files out (their digests stay)."
)
@click.option(
    "--pdf", is_flag=True, help="Also print the report to report.pdf (needs WeasyPrint: "
    "pip install 'lockgate[pdf]'; a few seconds more).",
)  # fmt: skip
@public_keys
def export(
    actor: Actor,
    key: str,
    gate: str | None,
    output: Path,
    digests_only: bool,
    pdf: bool,
    keys: Any,
) -> None:
    """Export KEY's dossier, pinned to the newest signed checkpoint: the policy version, every
    review round with its signatures, conditions and waivers, the evidence, the project's
    events with inclusion proofs, and a readable report (auditors, the PMO, admins)."""
    from workflows.errors import LockgateError
    from workflows.verbs.dossier import export_dossier

    partial = output.with_name(output.name + ".part")
    try:
        with workspace().unit_of_work() as uow, partial.open("wb") as out:
            done = export_dossier(
                uow, actor, key, out, gate=gate, files=not digests_only, keys=keys, pdf=pdf
            )
            uow.commit()
    except (LockgateError, CheckpointError) as error:
        partial.unlink(missing_ok=True)
        say(f"error: {error}", err=True)
        sys.exit(1)
    partial.replace(output)
    say(
        f"dossier of {key}: {done.files} files, {done.events} events, pinned to the checkpoint "
        f"of {done.checkpoint_size:,} events -> {output} (manifest {done.manifest_digest[:16]}…)"
    )


@dossier_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@public_keys
def verify(file: Path, keys: Any) -> None:
    """Check a dossier with no database (acts as nobody): files against the manifest, the
    checkpoint's signature, each event's hash and proof, signatures bound to snapshots."""
    from workflows.verbs.dossier import verify_dossier

    try:
        checked = verify_dossier(str(file), tuple(keys))
    except (CheckpointError, KeyError, ValueError) as error:
        say(f"FAILED: {error}")
        sys.exit(1)
    for line in checked:
        say(f"OK: {line}")
