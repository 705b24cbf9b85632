"""`lockgate audit verify|checkpoint|export`: the tamper-evident trail, as an auditor runs it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from gates.checkpoints import CheckpointError, checkpoint_to_json
from web.cli.shared import acting, say, workspace
from workflows.freshness import last_change
from workflows.identity import Actor
from workflows.verbs import audit


@click.group("audit")
def audit_group() -> None:
    """Verify, checkpoint and export the tamper-evident audit trail."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also check against a saved checkpoint file.",
)
def verify(checkpoint_file: Path | None) -> None:
    """Verify the whole chain; name the first bad event and why. Exits 1 on any problem."""
    text = checkpoint_file.read_text() if checkpoint_file else None
    with workspace().unit_of_work(read_only=True) as uow:
        total = last_change(uow)  # the chain head's count: the progress bar's length
        start = time.perf_counter()
        with click.progressbar(
            length=total, label="verifying", file=sys.stderr, show_pos=True
        ) as bar:
            done = [0]

            def progress(count: int) -> None:
                bar.update(count - done[0])
                done[0] = count

            try:
                result = audit.verify(uow, text, progress)
            except CheckpointError as error:
                say(f"error: {error}", err=True)
                sys.exit(1)
            bar.update(result.checked - done[0])
        elapsed = time.perf_counter() - start
    head = result.head.hash if result.head else "(empty)"
    say(f"{result.checked:,} events checked in {elapsed:.2f} s; head {head}")
    if result.problem is not None:
        say(
            f"FAILED at event #{result.problem.seq:,} ({result.problem.kind}): "
            f"{result.problem.message}"
        )
        sys.exit(1)
    say("OK: the trail is intact" + (" and matches the checkpoint" if text else ""))


@audit_group.command("checkpoint")
@acting
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the signed checkpoint (keep it outside the database).",
)
def checkpoint(actor: Actor, output: Path) -> None:
    """Write a signed checkpoint: event count and head hash, HMAC-signed with a key kept
    outside the database (LOCKGATE_CHECKPOINT_KEY)."""
    with workspace().unit_of_work() as uow:
        signed = audit.checkpoint(uow, actor)
        # Written before the commit: a file that cannot be written leaves no audited checkpoint.
        output.write_text(checkpoint_to_json(signed))
        uow.commit()
    say(f"checkpoint of {signed.count:,} events, head {signed.head_hash} -> {output}")


@audit_group.command("export")
@acting
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--project", help="Only this project's events.")
@click.option("--actor", "who", help="Only this actor's events.")
@click.option("--action", help="Only actions starting with this (e.g. review.).")
def export(
    actor: Actor,
    fmt: str,
    output: Path | None,
    project: str | None,
    who: str | None,
    action: str | None,
) -> None:
    """Export audit events as JSON lines or CSV (to a file or standard output)."""
    where = audit.EventFilter(project=project, actor=who, action=action)
    with workspace().unit_of_work() as uow:
        audit.require_auditor(uow, actor, "export the audit trail")
        if output is None:
            count = audit.export(uow, sys.stdout, fmt, where)
        else:
            with output.open("w", newline="") as handle:
                count = audit.export(uow, handle, fmt, where)
        uow.record(
            actor.username,
            "audit.exported",
            project,
            format=fmt,
            count=count,
            filters={"project": project, "actor": who, "action": action},
        )
        uow.commit()
    say(f"exported {count:,} events", err=True)
