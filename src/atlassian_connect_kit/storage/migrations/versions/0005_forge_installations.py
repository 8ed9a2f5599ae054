"""Create the table of pure Forge installations: installation id, cloud id, last seen.

Adopting apps need no new table: the Forge installation id of a Connect tenant is on its row.

Revision ID: 0005_forge_installations
Revises: 0004_sqlserver_types
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from atlassian_connect_kit.storage.db import UnicodeString, UTCDateTime

revision: str = "0005_forge_installations"
down_revision: str | None = "0004_sqlserver_types"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "ack_forge_installations"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("installation_id", UnicodeString(255), nullable=False),
        sa.Column("cloud_id", UnicodeString(64), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("installation_id", name=op.f("pk_ack_forge_installations")),
    )
    op.create_index(op.f("ix_ack_forge_installations_last_seen_at"), TABLE, ["last_seen_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ack_forge_installations_last_seen_at"), table_name=TABLE)
    op.drop_table(TABLE)
