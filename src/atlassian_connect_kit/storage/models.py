"""The tables the kit owns.

Only what authentication and calls to Jira need is kept from an install: everything else in the
lifecycle payload (site description, entitlement numbers, versions) is dropped on arrival. The two
bookkeeping tables (removed sites, recent lifecycle tokens) hold hashes, never the values.
Columns use the kit's portable types (``storage.db``), which are Unicode and time-zone aware on
every backend, SQL Server included.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Boolean, Integer
from sqlalchemy.orm import Mapped, mapped_column

from atlassian_connect_kit.storage.db import Base, LargeText, UnicodeString, UTCDateTime


class Tenant(Base):
    """One Jira Cloud site that installed the app, with its shared secret encrypted at rest."""

    __tablename__ = "ack_tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_key: Mapped[str] = mapped_column(UnicodeString(255), unique=True, nullable=False)
    base_url: Mapped[str] = mapped_column(UnicodeString(255), nullable=False)
    # The AES-GCM blob of the shared secret (bound to client_key); the plaintext is never stored.
    shared_secret: Mapped[str] = mapped_column(LargeText, nullable=False)
    # The key-ring key id that encrypted shared_secret, so keys can rotate without downtime.
    secret_key_id: Mapped[str] = mapped_column(UnicodeString(64), nullable=False)
    oauth_client_id: Mapped[str | None] = mapped_column(UnicodeString(255), nullable=True)
    installation_id: Mapped[str | None] = mapped_column(UnicodeString(255), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    installed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


def sha256_hex(value: str | bytes) -> str:
    """The SHA-256 of ``value`` (text as UTF-8) in hex: how the kit keeps what it must not hold."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


class RemovalJournalEntry(Base):
    """A site removed from the app (uninstalled or purged), known only by its clientKey's hash.

    Never part of a backup and never replaced by a restore: a restore re-applies these removals,
    so a site removed after a backup was made does not come back with it. Kept as long as
    backups made before the removal can exist, then pruned; a later install clears the entry.
    """

    __tablename__ = "ack_removal_journal"

    client_key_sha256: Mapped[str] = mapped_column(UnicodeString(64), primary_key=True)
    removed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class LifecycleToken(Base):
    """A signed lifecycle callback accepted recently, by the hashes of its token and its body.

    Lets every worker answer Atlassian's retry of the same callback again while refusing the
    same token sent with another body. Kept until the token expires (plus the clock leeway).
    """

    __tablename__ = "ack_lifecycle_tokens"

    token_sha256: Mapped[str] = mapped_column(UnicodeString(64), primary_key=True)
    body_sha256: Mapped[str] = mapped_column(UnicodeString(64), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
