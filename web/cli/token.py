"""`lockgate token create|list|revoke`: personal access tokens for scripts (LOCKGATE_TOKEN)."""

from __future__ import annotations

import click

from web.cli.shared import acting, say, show_table, workspace
from workflows.identity import Actor
from workflows.verbs import tokens


@click.group("token")
def token_group() -> None:
    """Personal access tokens: how scripts act as you (LOCKGATE_TOKEN)."""


@token_group.command("create")
@acting
@click.option("--name", required=True, help="What the token is for, e.g. 'nightly report'.")
@click.option(
    "--days",
    type=int,
    default=tokens.DEFAULT_DAYS,
    show_default=True,
    help=f"Days until it expires (at most {tokens.MAX_DAYS}).",
)
def token_create(actor: Actor, name: str, days: int) -> None:
    """Create a token (needs your password, not a token); it is printed once."""
    with workspace().unit_of_work() as uow:
        made = tokens.create_token(uow, actor, name, days)
        uow.commit()
    say(made.token)
    say(
        f"token {made.record.id} '{made.record.name}' for {actor.username}, expires "
        f"{made.record.expires_at:%Y-%m-%d}. It is shown only now: keep it in a secret store, "
        "and set LOCKGATE_TOKEN to it.",
        err=True,
    )


@token_group.command("list")
@acting
def token_list(actor: Actor) -> None:
    """Your tokens: name, the start of the token, when it expires, and whether it works."""
    with workspace().unit_of_work(read_only=True) as uow:
        rows = [
            (
                t.id,
                t.name,
                f"lgt_{t.hint}...",
                f"{t.created_at:%Y-%m-%d}",
                f"{t.expires_at:%Y-%m-%d}",
                tokens.state_of(t, uow.now),
            )
            for t in tokens.tokens_of(uow, actor)
        ]
    show_table(["ID", "NAME", "TOKEN", "CREATED", "EXPIRES", "STATE"], rows)


@token_group.command("revoke")
@acting
@click.argument("token_id", type=int)
def token_revoke(actor: Actor, token_id: int) -> None:
    """Revoke your token TOKEN_ID: it stops working at once."""
    with workspace().unit_of_work() as uow:
        record = tokens.revoke_token(uow, actor, token_id)
        uow.commit()
    say(f"revoked token {record.id} '{record.name}'")
