"""The gate dossier: a self-contained evidence pack of one project (or one of its gates) for
an external auditor, pinned to a signed checkpoint, and its check with no database.

Everything in it comes from the trail up to the checkpoint's size (the project's events,
replayed by gates.history), from the policy version as published and from the evidence
store: exporting twice at the same checkpoint gives the same bytes. The zip holds:

    README.txt               how to check it
    checkpoint.txt           the signed tree head it is pinned to (C2SP tlog-checkpoint)
    public-key.txt           the key that signed it
    policy/<id>@<v>.yaml     the policy version as published
    record.json              stage, facts, review rounds with signatures, conditions, waivers
    events.jsonl, .csv       the project's events with their seq, hashes and stored bytes
    proofs/<seq>.tlog-proof  each event's inclusion proof against the checkpoint
    evidence/...             each evidence version (or, with digests only, none)
    report.html              the same, for people
    report.pdf               the same page as PDF, when asked for (needs WeasyPrint)
    manifest.json            the SHA-256 of every other file (written last)
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import IO, Any, BinaryIO

import orjson
from sqlalchemy import select

from gates.binding import SignatureContent, signature_hash
from gates.chain import event_hash
from gates.checkpoints import CheckpointError
from gates.history import ProjectHistory
from gates.merkle import ProofError, inclusion_proof, leaf_hash, verify_inclusion
from gates.notes import TreeCheckpoint, parse_proof, proof_text
from gates.refusals import Refusal
from workflows.errors import InvalidInput, Refused
from workflows.identity import Actor
from workflows.refusal_log import refusals_recorded
from workflows.state import load_project
from workflows.store.audit_tree import StoredNodes
from workflows.store.records import AuditEvent, table_of
from workflows.store.uow import UnitOfWork
from workflows.verbs import publishing
from workflows.verbs.audit import open_checkpoints, require_auditor

_EVENTS = table_of(AuditEvent)
# Fixed entry times: the same checkpoint gives the same bytes.
_ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Exported:
    """What a dossier holds: the project, the checkpoint's size, its files and events."""

    key: str
    checkpoint_size: int
    files: int
    events: int
    manifest_digest: str


@refusals_recorded
def export_dossier(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    out: IO[bytes],
    *,
    gate: str | None = None,
    files: bool = True,
    keys: Sequence[str] = (),
    pdf: bool = False,
) -> Exported:
    """Write the dossier of project `key` (only `gate`'s rounds, when given) to `out`, pinned
    to the newest signed checkpoint in the trail; record `dossier.exported` after it. With
    `pdf`, the report is printed to report.pdf too (InvalidInput when WeasyPrint cannot run
    here). Auditors, the PMO and admins export dossiers."""
    require_auditor(uow, actor, "export a gate dossier")
    if pdf and not pdf_available():
        raise InvalidInput(NO_PDF)
    load_project(uow, key)  # NotFound for no such project
    signed = _latest_checkpoint(uow, keys)
    rows = _project_events(uow, key, signed.size)
    history = ProjectHistory(key)
    decoded = [orjson.loads(body) for _, _, _, body in rows]  # each body read once
    for event in decoded:
        history.apply(event["action"], event["actor"], event["at"], event["data"])
    if gate is not None:
        history.rounds = [r for r in history.rounds if r.gate == gate]
        history.conditions = [c for c in history.conditions if c.gate == gate]
        history.overrides = {n: o for n, o in history.overrides.items() if o.gate == gate}
        history.triggered = {n: t for n, t in history.triggered.items() if t.gate == gate}
    writer = _Writer(out)
    writer.add("README.txt", README.encode())
    writer.add("checkpoint.txt", signed.note.encode())
    writer.add("public-key.txt", (signed.signed_by.text() + "\n").encode())
    policy_id, _, number = history.policy.partition("@")
    if number.isdigit():
        source = publishing.version(uow, policy_id, int(number)).source
        writer.add(f"policy/{history.policy}.yaml", source.encode())
    record = _record(history, signed, gate)
    pretty = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
    writer.add("record.json", orjson.dumps(record, option=pretty))
    writer.add("events.jsonl", b"".join(_event_line(row) for row in rows))
    writer.add("events.csv", _events_csv(rows, decoded))
    nodes = StoredNodes(uow)
    for seq, _, _, body in rows:
        path = inclusion_proof(nodes, seq - 1, signed.size)
        proof = proof_text(seq - 1, path, signed.note, body)
        writer.add(f"proofs/{seq:09d}.tlog-proof", proof.encode())
    if files:
        for name, digest, size in _evidence_files(decoded):
            with uow.workspace.evidence.open(digest, size) as stream:
                writer.add_stream(name, stream)
    page = _report(history, signed, gate)
    writer.add("report.html", page.encode())
    if pdf:
        writer.add("report.pdf", _pdf(page))
    manifest = writer.finish(
        {"project": key, "gate": gate, "checkpoint_size": signed.size,
         "checkpoint_root": base64.b64encode(signed.head.root).decode(),
         "evidence_files": files}
    )  # fmt: skip
    uow.record(
        actor.username, "dossier.exported", key, gate=gate, checkpoint_size=signed.size,
        manifest_sha256=manifest, files=writer.count, events=len(rows),
    )  # fmt: skip
    return Exported(key, signed.size, writer.count, len(rows), manifest)


