"""`lockgate evidence migrate --to s3://bucket/prefix`: the evidence folder into S3."""

from __future__ import annotations

import getpass
import socket
import sys
from pathlib import Path

import click

from web.cli.shared import say, workspace
from workflows.store.db import instance_path
from workflows.store.evidence import FolderStore, s3_store
from workflows.verbs.evidence_migration import Outcome, migrate_evidence


@click.group("evidence")
def evidence_group() -> None:
    """Where evidence files are kept: a folder, or S3 for several hosts."""


@evidence_group.command("migrate")
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="s3://BUCKET/PREFIX",
    help="The S3 store to copy into (endpoint and keys from the AWS_* variables).",
)
@click.option(
    "--from",
    "source_folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="The evidence folder to copy from (default: the instance's evidence folder).",
)
def migrate(target_url: str, source_folder: Path | None) -> None:
    """Copy every recorded evidence file into S3, checking each one's SHA-256 as read and
    again as stored. Files already there are checked, not copied: run it again after
    switching the hosts to LOCKGATE_EVIDENCE_URL, for files attached meanwhile.
    Exits 1 when any file failed."""
    source = FolderStore(source_folder or instance_path() / "evidence")
    target = s3_store(target_url)
    say(f"copying the evidence files in {source.location} to {target.location}")

    def progress(digest: str, outcome: Outcome, problem: str) -> None:
        if outcome == "failed":
            say(f"  FAILED {digest}: {problem}", err=True)
        else:
            say(f"  {outcome:<7} {digest}", err=True)

    operator = f"{getpass.getuser()}@{socket.gethostname()}"
    report = migrate_evidence(workspace(), source, target, operator, progress)
    say(
        f"{report.files:,} recorded files: {report.copied:,} copied "
        f"({report.bytes_copied / 1024 / 1024:,.1f} MiB), {report.present:,} already there "
        f"and verified, {len(report.failures):,} failed"
        + (f", {report.not_attempted:,} not attempted" if report.not_attempted else "")
    )
    if not report.ok:
        say("error: not every file is in the target: see the failures above", err=True)
        sys.exit(1)
    say(f"OK: every recorded file is in {target.location} and matches its record")
