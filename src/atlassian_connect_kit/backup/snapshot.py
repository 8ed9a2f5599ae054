"""Read a consistent snapshot of the declared tables: one read transaction, every backend.

All tables are read in a single transaction whose isolation makes it one point in time:
REPEATABLE READ (a snapshot) on PostgreSQL and MySQL/MariaDB, SERIALIZABLE on SQL Server (where
SNAPSHOT needs a database option the kit cannot assume), and an explicit ``BEGIN`` on SQLite,
whose driver would otherwise run each SELECT in its own transaction. Nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, Engine, MetaData, Table, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from atlassian_connect_kit.backup.fileformat import BackupError, ColumnInfo, TableData
from atlassian_connect_kit.backup.values import column_kind, encode_value
from atlassian_connect_kit.storage import models
from atlassian_connect_kit.storage.db import (
    VERSION_TABLE,
    Base,
    is_unavailability,
    unavailability_as_error,
)

SECRET_KEY_ID_COLUMN = (models.Tenant.__tablename__, "secret_key_id")
"""Where the kit records which encryption key each stored secret needs."""


@dataclass(frozen=True)
class Snapshot:
    """The declared tables at one point in time, ready to be sealed into a backup."""

    schema_revision: str | None
    dialect: str
    tables: tuple[TableData, ...]
    secret_key_ids: tuple[str, ...]


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a read transaction that sees one snapshot, rolled back afterwards."""
    dialect = engine.dialect.name
    with engine.connect() as connection:
        if dialect == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        elif dialect in ("mysql", "mariadb"):
            connection.execution_options(isolation_level="REPEATABLE READ")
            connection.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        elif dialect == "mssql":
            connection.execution_options(isolation_level="SERIALIZABLE")
        elif dialect == "sqlite":
            connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def take_snapshot(engine: Engine, table_names: Sequence[str]) -> Snapshot:
    """Read every row of ``table_names`` (and the schema revision) in one read transaction.

    Raises :class:`BackupError` when a declared table is missing or a value cannot be encoded.
    """
    wanted = list(dict.fromkeys(table_names))
    with unavailability_as_error(), read_transaction(engine) as connection:
        try:
            revision = MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE}
            ).get_current_revision()
            missing = sorted(set(wanted) - set(inspect(connection).get_table_names()))
            if missing:
                raise BackupError(
                    f"the database lacks declared tables {', '.join(missing)}: run "
                    "`ack db upgrade -c INI` (and the plugins' migrations) first"
                )
            metadata = MetaData()
            metadata.reflect(connection, only=wanted)
            # Parents before children, so a restore inserts in file order.
            ordered = [t for t in metadata.sorted_tables if t.name in wanted]
            tables = tuple(_read_table(connection, t) for t in ordered)
        except SQLAlchemyError as error:
            if is_unavailability(error):
                raise  # reported as "database unavailable" by unavailability_as_error
            raise BackupError(f"cannot read the database: {type(error).__name__}") from error
    return Snapshot(
        schema_revision=revision,
        dialect=engine.dialect.name,
        tables=tables,
        secret_key_ids=_secret_key_ids(tables),
    )


def _column_info(table: Table, column: Column[Any]) -> ColumnInfo:
    # The kit's own tables are declared in code: their declared types say "boolean" even where
    # the backend reflects a tiny integer (MariaDB), so they win over reflection.
    declared = Base.metadata.tables.get(table.name)
    declared_column = declared.c.get(column.name) if declared is not None else None
    sql_type = declared_column.type if declared_column is not None else column.type
    return ColumnInfo(
        name=column.name,
        kind=column_kind(sql_type),
        nullable=bool(column.nullable),
        primary_key=bool(column.primary_key),
    )


def _read_table(connection: Connection, table: Table) -> TableData:
    columns = tuple(_column_info(table, column) for column in table.columns)
    order = list(table.primary_key.columns) or list(table.columns)
    rows: list[tuple[Any, ...]] = []
    for row in connection.execute(select(table).order_by(*order)):
        try:
            rows.append(
                tuple(
                    encode_value(value, info.kind) for value, info in zip(row, columns, strict=True)
                )
            )
        except (TypeError, ValueError) as error:
            raise BackupError(f"{table.name}: a value cannot be backed up ({error})") from None
    return TableData(name=table.name, columns=columns, rows=tuple(rows))


def _secret_key_ids(tables: Sequence[TableData]) -> tuple[str, ...]:
    table_name, column_name = SECRET_KEY_ID_COLUMN
    kids: set[str] = set()
    for data in tables:
        if data.name != table_name:
            continue
        position = [c.name for c in data.columns].index(column_name)
        kids.update(str(row[position]) for row in data.rows if row[position] is not None)
    return tuple(sorted(kids))
