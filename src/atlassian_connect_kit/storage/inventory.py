"""The kit's own entries of the data inventory: every column of the kit's tables, and why.

A core plugin, so the kit answers ``ack_data_inventory`` like any add-on. A test compares these
entries with the migrated schema, so a new column cannot ship without its purpose written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.inventory import InventoryEntry
from atlassian_connect_kit.storage.models import LifecycleToken, RemovalJournalEntry, Tenant

if TYPE_CHECKING:
    from atlassian_connect_kit.settings import Settings

UNTIL_UNINSTALL = "until uninstall"
"""Retention of the tenant table: a site's row is deleted when the site uninstalls the app."""

TENANT_TABLE: str = Tenant.__tablename__
"""The table holding one row per installed Jira site."""

_TENANT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("id", "row identifier", False),
    ("client_key", "identifies the Jira site (Atlassian's clientKey)", False),
    ("base_url", "the Jira site's URL, to call its REST API", False),
    ("shared_secret", "verifies Jira's requests and signs the app's calls to Jira", True),
    ("secret_key_id", "names the encryption key of the shared secret, for key rotation", False),
    ("oauth_client_id", "lets the app act as the viewing user (OAuth 2.0 client id)", False),
    ("installation_id", "Atlassian's installation id, to match Forge and Connect installs", False),
    ("enabled", "whether the site has the app enabled; disabled sites get no access", False),
    ("installed_at", "when the site first installed the app", False),
    ("updated_at", "when the site last re-installed, enabled or disabled the app", False),
    ("last_seen_at", "when the site last used the app, to find sites gone without notice", False),
)

JOURNAL_TABLE: str = RemovalJournalEntry.__tablename__
"""The removal journal: sites removed, by hash, so a restore cannot bring them back."""

_JOURNAL_COLUMNS: tuple[tuple[str, str], ...] = (
    (
        "client_key_sha256",
        "SHA-256 of a removed site's clientKey (never the key itself), so a restored backup "
        "cannot bring the site back",
    ),
    ("removed_at", "when the site was uninstalled or purged, to know when to forget it"),
)

LIFECYCLE_TOKEN_TABLE: str = LifecycleToken.__tablename__
"""Recently accepted lifecycle callbacks, by hash, so a captured token cannot be replayed."""

TOKEN_RETENTION = "until the token expires, plus ack.jwt_leeway (minutes)"
"""How long an accepted lifecycle token is remembered."""

_LIFECYCLE_TOKEN_COLUMNS: tuple[tuple[str, str], ...] = (
    (
        "token_sha256",
        "SHA-256 of a lifecycle token Jira sent, so its replay with another body is refused",
    ),
    ("body_sha256", "SHA-256 of that callback's body, so Jira's retries are still answered"),
    ("expires_at", "when the token expires, after which the entry is pruned"),
)


def journal_retention(settings: Settings) -> str:
    """How long the removal journal keeps an entry, from the backup retention settings."""
    days, months = settings.backup_keep_days, settings.backup_keep_months
    # The longest a backup made before the removal is kept: its months, or its days if longer.
    longest = f"{months} months" if months * 30 >= days else f"{days} days"
    return f"as long as backups made before the removal are kept (at most {longest}), then pruned"


def kit_inventory(settings: Settings) -> tuple[InventoryEntry, ...]:
    """Return the inventory entries of the kit's own tables."""
    tenants = tuple(
        InventoryEntry(
            table=TENANT_TABLE,
            column=column,
            purpose=purpose,
            retention=UNTIL_UNINSTALL,
            tenant_column="client_key",
            encrypted=encrypted,
        )
        for column, purpose, encrypted in _TENANT_COLUMNS
    )
    return (
        tenants
        + _kept_by_hash(JOURNAL_TABLE, _JOURNAL_COLUMNS, journal_retention(settings))
        + _kept_by_hash(LIFECYCLE_TOKEN_TABLE, _LIFECYCLE_TOKEN_COLUMNS, TOKEN_RETENTION)
    )


def _kept_by_hash(
    table: str, columns: tuple[tuple[str, str], ...], retention: str
) -> tuple[InventoryEntry, ...]:
    # Bookkeeping tables: no clientKey in clear (so nothing to purge per tenant), never backed up.
    return tuple(
        InventoryEntry(
            table=table,
            column=column,
            purpose=purpose,
            retention=retention,
            tenant_column=None,
            backed_up=False,
        )
        for column, purpose in columns
    )


@hookimpl(trylast=True)
def ack_data_inventory(settings: Settings) -> Sequence[InventoryEntry]:
    """Declare the kit's tables, column by column."""
    return kit_inventory(settings)
