"""Create the lifecycle token memory: hashes of accepted lifecycle tokens and of their bodies.

A restore keeps this table as it is (see ``table_is_kept``): backups never hold it.

Revision ID: 0003_lifecycle_tokens
Revises: 0002_removal_journal
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from atlassian_connect_kit.storage.db import UnicodeString, UTCDateTime, table_is_kept

revision: str = "0003_lifecycle_tokens"
down_revision: str | None = "0002_removal_journal"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "ack_lifecycle_tokens"


def upgrade() -> None:
    if table_is_kept(TABLE):
        return
    op.create_table(
        TABLE,
        sa.Column("token_sha256", UnicodeString(64), nullable=False),
        sa.Column("body_sha256", UnicodeString(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_ack_lifecycle_tokens")),
    )
    op.create_index(op.f("ix_ack_lifecycle_tokens_expires_at"), TABLE, ["expires_at"])


def downgrade() -> None:
    if table_is_kept(TABLE):
        return
    op.drop_index(op.f("ix_ack_lifecycle_tokens_expires_at"), table_name=TABLE)
    op.drop_table(TABLE)
