"""`lockgate policy ...`: check, show, diff and explain policy files, print their JSON Schema,
propose, approve, reject or withdraw a version (four eyes) and move a project to another
version.

check, list, show, diff, explain and schema read files only: the engine (SQLAlchemy) is
imported by the commands that act when they run.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from gates.explain import explain
from policies.diff import diff_policies
from policies.facts import read_facts
from policies.library import find_policy, policy_path, shipped
from policies.loader import check_policy_text
from policies.model import Policy
from policies.problems import PolicyError, Problem
from policies.schema import json_schema
from web.cli.policy_text import explanation_json, print_explanation, print_policy, summary
from web.cli.shared import acting, parse_pairs, say, say_lines, show_table, workspace

if TYPE_CHECKING:
    from workflows.identity import Actor


@click.group("policy")
def policy_group() -> None:
    """Check, show, compare, explain, propose and approve policies; their impact; migrate."""


def _load(name_or_path: str) -> Policy:
    try:
        return find_policy(name_or_path)
    except PolicyError as error:
        _fail_with(error.problems)


def _fail_with(problems: tuple[Problem, ...] | list[Problem]) -> NoReturn:
    for problem in problems:
        say(str(problem), err=True)
    noun = "problem" if len(problems) == 1 else "problems"
    say(f"{len(problems)} {noun}", err=True)
    sys.exit(1)


@policy_group.command("check")
@click.argument("files", nargs=-1, required=True)
def check(files: tuple[str, ...]) -> None:
    """Check policy FILES and list every problem with its line and column.

    FILES may be paths or names of shipped policies. Exits 1 when any problem is found.
    """
    total = sum(len(_check_one(name)) for name in files)
    noun = "problem" if total == 1 else "problems"
    plural = "file" if len(files) == 1 else "files"
    say(f"{total} {noun} in {len(files)} {plural}")
    sys.exit(1 if total else 0)


def _check_one(name: str) -> list[Problem]:
    try:
        path = policy_path(name)
        text = path.read_text(encoding="utf-8")
    except PolicyError as error:
        problems = list(error.problems)
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        problems = [Problem(name, 1, 1, "", f"cannot read the file: {reason}")]
    else:
        policy, problems = check_policy_text(text, str(path))
        if policy is not None:
            say(f"{path}: ok ({policy.ref}, {summary(policy)})")
    for problem in problems:
        say(str(problem))
    return problems


@policy_group.command("list")
def list_library() -> None:
    """List the policies shipped with Lockgate."""
    rows = []
    for name in shipped():
        policy = _load(name)
        rows.append([policy.ref, policy.title, summary(policy)])
    show_table(["POLICY", "TITLE", "CONTENTS"], rows)


@policy_group.command("show")
@click.argument("policy")
def show(policy: str) -> None:
    """Show POLICY (a file or a shipped policy name) as tables: facts, tiers, gates."""
    print_policy(_load(policy))


@policy_group.command("diff")
@click.argument("old")
@click.argument("new")
def diff(old: str, new: str) -> None:
    """Compare two policy versions: requirements added, removed and changed, per gate."""
    before, after = _load(old), _load(new)
    changes = diff_policies(before, after)
    say(f"{before.ref} -> {after.ref}")
    for change in changes:
        say_lines(str(change))
    say(f"{len(changes)} change{'s' if len(changes) != 1 else ''}")


@policy_group.command("explain")
@click.argument("policy")
@click.option("--fact", "facts", multiple=True, metavar="NAME=VALUE", help="A project fact.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def explain_command(policy: str, facts: tuple[str, ...], as_json: bool) -> None:
    """Show what a project with the given facts needs under POLICY, gate by gate, and why."""
    loaded = _load(policy)
    raw = parse_pairs(facts, "--fact")
    values, problems = read_facts(loaded.facts, raw)
    invalid = {k: v for k, v in problems.items() if k in raw or k not in values}
    blocking = {k: v for k, v in invalid.items() if k in raw}
    if blocking:
        for message in blocking.values():
            say(f"error: {message}", err=True)
        sys.exit(2)
    explanation = explain(loaded, values, datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(explanation_json(explanation), indent=2))
        return
    for name, message in invalid.items():
        say(f"note: {message} (conditions reading {name} cannot be checked)")
    print_explanation(explanation)


@policy_group.command("schema")
def schema() -> None:
    """Print the JSON Schema of policy files, for editors to validate and autocomplete."""
    click.echo(json.dumps(json_schema(), indent=2))


@policy_group.command("publish", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def publish(args: tuple[str, ...]) -> None:
    """No longer publishes: a version is proposed, then approved by another PMO member."""
    say(
        "Publishing needs a proposal and a second PMO member: run `lockgate policy propose "
        "FILE`, then another PMO member runs `lockgate policy approve ID`.",
        err=True,
    )
    sys.exit(2)


@policy_group.command("propose")
@acting
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def propose(actor: Actor, path: Path) -> None:
    """Propose a policy file as a new version (PMO); another PMO member approves it."""
    from workflows.verbs import proposals

    with workspace().unit_of_work() as uow:
        row = proposals.propose(uow, actor, path.read_text(encoding="utf-8"), str(path))
        uow.commit()
        say(
            f"proposed {row.ref} as proposal {row.id} ({row.digest[:12]}): "
            "another PMO member approves it"
        )


@policy_group.command("proposals")
@acting
@click.option("--all", "every", is_flag=True, help="Decided proposals too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_proposals(actor: Actor, every: bool, as_json: bool) -> None:
    """The policy versions proposed and waiting for approval (--all: every proposal)."""
    from workflows.verbs import proposals

    with workspace().unit_of_work() as uow:
        rows = proposals.proposals(uow, None if every else proposals.PROPOSED)
        found = [
            {
                "id": r.id,
                "policy": r.ref,
                "title": r.title,
                "digest": r.digest,
                "proposed_by": r.proposed_by,
                "proposed_at": r.proposed_at.isoformat(),
                "status": r.status,
                "decided_by": r.decided_by,
                "reason": r.reason,
            }
            for r in rows
        ]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    show_table(
        ["id", "policy", "status", "proposed by", "decided by"],
        [
            [f["id"], f["policy"], f["status"], f["proposed_by"], f["decided_by"] or ""]
            for f in found
        ],
    )


@policy_group.command("approve")
@acting
@click.argument("proposal_id", type=int, metavar="ID")
def approve(actor: Actor, proposal_id: int) -> None:
    """Approve proposal ID and so publish it (another PMO member than the proposer)."""
    from workflows.verbs import proposals

    with workspace().unit_of_work() as uow:
        row = proposals.approve(uow, actor, proposal_id)
        uow.commit()
        say(f"published {row.ref} ({row.digest[:12]}), proposed by {row.published_by}")


@policy_group.command("reject")
@acting
@click.argument("proposal_id", type=int, metavar="ID")
@click.option("--reason", required=True, help="Why it is rejected.")
def reject(actor: Actor, proposal_id: int, reason: str) -> None:
    """Reject proposal ID with a reason."""
    from workflows.verbs import proposals

    with workspace().unit_of_work() as uow:
        row = proposals.reject(uow, actor, proposal_id, reason)
        uow.commit()
        say(f"rejected proposal {row.id} ({row.ref})")


@policy_group.command("withdraw")
@acting
@click.argument("proposal_id", type=int, metavar="ID")
def withdraw(actor: Actor, proposal_id: int) -> None:
    """Withdraw your proposal ID."""
    from workflows.verbs import proposals

    with workspace().unit_of_work() as uow:
        row = proposals.withdraw(uow, actor, proposal_id)
        uow.commit()
        say(f"withdrew proposal {row.id} ({row.ref})")


@policy_group.command("migrate")
@acting
@click.argument("key")
@click.argument("version", type=int)
@click.option("--reason", default="", help="Why (required to apply).")
@click.option("--apply", "apply_", is_flag=True, help="Move the project (default: preview).")
def migrate(actor: Actor, key: str, version: int, reason: str, apply_: bool) -> None:
    """Preview (or --apply) moving PROJECT to VERSION of its policy."""
    from workflows.verbs import migration

    with workspace().unit_of_work() as uow:
        preview = migration.preview_migration(uow, key, version)
        say(f"{key}: {preview.old} -> {preview.new}; tier {preview.old_tier} -> {preview.new_tier}")
        for change in preview.changes:
            say_lines(str(change), indent="  ")
        for refusal in preview.refusals:
            say(f"  cannot move: {refusal}")
        if preview.next_gate_after is not None:
            say("  next gate after the move:")
            for line in preview.next_gate_after.blocking:
                say(f"    - {line.reason}")
        if apply_:
            migration.migrate(uow, actor, key, version, reason)
            uow.commit()
            say(f"moved {key} to {preview.new}")


@policy_group.command("impact")
@acting
@click.argument("target", metavar="FILE|POLICY@VERSION")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def impact_command(actor: Actor, target: str, as_json: bool) -> None:
    """What a policy version (a file, or one published) would change for every in-flight
    project on an older version of it (PMO): tier, next gate's requirements, refusals."""
    from workflows.verbs import migration, publishing

    ws = workspace()
    with ws.unit_of_work(read_only=True) as uow:
        if "@" in target and not Path(target).exists():
            policy_id, _, number = target.partition("@")
            if not number.isdigit():
                raise click.BadParameter(
                    "write POLICY@VERSION, e.g. standard@2", param_hint="TARGET"
                )
            policy = uow.workspace.policy(publishing.version(uow, policy_id, int(number)))
        else:
            policy = _load(target)
    # Printed as it is read, a page at a time: thousands of projects never sit in memory.
    count = 0
    if as_json:
        click.echo("[", nl=False)
    for count, found in enumerate(migration.each_impact(ws, actor, policy), start=1):
        row = _impact_row(found)
        if as_json:
            click.echo(("," if count > 1 else "") + "\n" + json.dumps(row, indent=2), nl=False)
            continue
        old_tier, new_tier = row["tier"]
        moving = f"{row['project']} ({row['stage']}) {row['from']} -> {row['to']}"
        say(f"{moving}; tier {old_tier} -> {new_tier}")
        for title in row["requirements_added"]:
            say(f"  + {title}")
        for title in row["requirements_dropped"]:
            say(f"  - {title}")
        for reason in row["cannot_move"]:
            say(f"  cannot move now: {reason}")
    if as_json:
        click.echo("\n]" if count else "]")
        return
    say(f"{count} in-flight project(s) on an older version of {policy.id}")


def _impact_row(found: Any) -> dict[str, Any]:
    preview = found.preview
    return {
        "project": preview.project_key,
        "stage": found.stage,
        "from": preview.old,
        "to": preview.new,
        "tier": [preview.old_tier, preview.new_tier],
        "requirements_added": found.added,
        "requirements_dropped": found.dropped,
        "cannot_move": preview.refusals,
    }
