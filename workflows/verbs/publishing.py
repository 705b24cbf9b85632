"""Policy versions: publish (immutable from then on), find, and move a project to a newer one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gates.authority import PUBLISH, authority
from gates.refusals import Refusal
from policies.library import LIBRARY, shipped
from policies.loader import check_policy_text
from policies.model import Policy
from workflows.authority import person_on
from workflows.errors import InvalidInput, NotFound, Refused
from workflows.identity import Actor, system
from workflows.inputs import FILE_NAME, short_text
from workflows.refusal_log import refusals_recorded
from workflows.state import require
from workflows.store.records import PolicyVersion
from workflows.store.uow import UnitOfWork


def latest(uow: UnitOfWork, policy_id: str) -> PolicyVersion:
    """The newest published version of `policy_id`; raises NotFound."""
    query = (
        select(PolicyVersion)
        .where(PolicyVersion.policy_id == policy_id)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )
    row = uow.session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No version of policy '{policy_id}' is published.")
    return row


def version(uow: UnitOfWork, policy_id: str, number: int) -> PolicyVersion:
    """One published version; raises NotFound."""
    query = select(PolicyVersion).where(
        PolicyVersion.policy_id == policy_id, PolicyVersion.version == number
    )
    row = uow.session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Policy {policy_id}@{number} is not published.")
    return row


FOUR_EYES = Refusal(
    "publish.four_eyes",
    None,
    "A policy version is published when a second PMO member approves it: propose it "
    "(`lockgate policy propose FILE`, or Check and propose on the portal's Policies page) and "
    "another PMO member approves it (an admin, where the PMO has a single member).",
)


@refusals_recorded
def publish(uow: UnitOfWork, actor: Actor, source: str, name: str) -> PolicyVersion:
    """Publish a policy version from its YAML `source`: the system only (the shipped library
    at `lockgate init`); a person proposes (workflows.verbs.proposals) and another approves.

    Raises InvalidInput with every problem of the file, or Refused when the version exists
    (a published version never changes) or is not newer than the latest. The size and
    shape of `source` are bounded by the policy loader (policies.limits).
    """
    name = short_text(name, "name", FILE_NAME)
    if not actor.is_system:  # only the shipped library (lockgate init) is published directly
        require(authority(person_on(uow, actor.username, None)), PUBLISH, "publish a policy")
        raise Refused("publish a policy", [FOUR_EYES])
    policy, problems = check_policy_text(source, name)
    if policy is None:
        raise InvalidInput(
            f"{name} has {len(problems)} problem(s)",
            {f"{p.line}:{p.column} {p.path}": p.message for p in problems},
        )
    newest = uow.session.execute(
        select(func.max(PolicyVersion.version)).where(PolicyVersion.policy_id == policy.id)
    ).scalar()
    refusals = version_refusals(policy, newest)
    if refusals:
        raise Refused("publish a policy", refusals)
    note = {"approved_by": "system", "note": "shipped library"} if actor.is_system else {}
    return publish_version(uow, policy, source, actor.username, **note)


def publish_version(
    uow: UnitOfWork, policy: Policy, source: str, published_by: str, **audit: Any
) -> PolicyVersion:
    """Write the checked `policy` as a published version and its `policy.published` event
    (`audit`: approved_by, proposal, note). Callers have checked who may and that it is newer."""
    row = PolicyVersion(
        policy_id=policy.id,
        version=policy.version,
        title=policy.title,
        digest=policy.digest,
        source=source,
        published_by=published_by,
        published_at=uow.now,
        approved_by=audit.get("approved_by"),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.record(
        published_by,
        "policy.published",
        None,
        policy=policy.ref,
        digest=policy.digest,
        title=policy.title,
        published_by=published_by,
        **audit,
    )
    return row


def version_refusals(policy: Policy, newest: int | None) -> list[Refusal]:
    """Why `policy` cannot be published after version `newest` of its id: it must be newer."""
    if newest is None or policy.version > newest:
        return []
    text = (
        f"{policy.id}@{newest} is already published and a published version never changes: "
        f"give the new file version {newest + 1}."
    )
    return [Refusal("publish.not_newer", "version", text)]


def publish_library(uow: UnitOfWork) -> list[PolicyVersion]:
    """Publish each shipped policy whose version is not published yet, as the system."""
    published = []
    actor = system()
    for name in shipped():
        path = LIBRARY / f"{name}.yaml"
        source = path.read_text(encoding="utf-8")
        policy, _ = check_policy_text(source, str(path))
        if policy is None:
            continue
        exists = uow.session.execute(
            select(PolicyVersion.id).where(
                PolicyVersion.policy_id == policy.id, PolicyVersion.version >= policy.version
            )
        ).first()
        if not exists:
            published.append(publish(uow, actor, source, str(path)))
    return published
