"""the evidence a gate was decided on while stale, kept on the decided review

The "stale-evidence" compliance report compared every passing decision with the newest
version of each age-limited artifact: 1.9 s at 100,000 projects, linear in the portfolio.
A decision now records the evidence that was older than its artifact allows (the review's
`stale_evidence`, and its `review.decided` event), and the report reads the few reviews that
have it by decision time. This fills the column in for the gates passed before, with the same
rule (gates.readiness.is_stale) against each policy version as published.

The `audit.baseline` of 0017 and 0019 is appended by 0026, once every table it reconciles
exists.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reviews", sa.Column("stale_evidence", sa.JSON(), nullable=True))
    _fill_in(op.get_bind())
    where = sa.text("stale_evidence IS NOT NULL")
    op.create_index("ix_reviews_stale_decided_at", "reviews", ["decided_at"],
                    postgresql_where=where, sqlite_where=where)  # fmt: skip


def _fill_in(connection: sa.Connection) -> None:
    from gates.readiness import StaleEvidence, is_stale
    from policies.loader import parse_policy
    from policies.problems import PolicyError

    limited: dict[tuple[int, str], dict[str, Any]] = {}
    for number, source, ref in connection.execute(
        sa.text("SELECT id, source, policy_id || '@' || version FROM policy_versions")
    ):
        try:
            gates = parse_policy(source, f"{ref} (published)").gates
        except PolicyError:  # no gate of a version that does not read was ever decided
            continue
        for gate in gates:
            for artifact in gate.artifacts:
                if artifact.max_age_days:
                    limited.setdefault((number, gate.id), {})[artifact.id] = artifact
    if not limited:
        return
    found: dict[int, list[dict[str, object]]] = {}
    rows = connection.execute(
        sa.text(
            "SELECT r.id, p.policy_version_id, r.gate_id, r.decided_at, v.artifact_id,"
            " max(v.version), max(v.attached_at)"
            " FROM reviews r JOIN projects p ON p.id = r.project_id"
            " JOIN artifact_versions v ON v.project_id = r.project_id"
            " AND v.attached_at <= r.decided_at"
            " WHERE r.decision IN ('go', 'conditional_go')"
            " GROUP BY r.id, p.policy_version_id, r.gate_id, r.decided_at, v.artifact_id"
        )
    )
    for review, version, gate, decided, artifact_id, number, attached in rows:
        artifact = limited.get((version, gate), {}).get(artifact_id)
        if artifact is None:
            continue
        decided, attached = _utc(decided), _utc(attached)
        if is_stale(artifact, attached, decided):
            stale = StaleEvidence(artifact_id, number, attached, (decided - attached).days,
                                  artifact.max_age_days)  # fmt: skip
            found.setdefault(review, []).append(stale.as_record())
    update = sa.text("UPDATE reviews SET stale_evidence = :stale WHERE id = :id").bindparams(
        sa.bindparam("stale", type_=sa.JSON())
    )
    for review, stale in found.items():
        connection.execute(update, {"id": review, "stale": stale})


def _utc(moment: Any) -> datetime:
    if isinstance(moment, str):  # SQLite hands back text in a raw statement
        moment = datetime.fromisoformat(moment)
    found: datetime = moment
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def downgrade() -> None:
    op.drop_index("ix_reviews_stale_decided_at", table_name="reviews")
    op.drop_column("reviews", "stale_evidence")
