"""The data inventory: what the kit and each plugin store, column by column, and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InventoryEntry:
    """One stored column: where it lives, what it is for and how long it is kept.

    ``tenant_column`` names the column of ``table`` holding the tenant's clientKey, so backups can
    include the table and uninstalling can delete the tenant's rows from it.
    """

    table: str
    column: str
    purpose: str
    retention: str
    tenant_column: str = "client_key"
    encrypted: bool = False
