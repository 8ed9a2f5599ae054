"""Remove every row a tenant owns, in every declared table, in one transaction.

Used by the ``uninstalled`` callback and by the ``ack tenants purge`` commands, for sites that
disappear without a callback (an app moved to Forge loses its Connect install silently). The
tables come from the data inventory, so a plugin's tables are purged as soon as it declares them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, delete, func, inspect, select
from sqlalchemy.sql import ColumnElement

from atlassian_connect_kit.privacy.inventory import Inventory, InventoryError
from atlassian_connect_kit.storage.db import unavailability_as_error


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed: rows per table, tables in the order they were purged."""

    client_key: str
    removed: Mapping[str, int]

    @property
    def total(self) -> int:
        """Rows removed across all tables."""
        return sum(self.removed.values())

    def describe(self) -> str:
        """One line naming each table that lost rows, e.g. ``ack_tenants 1 row``."""
        parts = [
            f"{name} {count} row{'' if count == 1 else 's'}"
            for name, count in self.removed.items()
            if count
        ]
        return ", ".join(parts) if parts else "nothing stored"


def _tenant_tables(connection: Connection, inventory: Inventory) -> list[Table]:
    """The declared tables present in the database, children before the tables they refer to."""
    existing = set(inspect(connection).get_table_names())
    present = [name for name in inventory.tables if name in existing]
    metadata = MetaData()
    metadata.reflect(connection, only=present)
    # Reflection also brings in tables the declared ones refer to: only declared ones are purged.
    # Deleting rows that refer to others first keeps foreign keys satisfied throughout.
    return [t for t in reversed(metadata.sorted_tables) if t.name in present]


def _tenant_column(tenant_table: Table, inventory: Inventory) -> ColumnElement[Any]:
    name = inventory.tenant_column(tenant_table.name)
    if name not in tenant_table.c:
        raise InventoryError(f"{tenant_table.name} has no column {name!r} (its tenant column)")
    return tenant_table.c[name]


def count_tenant_rows(engine: Engine, client_key: str, inventory: Inventory) -> dict[str, int]:
    """Return how many rows each declared table holds for ``client_key`` (tables present only)."""
    with unavailability_as_error(), engine.connect() as connection:
        counts: dict[str, int] = {}
        for tenant_table in _tenant_tables(connection, inventory):
            column = _tenant_column(tenant_table, inventory)
            query = select(func.count()).select_from(tenant_table).where(column == client_key)
            counts[tenant_table.name] = int(connection.scalar(query) or 0)
        return counts


def purge_tenant(engine: Engine, client_key: str, inventory: Inventory) -> PurgeResult:
    """Delete every row of ``client_key`` from every declared table, the tenant row included.

    One transaction: either the tenant is gone from every table, or nothing was deleted. Tables
    a plugin declares but the database does not hold yet are skipped (they hold nothing).
    """
    if not client_key:
        raise ValueError("a client key is required")
    removed: dict[str, int] = {}
    with unavailability_as_error(), engine.begin() as connection:
        for tenant_table in _tenant_tables(connection, inventory):
            column = _tenant_column(tenant_table, inventory)
            result = connection.execute(delete(tenant_table).where(column == client_key))
            removed[tenant_table.name] = max(result.rowcount, 0)
    return PurgeResult(client_key=client_key, removed=removed)
