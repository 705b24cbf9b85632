"""the trail is the whole record: a baseline holding every governance row

`audit verify --deep` now also rebuilds tiers, facts, policy versions, evidence versions,
reviews, conditions, waivers, delegations, change requests and overrides from the trail.
Older events lack some of what that needs (attachments have no media type, decisions do
not number their conditions), so on a database that already has events this appends one
`audit.baseline` event holding every reconciled row as it stands (none if the last event is
already such a baseline, as after 0017 on a database upgraded in one go). Replay starts
from it for anything older.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The baseline is appended by the newest revision that changes a reconciled table (0026
    now): it reads the tables with the models as they are at the head."""


def downgrade() -> None:
    """The baseline event stays: nothing is removed from the trail."""
