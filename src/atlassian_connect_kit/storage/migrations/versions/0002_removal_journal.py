"""Create the removal journal: the SHA-256 of each removed site's clientKey and the time.

A restore keeps this table as it is (see ``table_is_kept``): backups never hold it, and the
removals it records are re-applied to whatever a restore brings back.

Revision ID: 0002_removal_journal
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from atlassian_connect_kit.storage.db import UnicodeString, UTCDateTime, table_is_kept

revision: str = "0002_removal_journal"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "ack_removal_journal"


def upgrade() -> None:
    if table_is_kept(TABLE):
        return
    op.create_table(
        TABLE,
        sa.Column("client_key_sha256", UnicodeString(64), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_key_sha256", name=op.f("pk_ack_removal_journal")),
    )
    op.create_index(op.f("ix_ack_removal_journal_removed_at"), TABLE, ["removed_at"])


def downgrade() -> None:
    if table_is_kept(TABLE):
        return
    op.drop_index(op.f("ix_ack_removal_journal_removed_at"), table_name=TABLE)
    op.drop_table(TABLE)
