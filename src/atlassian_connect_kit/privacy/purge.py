"""Remove every row a tenant owns, in every declared table, in one transaction.

Used by the ``uninstalled`` callback and by the ``ack tenants purge`` commands, for sites that
disappear without a callback (an app moved to Forge loses its Connect install silently). The
tables come from the data inventory, so a plugin's tables are purged as soon as it declares them.
Every removal is recorded in the removal journal in the same transaction, and a restore re-applies
the journal (:func:`reapply_removal_journal`), so a backup never brings a removed site back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, delete, func, inspect, select
from sqlalchemy.sql import ColumnElement

from atlassian_connect_kit.privacy.inventory import Inventory, InventoryError
from atlassian_connect_kit.privacy.journal import (
    RemovalJournal,
    removed_client_keys,
    removed_digests,
)
from atlassian_connect_kit.storage.db import unavailability_as_error
from atlassian_connect_kit.storage.models import sha256_hex

log = logging.getLogger(__name__)

# Bounds the IN list: some backends limit the parameters of one statement (SQL Server: 2100).
_KEYS_PER_STATEMENT = 500


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


def tenant_tables(connection: Connection, tenant_columns: Mapping[str, str]) -> list[Table]:
    """The tables of ``tenant_columns`` present in the database, children before their parents."""
    existing = set(inspect(connection).get_table_names())
    present = [name for name in tenant_columns if name in existing]
    metadata = MetaData()
    metadata.reflect(connection, only=present)
    # Reflection also brings in tables the declared ones refer to: only declared ones are purged.
    # Deleting rows that refer to others first keeps foreign keys satisfied throughout.
    return [t for t in reversed(metadata.sorted_tables) if t.name in present]


def _tenant_column(tenant_table: Table, tenant_columns: Mapping[str, str]) -> ColumnElement[Any]:
    name = tenant_columns[tenant_table.name]
    if name not in tenant_table.c:
        raise InventoryError(f"{tenant_table.name} has no column {name!r} (its tenant column)")
    return tenant_table.c[name]


def count_tenant_rows(engine: Engine, client_key: str, inventory: Inventory) -> dict[str, int]:
    """Return how many rows each declared table holds for ``client_key`` (tables present only)."""
    tenant_columns = inventory.tenant_columns
    with unavailability_as_error(), engine.connect() as connection:
        counts: dict[str, int] = {}
        for tenant_table in tenant_tables(connection, tenant_columns):
            column = _tenant_column(tenant_table, tenant_columns)
            query = select(func.count()).select_from(tenant_table).where(column == client_key)
            counts[tenant_table.name] = int(connection.scalar(query) or 0)
        return counts


def delete_tenant_rows(
    connection: Connection, client_keys: Collection[str], tenant_columns: Mapping[str, str]
) -> dict[str, int]:
    """Delete the rows of ``client_keys`` from the tables of ``tenant_columns``; count per table.

    Runs in the caller's transaction. Tables the database does not hold are skipped.
    """
    removed: dict[str, int] = {}
    if not client_keys:
        return removed
    keys = sorted(client_keys)
    for tenant_table in tenant_tables(connection, tenant_columns):
        column = _tenant_column(tenant_table, tenant_columns)
        count = 0
        for start in range(0, len(keys), _KEYS_PER_STATEMENT):
            batch = keys[start : start + _KEYS_PER_STATEMENT]
            result = connection.execute(delete(tenant_table).where(column.in_(batch)))
            count += max(result.rowcount, 0)
        removed[tenant_table.name] = count
    return removed


def purge_tenant(
    engine: Engine,
    client_key: str,
    inventory: Inventory,
    journal: RemovalJournal,
    *,
    reason: str,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Delete every row of ``client_key`` from every declared table, the tenant row included.

    One transaction: either the tenant is gone from every table and recorded in the removal
    journal, or nothing changed. Tables a plugin declares but the database does not hold yet are
    skipped (they hold nothing). ``reason`` (uninstall, purge, purge-stale) goes into the one log
    line, which names the site by its hash only.
    """
    if not client_key:
        raise ValueError("a client key is required")
    moment = now or dt.datetime.now(dt.UTC)
    with unavailability_as_error(), engine.begin() as connection:
        removed = delete_tenant_rows(connection, [client_key], inventory.tenant_columns)
        digest = journal.record(connection, client_key, moment)
    result = PurgeResult(client_key=client_key, removed=removed)
    log.info(
        "site %s removed (%s): %s; recorded in the removal journal",
        digest,
        reason,
        result.describe(),
    )
    return result


def reapply_removal_journal(connection: Connection, tenant_columns: Mapping[str, str]) -> int:
    """Remove again, in the caller's transaction, every stored site the removal journal names.

    Returns how many sites were removed again. Used by a restore, after the backup's rows are in.
    """
    digests = removed_digests(connection)
    if not digests:
        return 0
    stored: set[str] = set()
    for tenant_table in tenant_tables(connection, tenant_columns):
        column = _tenant_column(tenant_table, tenant_columns)
        stored.update(str(key) for key in connection.scalars(select(column).distinct()))
    again = removed_client_keys(stored, digests)
    delete_tenant_rows(connection, again, tenant_columns)
    for client_key in again:
        log.info("site %s removed again after a restore (removal journal)", sha256_hex(client_key))
    return len(again)
