"""`lockgate audit ...`: the tamper-evident trail, as an auditor runs it: verify (and
--deep), keygen, checkpoint, prove, consistency, check-proof, export."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from gates.checkpoints import CheckpointError
from web.cli.shared import acting, say, workspace
from workflows.freshness import last_change
from workflows.identity import Actor
from workflows.verbs import audit

# The log's public keys, to open signed checkpoints with (verify, prove, check proofs).
public_keys = click.option(
    "--key",
    "keys",
    multiple=True,
    help="A public key of the log (a file of keys, or a key text); default "
    "LOCKGATE_AUDIT_PUBLIC_KEY. Repeat it for rotated keys.",
)


@click.group("audit")
def audit_group() -> None:
    """Verify, checkpoint and export the tamper-evident audit trail."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also check against a saved checkpoint (repeat it: a rewrite is placed between the "
    "last checkpoint it matches and the first it breaks).",
)
@public_keys
@click.option(
    "--deep",
    is_flag=True,
    help="Also replay the trail and reconcile every governance table with it (projects, "
    "evidence versions, reviews, signatures, conditions, waivers, grants, delegations, "
    "change requests, overrides, active flags).",
)
def verify(checkpoint_files: tuple[Path, ...], keys: tuple[str, ...], deep: bool) -> None:
    """Verify the whole chain and its head, and the Merkle tree against each checkpoint;
    name the first bad event and why; with --deep, every row that disagrees with the trail.
    Exits 1 on any problem."""
    texts = [path.read_text(encoding="utf-8") for path in checkpoint_files]
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
                result, mismatches = (
                    audit.verify_deep(uow, progress, checkpoints=texts, keys=keys)
                    if deep
                    else (audit.verify(uow, None, progress, checkpoints=texts, keys=keys), [])
                )
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
    if mismatches:
        say(f"FAILED: {len(mismatches):,} row(s) disagree with the trail:")
        for mismatch in mismatches:
            say(f"  {mismatch}")
        sys.exit(1)
    matched = f" and matches {len(texts)} checkpoint{'s' if len(texts) > 1 else ''}"
    deeply = "; the tables agree with it" if deep else ""
    say("OK: the trail is intact" + (matched if texts else "") + deeply)


@audit_group.command("keygen")
@click.option("--name", required=True, help="The log's name, e.g. lockgate.example.com/audit.")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The folder for NAME.key (private, mode 0600) and NAME.pub.",
)
def keygen(name: str, output: Path) -> None:
    """Make an Ed25519 key pair for signing checkpoints (acts as nobody). Keep the private
    key off the database host (LOCKGATE_AUDIT_KEY names it); give the public key to auditors."""
    from gates.notes import NoteError
    from workflows.store.audit_keys import generate

    try:
        secret, public = generate(name)
    except NoteError as error:
        raise click.BadParameter(str(error), param_hint="--name") from None
    output.mkdir(parents=True, exist_ok=True)
    stem = name.replace("/", "_")
    private_path, public_path = output / f"{stem}.key", output / f"{stem}.pub"
    try:
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.UsageError(f"{private_path} exists: a key is never overwritten.") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    public_path.write_text(public + "\n", encoding="utf-8")
    say(f"private key -> {private_path} (set LOCKGATE_AUDIT_KEY to it; keep it secret)")
    say(f"public key  -> {public_path} (auditors check checkpoints with it)")
    say(public)


@audit_group.command("checkpoint")
@acting
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The file to write (or, with --every, the folder of checkpoint-SIZE.txt files); "
    "keep it outside the database.",
)
@click.option(
    "--every",
    metavar="N|Nm",
    help="Keep running: write a checkpoint each time the trail grew by N events, or every "
    "N minutes (10m) if it grew at all.",
)
def checkpoint(actor: Actor, output: Path, every: str | None) -> None:
    """Write a checkpoint: the trail's Merkle tree head (C2SP tlog-checkpoint), signed with
    the Ed25519 key LOCKGATE_AUDIT_KEY names. Audited."""
    if every is None:
        size = _write_checkpoint(actor, output)
        say(f"checkpoint of {size:,} events -> {output}")
        return
    events, minutes = _schedule(every)
    output.mkdir(parents=True, exist_ok=True)
    _run_schedule(actor, output, events, minutes)


