"""The kit's own entries of the data inventory: every column of the tenant table, and why.

A core plugin, so the kit answers ``ack_data_inventory`` like any add-on. A test compares these
entries with the migrated schema, so a new column cannot ship without its purpose written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.inventory import InventoryEntry
from atlassian_connect_kit.storage.models import Tenant

if TYPE_CHECKING:
    from atlassian_connect_kit.settings import Settings

UNTIL_UNINSTALL = "until uninstall"
"""Retention of everything the kit keeps: deleted when the site uninstalls the app."""

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


def kit_inventory() -> tuple[InventoryEntry, ...]:
    """Return the inventory entries of the kit's own tables."""
    return tuple(
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


@hookimpl(trylast=True)
def ack_data_inventory(settings: Settings) -> Sequence[InventoryEntry]:
    """Declare the tenant table, column by column."""
    return kit_inventory()
