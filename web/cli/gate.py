"""`lockgate gate status|submit|sign|decide|vote|assure|withdraw|override`: one gate review's
verbs."""

from __future__ import annotations

from datetime import date

import click

from gates.decisions import FollowUp
from policies.model import Position
from web.cli.shared import acting, say, show_table, typed_password, workspace
from workflows.identity import Actor
from workflows.store.uow import UnitOfWork
from workflows.verbs import overrides, reviews
from workflows.verbs.assurance import Recommendation, record_assurance

DECISIONS = click.Choice(["go", "conditional_go", "recycle", "hold", "kill"])
# What a signer says: a decision (blocking sign-offs), or a position (advisory: support,
# disagree_but_support, object; consulted: comment). policies.model.Position lists them.
STANCES = click.Choice([*DECISIONS.choices, *(p.value for p in Position)])


@click.group("gate")
def gate_group() -> None:
    """Gate reviews: status, submit, sign, decide, withdraw, override."""


def print_gate_status(uow: UnitOfWork, actor: Actor, key: str, gate: str | None) -> None:
    """Print a gate's review state and its readiness checklist (`gate status`, `project show`)."""
    status = reviews.gate_status(uow, actor, key, gate)
    review = status.review
    state = (
        f"round {review.round} submitted {review.submitted_at:%Y-%m-%d} by "
        f"{review.submitted_by}, snapshot {review.snapshot_digest[:12]}"
        if review
        else "not submitted"
    )
    say()
    say(f"{status.gate.name} [{status.gate.id}] -> {status.gate.stage}: {state}")
    if status.report.skipped:
        say(status.report.skipped)
    rows = [[line.status.label.upper(), line.key, line.reason] for line in status.report.lines]
    show_table(["STATUS", "KEY", "REQUIREMENT"], rows)
    verdict = (
        "ready to decide"
        if status.report.ready_to_decide
        else "ready to submit"
        if status.report.ready_to_submit
        else "not ready"
    )
    say(f"{len(status.report.blocking)} blocking; {verdict}")


@gate_group.command("status")
@acting
@click.argument("key")
@click.option("--gate", help="A gate id (default: the next gate).")
def gate_status(actor: Actor, key: str, gate: str | None) -> None:
    """The readiness checklist of PROJECT's next gate: what is satisfied, missing, and why."""
    with workspace().unit_of_work(read_only=True) as uow:
        print_gate_status(uow, actor, key, gate)


@gate_group.command("submit")
@acting
@click.argument("key")
@click.option("--gate", help="The gate id (default: the next gate).")
def gate_submit(actor: Actor, key: str, gate: str | None) -> None:
    """Submit PROJECT's next gate: freezes the evidence snapshot signers sign."""
    with workspace().unit_of_work() as uow:
        review = reviews.submit_gate(uow, actor, key, gate)
        uow.commit()
        say(f"submitted {review.gate_id} round {review.round}; snapshot {review.snapshot_digest}")


@gate_group.command("sign")
@acting
@click.argument("key")
@click.option(
    "--decision",
    default="go",
    show_default=True,
    type=STANCES,
    help="A decision; for an advisory sign-off a position (support, disagree_but_support, "
    "object); for a consulted one: comment.",
)
@click.option("--role", help="The role you sign as (when you hold several).")
@click.option("--comment", default="", help="Required for anything but a plain go or support.")
@click.option(
    "--password",
    envvar="LOCKGATE_PASSWORD",
    default=None,
    help="Your password (prompted when omitted).",
)
def gate_sign(
    actor: Actor, key: str, decision: str, role: str | None, comment: str, password: str | None
) -> None:
    """Sign PROJECT's open review, re-entering your password."""
    # A signature needs the password typed now: the one this command authenticated with, or
    # asked for (a token proves who runs the command, not who signs).
    password = password or typed_password() or click.prompt("Password", hide_input=True)
    with workspace().unit_of_work() as uow:
        signature = reviews.sign(uow, actor, key, decision, password, role, comment)
        uow.commit()
        say(
            f"signed: {signature.meaning} ({signature.printed_name}, "
            f"{signature.signed_at:%Y-%m-%d %H:%M} UTC, snapshot "
            f"{signature.snapshot_digest[:12]})"
        )


def _follow_up(text: str) -> FollowUp:
    parts = [p.strip() for p in text.split(";")]
    if len(parts) != 3:
        raise click.BadParameter("use 'action; owner; YYYY-MM-DD'", param_hint="--condition")
    try:
        due = date.fromisoformat(parts[2])
    except ValueError:
        raise click.BadParameter(
            f"'{parts[2]}' is not a date (YYYY-MM-DD)", param_hint="--condition"
        ) from None
    return FollowUp(parts[0], parts[1], due)


