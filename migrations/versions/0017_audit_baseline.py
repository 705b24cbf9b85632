"""the trail is the record: a baseline event holding the reconciled rows as they stand

`audit verify --deep` rebuilds the governance rows from the audit events and names every row
that disagrees. Events written before this carry less than replay needs (older signatures
have no content hash), so on a database that already has events this appends one
`audit.baseline` event holding those rows as they are now; replay starts from it for
anything older. A new database needs none.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The baseline is appended by the newest revision that changes a reconciled table (0026
    now): it reads the tables with the models as they are at the head."""


def downgrade() -> None:
    """The baseline event stays: nothing is removed from the trail."""