def _latest_checkpoint(uow: UnitOfWork, keys: Sequence[str]) -> TreeCheckpoint:
    query = (
        select(_EVENTS.c.body)
        .where(_EVENTS.c.action == "audit.checkpoint_written")
        .order_by(_EVENTS.c.seq.desc())
    )
    for (body,) in uow.session.execute(query):
        note = orjson.loads(body)["data"].get("note")
        if note:
            [signed] = open_checkpoints([note], keys)
            return signed
    text = "No signed checkpoint in the trail yet: write one (lockgate audit checkpoint) first."
    raise Refused("export a gate dossier", [Refusal("dossier.no_checkpoint", None, text)])


def _project_events(uow: UnitOfWork, key: str, size: int) -> list[tuple[int, str, str, bytes]]:
    query = (
        select(_EVENTS.c.seq, _EVENTS.c.prev_hash, _EVENTS.c.hash, _EVENTS.c.body)
        .where(_EVENTS.c.project_key == key, _EVENTS.c.seq <= size)
        .order_by(_EVENTS.c.seq)
    )
    found = uow.session.execute(query)
    return [(seq, prev, sealed, bytes(body)) for seq, prev, sealed, body in found]


def _event_line(row: tuple[int, str, str, bytes]) -> bytes:
    seq, prev, sealed, body = row
    line = {"seq": seq, "prev_hash": prev, "hash": sealed, "body": body.decode()}
    return orjson.dumps(line) + b"\n"


def _events_csv(rows: Sequence[tuple[int, str, str, bytes]], decoded: Sequence[Any]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["seq", "at", "actor", "action", "data", "prev_hash", "hash"])
    for (seq, prev, sealed, _), event in zip(rows, decoded, strict=True):
        data = orjson.dumps(event["data"], option=orjson.OPT_SORT_KEYS).decode()
        writer.writerow([seq, event["at"], event["actor"], event["action"], data, prev, sealed])
    return text.getvalue().encode()


def _evidence_files(decoded: Sequence[Any]) -> Iterator[tuple[str, str, int]]:
    for event in decoded:
        data = event["data"]
        if event["action"] == "artifact.attached" and data.get("kind") == "file":
            name = data.get("filename") or "file"
            path = f"evidence/{data['artifact']}/v{data['version']}-{name}"
            yield path, data["digest"], data.get("size") or 0


def _record(history: ProjectHistory, signed: TreeCheckpoint, gate: str | None) -> dict[str, Any]:
    return {
        "project": history.key,
        "name": history.name,
        "policy": history.policy,
        "stage": history.stage,
        "tier": history.tier,
        "programme": history.programme,
        "facts": history.facts,
        "gate": gate,
        "as_of_checkpoint": {"origin": signed.origin, "size": signed.size},
        "evidence": {a: asdict(e) for a, e in sorted(history.evidence.items())},
        "reviews": [asdict(r) for r in history.rounds],
        "conditions": [asdict(c) for c in history.conditions],
        "waivers": [asdict(w) for w in history.waivers.values()],
        "change_requests": [asdict(c) for c in history.changes.values()],
        "overrides": [asdict(o) for o in history.overrides.values()],
        "triggered_reviews": [asdict(t) for t in history.triggered.values()],
    }


