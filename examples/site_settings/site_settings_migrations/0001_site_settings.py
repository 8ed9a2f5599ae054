"""Create the site_settings table.

Revision ID: site_settings_0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from atlassian_connect_kit import UnicodeString, UTCDateTime

revision: str = "site_settings_0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table, keyed by the site's clientKey."""
    op.create_table(
        "site_settings",
        sa.Column("client_key", UnicodeString(255), nullable=False),
        sa.Column("greeting", UnicodeString(200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_key", name="pk_site_settings"),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("site_settings")
