"""The data inventory: what the kit and each plugin store, column by column, and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InventoryEntry:
    """One stored column: where it lives, what it is for and how long it is kept.

    ``tenant_column`` names the column of ``table`` holding the tenant's clientKey, so
    uninstalling can delete the tenant's rows from it; ``None`` declares a table that holds no
    tenant's rows by clientKey (bookkeeping the kit keeps by hash, for example), which tenant
    purges leave alone. ``backed_up`` says whether backups copy the table (and restores replace
    it); a table that is not backed up is never touched by a restore.
    """

    table: str
    column: str
    purpose: str
    retention: str
    tenant_column: str | None = "client_key"
    encrypted: bool = False
    backed_up: bool = True
