"""A plugin that keeps one table of per-site rows: what the storage, privacy and backup tests use.

It declares every column of its table in the data inventory (with the table's tenant column),
creates the table when the app configures it, can add rows for every site that installs, and
notes how many rows a site still had when the plugin was told of its uninstall.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, Table, func, select

from atlassian_connect_kit import InventoryEntry, hookimpl
from atlassian_connect_kit.storage.service import get_engine


class TablePlugin:
    """Owns ``table``, whose ``tenant_column`` holds the site's clientKey."""

    def __init__(
        self,
        table: Table,
        *,
        tenant_column: str = "client_key",
        purpose: str = "a plugin's row",
        backed_up: bool = True,
        rows_at_start: Iterable[Mapping[str, Any]] = (),
        rows_at_install: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self.table = table
        self.__name__ = f"{table.name}_plugin"
        self.tenant_column = tenant_column
        self.purpose = purpose
        self.backed_up = backed_up
        self.rows_at_start = list(rows_at_start)
        self.rows_at_install = list(rows_at_install)
        self.engine: Engine | None = None
        self.rows_when_told: list[int] = []

    def create(self, engine: Engine, rows: Iterable[Mapping[str, Any]] = ()) -> None:
        """Create the table in ``engine``'s database (if absent) and add ``rows``."""
        self.engine = engine
        self.table.metadata.create_all(engine, tables=[self.table])
        self.insert(list(rows))

    def insert(self, rows: list[Mapping[str, Any]]) -> None:
        """Add ``rows`` to the table."""
        if rows:
            assert self.engine is not None, "create the table first"
            with self.engine.begin() as connection:
                connection.execute(self.table.insert(), rows)

    def rows(self, client_key: str) -> int:
        """How many rows the table holds for ``client_key``."""
        assert self.engine is not None, "create the table first"
        column = self.table.c[self.tenant_column]
        query = select(func.count()).select_from(self.table).where(column == client_key)
        with self.engine.connect() as connection:
            return int(connection.scalar(query) or 0)

    @hookimpl
    def ack_data_inventory(self, settings: Any) -> list[InventoryEntry]:
        """Every column of the table, with its tenant column."""
        return [
            InventoryEntry(
                self.table.name,
                column.name,
                self.purpose,
                "until uninstall",
                tenant_column=self.tenant_column,
                backed_up=self.backed_up,
            )
            for column in self.table.columns
        ]

    @hookimpl
    def ack_configure(self, config: Any, settings: Any) -> None:
        """Create the table in the app's database, with the rows given for the start."""
        self.create(get_engine(config.registry), self.rows_at_start)

    @hookimpl
    def ack_tenant_installed(self, tenant: Any, request: Any) -> None:
        """Add the install rows for the site."""
        self.insert(
            [{**row, self.tenant_column: tenant.client_key} for row in self.rows_at_install]
        )

    @hookimpl
    def ack_tenant_uninstalled(self, client_key: str, request: Any) -> None:
        """Note how many rows the site still has when the plugin is told."""
        if self.engine is not None:
            self.rows_when_told.append(self.rows(client_key))
