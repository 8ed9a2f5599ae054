"""The data inventory of the running configuration: collected from every plugin, checked, rendered.

Every plugin (the kit's core included) declares the columns it stores through the
``ack_data_inventory`` hook. The collected :class:`Inventory` is what backups copy (the tables
declared as backed up), what a tenant purge deletes from (the tables with a tenant column), and
what the privacy statement describes, so the three cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pluggy
from sqlalchemy import Engine, func, inspect, select, table

from atlassian_connect_kit.inventory import InventoryEntry
from atlassian_connect_kit.settings import Settings
from atlassian_connect_kit.storage.db import unavailability_as_error


class InventoryError(ValueError):
    """The declared inventory contradicts itself; the message names the table and column."""


@dataclass(frozen=True)
class Inventory:
    """Every declared column, in declaration order, checked for consistency."""

    entries: tuple[InventoryEntry, ...]

    def __post_init__(self) -> None:
        """Refuse duplicate columns, tables whose entries disagree, undeclared tenant columns."""
        seen: set[tuple[str, str]] = set()
        tables: dict[str, tuple[str | None, bool]] = {}
        for entry in self.entries:
            if not entry.table or not entry.column:
                raise InventoryError("an inventory entry has an empty table or column name")
            if (entry.table, entry.column) in seen:
                raise InventoryError(f"{entry.table}.{entry.column} is declared twice")
            seen.add((entry.table, entry.column))
            earlier_column, earlier_backed_up = tables.setdefault(
                entry.table, (entry.tenant_column, entry.backed_up)
            )
            if earlier_column != entry.tenant_column:
                raise InventoryError(
                    f"{entry.table}: entries name different tenant columns "
                    f"({earlier_column!r} and {entry.tenant_column!r})"
                )
            if earlier_backed_up != entry.backed_up:
                raise InventoryError(f"{entry.table}: entries disagree on whether it is backed up")
        for name, (tenant_column, _) in tables.items():
            if tenant_column is not None and (name, tenant_column) not in seen:
                raise InventoryError(
                    f"{name}: its tenant column {tenant_column!r} is not declared as a column"
                )

    @property
    def tables(self) -> tuple[str, ...]:
        """The declared tables, in the order they were first declared."""
        return tuple(dict.fromkeys(entry.table for entry in self.entries))

    @property
    def backed_up_tables(self) -> tuple[str, ...]:
        """The declared tables backups copy, in declaration order."""
        return tuple(name for name in self.tables if self.columns(name)[0].backed_up)

    @property
    def tenant_columns(self) -> dict[str, str]:
        """The clientKey column of each table holding tenants' rows, in declaration order."""
        columns: dict[str, str] = {}
        for entry in self.entries:
            if entry.tenant_column is not None:
                columns.setdefault(entry.table, entry.tenant_column)
        return columns

    def columns(self, table_name: str) -> tuple[InventoryEntry, ...]:
        """The entries of one table."""
        return tuple(entry for entry in self.entries if entry.table == table_name)

    def tenant_column(self, table_name: str) -> str | None:
        """The clientKey column of ``table_name`` (``None``: it holds no tenant's rows)."""
        for entry in self.entries:
            if entry.table == table_name:
                return entry.tenant_column
        raise KeyError(table_name)

    def is_backed_up(self, table_name: str) -> bool:
        """Whether backups copy ``table_name``."""
        entries = self.columns(table_name)
        if not entries:
            raise KeyError(table_name)
        return entries[0].backed_up


def collect_inventory(pm: pluggy.PluginManager, settings: Settings) -> Inventory:
    """Ask every plugin for its inventory entries and return them checked, as one inventory."""
    results: Iterable[Sequence[InventoryEntry] | None] = pm.hook.ack_data_inventory(
        settings=settings
    )
    entries: list[InventoryEntry] = []
    # pluggy returns the last-registered plugin first; reversed, the kit's core comes first.
    for result in reversed(list(results)):
        for entry in result or ():
            if not isinstance(entry, InventoryEntry):
                raise InventoryError(
                    f"ack_data_inventory returned a {type(entry).__name__}, not an InventoryEntry"
                )
            entries.append(entry)
    return Inventory(tuple(entries))


def row_counts(engine: Engine, table_names: Iterable[str]) -> dict[str, int | None]:
    """Return the number of rows of each table, or ``None`` for a table the database lacks."""
    names = list(table_names)
    with unavailability_as_error(), engine.connect() as connection:
        existing = set(inspect(connection).get_table_names())
        counts: dict[str, int | None] = {}
        for name in names:
            if name in existing:
                counts[name] = int(
                    connection.scalar(select(func.count()).select_from(table(name))) or 0
                )
            else:
                counts[name] = None
    return counts


def render_text(inventory: Inventory, counts: Mapping[str, int | None] | None = None) -> str:
    """Render the inventory for a terminal: one block per table, one line per column."""
    lines: list[str] = []
    for name in inventory.tables:
        entries = inventory.columns(name)
        heading = f"{name} ({_scope(inventory, name)})"
        if counts is not None:
            count = counts.get(name)
            heading += ": table absent" if count is None else f": {_rows(count)}"
        lines.append(heading)
        width = max(len(entry.column) for entry in entries)
        kept = max(len(entry.retention) for entry in entries)
        for entry in entries:
            flag = "encrypted" if entry.encrypted else "-"
            lines.append(
                f"  {entry.column:<{width}}  {entry.retention:<{kept}}  {flag:<9}  {entry.purpose}"
            )
    return "\n".join(lines) + "\n"


def _scope(inventory: Inventory, name: str) -> str:
    tenant_column = inventory.tenant_column(name)
    per_tenant = f"per tenant by {tenant_column}" if tenant_column is not None else "not per tenant"
    backed_up = "backed up" if inventory.is_backed_up(name) else "never backed up or restored"
    return f"{per_tenant}; {backed_up}"


def render_markdown(inventory: Inventory) -> str:
    """Render the data section of the privacy statement as a Markdown table."""
    lines = [
        "| Table | Column | Purpose | Kept | Encrypted | In backups |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for entry in inventory.entries:
        cells = (
            f"`{entry.table}`",
            f"`{entry.column}`",
            _markdown_cell(entry.purpose),
            _markdown_cell(entry.retention),
            "yes (AES-256-GCM)" if entry.encrypted else "no",
            "yes" if entry.backed_up else "never",
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _markdown_cell(text: str) -> str:
    # A pipe would end the cell early and a newline the row.
    return " ".join(text.split()).replace("|", "\\|")


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"
