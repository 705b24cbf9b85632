"""Moving the evidence files to another store (the folder into S3, for several hosts).

Every file the records name is read from the source and checked against its record, stored,
then read back from the target and checked again. A file already in the target is only
checked, so running the migration again copies what is new (attached meanwhile) and nothing
else. Nothing is overwritten: a copy in the target that does not match its record is a
failure to look at, not something to replace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select

from workflows.store.evidence import (
    EvidenceMismatch,
    EvidenceMissing,
    EvidenceStore,
    StoreUnavailable,
    verify,
)
from workflows.store.records import ArtifactVersion
from workflows.store.uow import UnitOfWork
from workflows.workspace import Workspace

Outcome = Literal["copied", "present", "failed"]
Progress = Callable[[str, Outcome, str], None]  # digest, outcome, the failure in words


@dataclass
class EvidenceMigration:
    """What a migration did: counts, bytes copied and every failure in words."""

    source: str
    target: str
    files: int
    copied: int = 0
    present: int = 0  # already in the target, and verified there
    bytes_copied: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def not_attempted(self) -> int:
        """Files left when the target stopped answering."""
        return self.files - self.copied - self.present - len(self.failures)

    @property
    def ok(self) -> bool:
        """True when every recorded file is in the target and matches its record."""
        return not self.failures and not self.not_attempted


def recorded_files(uow: UnitOfWork) -> list[tuple[str, int]]:
    """(digest, size) of every stored file the records name, once each, oldest first."""
    query = (
        select(ArtifactVersion.digest, ArtifactVersion.size)
        .where(ArtifactVersion.kind == "file")
        .group_by(ArtifactVersion.digest, ArtifactVersion.size)
        .order_by(func.min(ArtifactVersion.id))
    )
    return [(digest, size) for digest, size in uow.session.execute(query)]


def copy_file(source: EvidenceStore, target: EvidenceStore, digest: str, size: int) -> Outcome:
    """Copy one file, checked as read and again as stored; 'present' when already there.

    Raises EvidenceMissing or EvidenceMismatch (the source's file, or the target's copy, does
    not match its record) and StoreUnavailable.
    """
    if target.exists(digest):
        try:
            verify(target.open(digest, size))
        except EvidenceMismatch as error:
            raise EvidenceMismatch(
                f"{error} The copy already in {target.location} is wrong: delete that object "
                "and run the migration again."
            ) from None
        return "present"
    with source.open(digest, size) as stream:
        target.put(stream)  # reads to the end, so the source's bytes are checked first
    verify(target.open(digest, size))
    return "copied"


def migrate_evidence(
    workspace: Workspace,
    source: EvidenceStore,
    target: EvidenceStore,
    operator: str,
    progress: Progress | None = None,
) -> EvidenceMigration:
    """Copy every recorded file from `source` to `target`; returns what was done.

    Raises StoreUnavailable before anything is copied when the target cannot be used. A file
    that fails is reported and the others go on; when the target stops answering, the rest
    is left for the next run. One audit event `evidence.migrated`, with the counts, is
    recorded at the end (the copying itself holds no transaction open).
    """
    target.check()
    with workspace.unit_of_work(read_only=True) as uow:
        files = recorded_files(uow)
    report = EvidenceMigration(source.location, target.location, len(files))
    for digest, size in files:
        try:
            outcome = copy_file(source, target, digest, size)
        except (EvidenceMissing, EvidenceMismatch, StoreUnavailable) as error:
            report.failures.append(str(error))
            if progress:
                progress(digest, "failed", str(error))
            if isinstance(error, StoreUnavailable):
                break
            continue
        if outcome == "copied":
            report.copied += 1
            report.bytes_copied += size
        else:
            report.present += 1
        if progress:
            progress(digest, outcome, "")
    _record(workspace, report, operator)
    return report


def _record(workspace: Workspace, report: EvidenceMigration, operator: str) -> None:
    with workspace.unit_of_work() as uow:
        uow.record(
            "system",
            "evidence.migrated",
            None,
            operator=operator,
            source=report.source,
            target=report.target,
            files=report.files,
            copied=report.copied,
            already_present=report.present,
            failed=len(report.failures),
            not_attempted=report.not_attempted,
            bytes_copied=report.bytes_copied,
        )
        uow.commit()