def _write_checkpoint(actor: Actor, output: Path) -> int:
    from gates.notes import parse_checkpoint_text

    with workspace().unit_of_work() as uow:
        note = audit.checkpoint(uow, actor)
        # Written before the commit: a file that cannot be written leaves no audited checkpoint.
        output.write_text(note, encoding="utf-8")
        uow.commit()
    return parse_checkpoint_text(note.partition("\n\n")[0] + "\n")[1].size


def _schedule(every: str) -> tuple[int | None, float | None]:
    text = every.strip().lower()
    number = text[:-1] if text.endswith("m") else text
    if not number.isdigit() or int(number) < 1:
        raise click.BadParameter(
            "write a number of events (1000) or minutes (15m)", param_hint="--every"
        )
    return (None, float(number)) if text.endswith("m") else (int(number), None)


def _run_schedule(actor: Actor, folder: Path, events: int | None, minutes: float | None) -> None:
    """Poll the trail; write checkpoint-SIZE.txt when due. Stops on Ctrl-C."""
    written, last_time = 0, 0.0
    try:
        while True:
            with workspace().unit_of_work(read_only=True) as uow:
                size = last_change(uow)
            now = time.monotonic()
            due = (
                size - written >= events
                if events is not None
                else size > written and now - last_time >= (minutes or 0) * 60
            )
            if due:
                path = folder / "checkpoint-new.txt"
                covered = _write_checkpoint(actor, path)
                final = folder / f"checkpoint-{covered:09d}.txt"
                path.rename(final)
                say(f"checkpoint of {covered:,} events -> {final}")
                written, last_time = covered + 1, now  # its own event is not news
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        say("stopped")


POLL_SECONDS = 5.0


@audit_group.command("prove")
@acting
@click.argument("event", type=int)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The signed checkpoint to prove the event against (one that covers it).",
)
@public_keys
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
def prove(
    actor: Actor, event: int, checkpoint_file: Path, keys: tuple[str, ...], output: Path | None
) -> None:
    """Print a C2SP tlog-proof that audit event EVENT is in the checkpoint's tree: the
    event's bytes, its inclusion proof and the checkpoint. Checks offline with
    `lockgate audit check-proof`."""
    from workflows.errors import NotFound

    note = checkpoint_file.read_text(encoding="utf-8")
    try:
        with workspace().unit_of_work(read_only=True) as uow:
            text = audit.prove(uow, actor, event, note, keys)
    except (CheckpointError, NotFound) as error:
        say(f"error: {error}", err=True)
        sys.exit(1)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        say(f"proof of event #{event:,} -> {output}")


@audit_group.command("consistency")
@acting
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@public_keys
def consistency(actor: Actor, old: Path, new: Path, keys: tuple[str, ...]) -> None:
    """Print the proof that the trail of checkpoint NEW extends the one of checkpoint OLD
    (nothing before OLD's size was changed). Checks offline with `lockgate audit check-proof
    PROOF --old OLD --new NEW`."""
    try:
        with workspace().unit_of_work(read_only=True) as uow:
            text = audit.consistency(
                uow,
                actor,
                old.read_text(encoding="utf-8"),
                new.read_text(encoding="utf-8"),
                keys,
            )
    except CheckpointError as error:
        say(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(text, nl=False)


@audit_group.command("check-proof")
@click.argument("proof", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@public_keys
@click.option("--old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_proof(proof: Path, keys: tuple[str, ...], old: Path | None, new: Path | None) -> None:
    """Check a proof with no database (acts as nobody): an inclusion proof (tlog-proof), or a
    consistency proof with the two checkpoints it joins (--old, --new). Exits 1 if it fails."""
    from workflows.verbs import audit_proofs

    try:
        if old is None and new is None:
            verdict = audit_proofs.check_inclusion(proof.read_text(encoding="utf-8"), keys)
        elif old is not None and new is not None:
            verdict = audit_proofs.check_consistency(
                proof.read_text(encoding="utf-8"),
                old.read_text(encoding="utf-8"),
                new.read_text(encoding="utf-8"),
                keys,
            )
        else:
            raise click.UsageError("a consistency proof needs both --old and --new")
    except CheckpointError as error:
        say(f"FAILED: {error}")
        sys.exit(1)
    say(f"OK: {verdict}")


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