@gate_group.command("decide")
@acting
@click.argument("key")
@click.argument("decision", type=DECISIONS)
@click.option("--reason", default="", help="Required for recycle, hold and kill.")
@click.option(
    "--condition",
    "conditions",
    multiple=True,
    metavar="'ACTION; OWNER; YYYY-MM-DD'",
    help="A condition of a conditional go; the owner is a user (username).",
)
@click.option(
    "--recycle-to",
    default=None,
    metavar="GATE",
    help="A recycle: the earlier gate the project goes back to, where the policy allows.",
)
def gate_decide(
    actor: Actor,
    key: str,
    decision: str,
    reason: str,
    conditions: tuple[str, ...],
    recycle_to: str | None,
) -> None:
    """Decide PROJECT's open review: go, conditional_go, recycle, hold or kill."""
    follow_ups = [_follow_up(c) for c in conditions]
    with workspace().unit_of_work() as uow:
        decided = reviews.decide(uow, actor, key, decision, reason, follow_ups, recycle_to)
        uow.commit()
        gate = decided.review.gate_id
        say(f"{gate}: {decision.replace('_', ' ')}; {key} is now '{decided.new_stage}'")


@gate_group.command("vote")
@acting
@click.argument("key")
@click.argument("decision", type=DECISIONS)
@click.option("--comment", default="", help="Why you vote so (kept with the vote).")
def gate_vote(actor: Actor, key: str, decision: str, comment: str) -> None:
    """Vote DECISION on PROJECT's open review, as a member of its gate's panel (once a
    round; a go at such a gate needs the votes its policy asks for)."""
    with workspace().unit_of_work() as uow:
        cast = reviews.vote(uow, actor, key, decision, comment)
        uow.commit()
    say(f"voted {cast.decision} on {key} (vote {cast.id})")


@gate_group.command("assure")
@acting
@click.argument("key")
@click.option("--rating", required=True, help="A rating on the gate's scale (e.g. amber_red).")
@click.option("--summary", required=True, help="What the review found.")
@click.option(
    "--recommendation",
    "recommendations",
    multiple=True,
    metavar="'URGENCY; OWNER; ACTION'",
    help="A recommendation: critical, essential or recommended; who owns it; what to do.",
)
def gate_assure(
    actor: Actor, key: str, rating: str, summary: str, recommendations: tuple[str, ...]
) -> None:
    """Record the independent assurance review of PROJECT's open review round: a rating on
    its policy's scale, a summary and recommendations (once a round)."""
    with workspace().unit_of_work() as uow:
        row = record_assurance(
            uow, actor, key, rating, summary, [_recommendation(r) for r in recommendations]
        )
        uow.commit()
    count = len(row.recommendations)
    say(f"rated {key} {row.rating.replace('_', ' ')} ({count} recommendation(s); review {row.id})")


def _recommendation(text: str) -> Recommendation:
    parts = [p.strip() for p in text.split(";", 2)]
    if len(parts) != 3:
        raise click.BadParameter("use 'urgency; owner; action'", param_hint="--recommendation")
    return Recommendation(action=parts[2], urgency=parts[0], owner=parts[1])


@gate_group.command("withdraw")
@acting
@click.argument("key")
@click.option("--reason", required=True)
def gate_withdraw(actor: Actor, key: str, reason: str) -> None:
    """Withdraw PROJECT's open review."""
    with workspace().unit_of_work() as uow:
        review = reviews.withdraw(uow, actor, key, reason)
        uow.commit()
        say(f"withdrew {review.gate_id} round {review.round}")


@gate_group.command("override")
@acting
@click.argument("key")
@click.option("--reason", required=True, help="Why the gate must pass as it is.")
def gate_override(actor: Actor, key: str, reason: str) -> None:
    """Ask for PROJECT's open review to pass with requirements missing (PMO; a second PMO
    member confirms it with `gate override-answer`)."""
    with workspace().unit_of_work() as uow:
        asked = overrides.request_override(uow, actor, key, reason)
        uow.commit()
    say(f"override {asked.id} asked for; missing: {'; '.join(asked.missing)}")
    say(f"a second PMO member answers: lockgate gate override-answer {asked.id} --confirm")


@gate_group.command("override-answer")
@acting
@click.argument("override_id", type=int)
@click.option("--confirm/--decline", required=True, help="Force the gate through, or not.")
@click.option("--reason", default="", help="Required to decline.")
def gate_override_answer(actor: Actor, override_id: int, confirm: bool, reason: str) -> None:
    """Confirm or decline an override another PMO member asked for."""
    with workspace().unit_of_work() as uow:
        answered = overrides.answer_override(uow, actor, override_id, confirm, reason)
        uow.commit()
    say(f"override {answered.id} {answered.state}")