def _report(history: ProjectHistory, signed: TreeCheckpoint, gate: str | None) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Gate dossier {e(history.key)}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2rem .5rem}</style>",
        f"</head><body><h1>Gate dossier: {e(history.key)} {e(history.name)}</h1>",
        f"<p>Pinned to {e(signed.origin)}'s checkpoint of {signed.size:,} audit events; policy "
        f"{e(history.policy)}; stage {e(history.stage)}; tier {e(history.tier)}"
        f"{'; programme ' + e(history.programme) if history.programme else ''}"
        f"{'; gate ' + e(gate) if gate else ''}.</p>",
        "<h2>Facts</h2><table>",
        *(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in history.facts.items()),
        "</table><h2>Reviews</h2>",
    ]
    for found in history.rounds:
        decided = ""
        if found.decision:
            by = f"{e(found.decided_by or '')} at {e(found.decided_at or '')}"
            decided = f", {e(found.decision)} by {by}"
        parts.append(f"<h3>{e(found.gate)}, round {found.round}: {e(found.state)}{decided}</h3>")
        parts.append(
            f"<p>Snapshot <code>{e(found.snapshot_digest)}</code>, submitted by "
            f"{e(found.submitted_by)} at {e(found.submitted_at)} (UTC).</p>"
        )
        artifacts = (found.snapshot or {}).get("artifacts", {})
        if artifacts:
            parts.append("<table><tr><th>Evidence in the snapshot</th><th>Version</th>"
                         "<th>SHA-256</th></tr>")  # fmt: skip
            parts += [
                f"<tr><td>{e(name)}</td><td>{e(str(held.get('version', '')))}</td>"
                f"<td><code>{e(str(held.get('digest', '')))}</code></td></tr>"
                for name, held in sorted(artifacts.items())
            ]
            parts.append("</table>")
        parts.append(
            "<table><tr><th>Printed name</th><th>Signer</th><th>Role</th><th>Meaning</th>"
            "<th>Decision</th><th>On behalf of</th><th>Time (UTC)</th></tr>"
        )
        for s in found.signatures:
            gone = " (superseded)" if s.superseded else ""
            parts.append(
                f"<tr><td>{e(s.printed_name)}</td><td>{e(s.signer)}</td><td>{e(s.role)}</td>"
                f"<td>{e(s.meaning)}</td><td>{e(s.decision)}{gone}</td>"
                f"<td>{e(s.on_behalf_of or '')}</td><td>{e(s.at)}</td></tr>"
            )
        parts.append("</table>")
        if found.votes:
            parts.append("<table><tr><th>Panel member</th><th>Vote</th><th>Comment</th>"
                         "<th>Time (UTC)</th></tr>")  # fmt: skip
            parts += [
                f"<tr><td>{e(v.voter)}</td><td>{e(v.decision)}</td><td>{e(v.comment)}</td>"
                f"<td>{e(v.at)}</td></tr>"
                for v in found.votes
            ]
            parts.append("</table>")
        rated = found.assurance
        if rated is not None:
            parts.append(
                f"<p>Independent assurance review by {e(rated.reviewer)}, {e(rated.at)}: "
                f"<strong>{e(rated.rating.replace('_', ' '))}</strong> ({e(rated.scale)}). "
                f"{e(rated.summary)}</p>"
            )
            if rated.recommendations:
                parts.append(
                    "<table><tr><th>Urgency</th><th>Owner</th><th>Recommendation</th></tr>"
                )
                parts += [
                    f"<tr><td>{e(i['urgency'])}</td><td>{e(i['owner'])}</td>"
                    f"<td>{e(i['action'])}</td></tr>"
                    for i in rated.recommendations
                ]
                parts.append("</table>")
    parts.append("<h2>Conditions</h2><ul>")
    parts += [
        f"<li>{e(c.action)} ({e(c.owner)}, due {e(str(c.due))}): "
        f"{'closed by ' + e(c.closed_by or '') if c.closed_at else 'open'}</li>"
        for c in history.conditions
    ]
    parts.append("</ul><h2>Waivers</h2><ul>")
    parts += [
        f"<li>{e(w.requirement)} ({e(w.gate)}): {e(w.status)}</li>"
        for w in history.waivers.values()
    ]
    parts.append("</ul><h2>Change requests</h2><ul>")
    parts += [
        f"<li>#{c.id} by {e(c.proposed_by)} at {e(c.proposed_at)}: "
        f"{e(', '.join(f'{k} = {v}' for k, v in sorted(c.changes.items())))} "
        f"({e(c.reason)}): {e(c.status)}"
        f"{' by ' + e(c.closed_by) if c.closed_by else ''}; approved by "
        f"{e(', '.join(f'{who} as {role}' for role, who in c.approvals) or 'nobody')}</li>"
        for c in history.changes.values()
    ]
    parts.append("</ul><h2>PMO overrides</h2><ul>")
    parts += [
        f"<li>#{o.id} {e(o.gate)}, round {o.round}, asked by {e(o.requested_by)} "
        f"({e(o.reason)}), missing {e(', '.join(o.missing))}: {e(o.state)}"
        f"{' by ' + e(o.answered_by) if o.answered_by else ''}</li>"
        for o in history.overrides.values()
    ]
    parts.append("</ul><h2>Triggered reviews</h2><ul>")
    parts += [
        f"<li>#{t.id} review of {e(t.gate)} ({e(t.kind.replace('_', ' '))}, {e(t.cause)}): "
        f"due {e(t.due_on)}, opened {e(t.opened_at)}</li>"
        for t in history.triggered.values()
    ]
    parts.append(
        "</ul><p>Check this dossier with <code>lockgate dossier verify</code> (README.txt).</p>"
        "</body></html>\n"
    )
    return "".join(parts)


