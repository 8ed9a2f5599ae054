"""Give the tenant table types that are right on every backend, SQL Server included.

Text becomes Unicode with a size (NVARCHAR(n) on SQL Server), the encrypted secret unlimited
Unicode text (NVARCHAR(max) on SQL Server, LONGTEXT on MySQL/MariaDB), and times stay time-zone
aware (DATETIMEOFFSET on SQL Server). Only columns whose type really changes on the migrated
backend are altered: on PostgreSQL and SQLite the types render as before and nothing changes.
Values are kept as they are (the conversions are lossless), so secrets still decrypt.

Revision ID: 0004_sqlserver_types
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa

from atlassian_connect_kit.storage.db import LargeText, UnicodeString, UTCDateTime
from atlassian_connect_kit.storage.migrations.retype import Retype, retype_columns

revision: str = "0004_sqlserver_types"
down_revision: str | None = "0003_lifecycle_tokens"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "ack_tenants"
UNIQUE_CONSTRAINTS = {"uq_ack_tenants_client_key": ("client_key",)}

CHANGES = (
    Retype("client_key", sa.String(length=255), UnicodeString(255), nullable=False),
    Retype("base_url", sa.String(length=255), UnicodeString(255), nullable=False),
    Retype("shared_secret", sa.Text(), LargeText(), nullable=False),
    Retype("secret_key_id", sa.String(length=64), UnicodeString(64), nullable=False),
    Retype("oauth_client_id", sa.String(length=255), UnicodeString(255), nullable=True),
    Retype("installation_id", sa.String(length=255), UnicodeString(255), nullable=True),
    Retype("installed_at", sa.DateTime(timezone=True), UTCDateTime(), nullable=False),
    Retype("updated_at", sa.DateTime(timezone=True), UTCDateTime(), nullable=False),
    Retype("last_seen_at", sa.DateTime(timezone=True), UTCDateTime(), nullable=True),
)


def upgrade() -> None:
    retype_columns(TABLE, CHANGES, unique_constraints=UNIQUE_CONSTRAINTS)


def downgrade() -> None:
    retype_columns(TABLE, [c.reverted() for c in CHANGES], unique_constraints=UNIQUE_CONSTRAINTS)