NO_PDF = (
    "A PDF of the report needs WeasyPrint and the system's Pango, which cannot run here: "
    "install them (pip install 'lockgate[pdf]'; docs/audit.md), or export without the PDF"
)


def pdf_available() -> bool:
    """True when WeasyPrint is installed and its system libraries (Pango) load."""
    return _weasyprint() is not None


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError):
        return None
    return weasyprint


def _pdf(page: str) -> bytes:
    """report.html printed as PDF. The same page gives the same bytes: the PDF's identifier
    is the page's digest, and WeasyPrint writes no creation time unless the page names one."""
    identifier = hashlib.sha256(page.encode()).digest()[:16]
    printed: bytes = _weasyprint().HTML(string=page).write_pdf(pdf_identifier=identifier)
    return printed


class _Writer:
    """Zip entries with fixed times, each hashed as it is written, in the order written."""

    def __init__(self, out: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self.digests: dict[str, str] = {}

    @property
    def count(self) -> int:
        """The entries written so far (the manifest among them, once finished)."""
        return len(self.digests)

    def add(self, name: str, data: bytes) -> None:
        self.add_stream(name, io.BytesIO(data))

    def add_stream(self, name: str, stream: BinaryIO) -> None:
        info = zipfile.ZipInfo(name, date_time=_ENTRY_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        digest = hashlib.sha256()
        with self.zip.open(info, "w") as entry:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                entry.write(chunk)
        self.digests[name] = digest.hexdigest()

    def finish(self, about: dict[str, Any]) -> str:
        manifest = orjson.dumps(
            {**about, "files": self.digests}, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        )
        self.add("manifest.json", manifest)
        self.zip.close()
        return hashlib.sha256(manifest).hexdigest()


# -- checking a dossier with no database ----------------------------------------------------


def verify_dossier(source: IO[bytes] | str, keys: Sequence[str] = ()) -> list[str]:
    """Check a dossier: every file against the manifest, the checkpoint's signature, each
    event's hash and inclusion proof, and each signature bound to its round's snapshot.
    Returns what was checked, in words; raises CheckpointError naming the first problem."""
    with zipfile.ZipFile(source) as pack:
        names = set(pack.namelist())
        if "manifest.json" not in names:
            raise CheckpointError("the dossier has no manifest.json")
        manifest = orjson.loads(pack.read("manifest.json"))
        listed = manifest["files"]
        if names - {"manifest.json"} != set(listed):
            extra = sorted(names - {"manifest.json"} - set(listed))
            gone = sorted(set(listed) - names)
            raise CheckpointError(f"files not in the manifest: {extra}; missing: {gone}")
        for name, digest in listed.items():
            found = hashlib.sha256()
            with pack.open(name) as entry:
                while chunk := entry.read(_CHUNK):
                    found.update(chunk)
            if found.hexdigest() != digest:
                raise CheckpointError(
                    f"{name} does not match its SHA-256 in the manifest: it was altered"
                )
        note = pack.read("checkpoint.txt").decode()
        [signed] = open_checkpoints([note], keys or [pack.read("public-key.txt").decode()])
        if signed.size != manifest["checkpoint_size"]:
            raise CheckpointError("the manifest names another checkpoint than checkpoint.txt")
        events = [orjson.loads(line) for line in pack.read("events.jsonl").splitlines()]
        rounds: dict[tuple[str, int], str] = {}
        for event in events:
            body = event["body"].encode()
            if event_hash(event["seq"], event["prev_hash"], body) != event["hash"]:
                raise CheckpointError(f"event #{event['seq']} does not match its hash")
            proof = pack.read(f"proofs/{event['seq']:09d}.tlog-proof").decode()
            _check_proof(proof, event["seq"], body, signed)
            _check_binding(orjson.loads(body), rounds, event["seq"])
    own_key = keys == ()
    return [
        f"{len(listed)} files match the manifest",
        f"the checkpoint of {signed.size:,} events is signed by {signed.signed_by.name}"
        + (" (the key inside the dossier: check it is the log's)" if own_key else ""),
        f"{len(events)} events match their hashes and are proven in the checkpoint",
        "every signature is bound to its round's snapshot",
    ]


def _check_proof(text: str, seq: int, body: bytes, signed: TreeCheckpoint) -> None:
    proof = parse_proof(text)
    if proof.index != seq - 1 or proof.extra != body or proof.checkpoint_note != signed.note:
        raise CheckpointError(f"the proof of event #{seq} is for another event or checkpoint")
    try:
        verify_inclusion(seq - 1, signed.size, leaf_hash(body), list(proof.proof), signed.head.root)
    except ProofError:
        raise CheckpointError(f"event #{seq} is not proven in the checkpoint") from None


def _check_binding(event: dict[str, Any], rounds: dict[tuple[str, int], str], seq: int) -> None:
    action, data = event["action"], event["data"]
    if action == "review.submitted":
        rounds[(data["gate"], data["round"])] = data["snapshot_digest"]
    elif action == "review.snapshot_changed":
        rounds[(data["gate"], data["round"])] = data["new_digest"]
    elif action == "review.signed":
        bound = rounds.get((data["gate"], data["round"]))
        if bound is not None and bound != data["snapshot_digest"]:
            raise CheckpointError(
                f"the signature of event #{seq} is not bound to its round's snapshot"
            )
        if data.get("signature_hash"):
            content = SignatureContent(
                event["project"], data["gate"], data["round"], event["actor"], data["role"],
                data.get("on_behalf_of"), data["meaning"], data["decision"],
                data.get("comment", ""), data["snapshot_digest"], _moment(event["at"]),
            )  # fmt: skip
            if signature_hash(content) != data["signature_hash"]:
                raise CheckpointError(f"the signature of event #{seq} does not match its hash")


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


README = """\
Lockgate gate dossier

Check it with no database:  lockgate dossier verify THIS.zip --key LOG-PUBLIC-KEY

What that checks (each step can also be done by hand, see Lockgate's docs/audit.md):
1. manifest.json lists the SHA-256 of every other file; each must match.
2. checkpoint.txt is a C2SP signed note (tlog-checkpoint) signed with the log's Ed25519 key.
   Check it with the public key you got from the log's owner, not only public-key.txt.
3. events.jsonl holds each event's seq, previous hash, hash and stored bytes (body): the hash is
   SHA-256("{seq}:{prev_hash}:" + body); proofs/<seq>.tlog-proof proves the body is leaf
   seq - 1 of the checkpoint's Merkle tree (RFC 6962).
4. Each review.signed event names the snapshot digest of its round (review.submitted, or the
   last review.snapshot_changed before it), and its signature_hash covers what it says.
record.json and report.html (and report.pdf, when present) are the same history, rebuilt
from these events.
"""
