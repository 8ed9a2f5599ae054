"""Restore an opened backup into a database, in one transaction.

The target must hold no rows in the backup's tables (``force`` deletes them first). The kit's
schema is brought to the backup's revision with the packaged migrations, the rows are inserted,
their counts checked, and the schema upgraded to the newest revision, all on one connection in
one transaction: on PostgreSQL, SQLite and SQL Server a failure leaves the database as it was.
(MySQL/MariaDB commit each schema change on their own; there a failed restore can leave empty
tables behind, which a second restore with ``force`` replaces.)

Tables a plugin declared are not created by the kit's migrations: they must exist in the target
already, except in a restore drill (``create_missing_tables``), which re-creates them from the
column kinds the backup records.

The removal journal and the lifecycle token memory are never in a backup: the restore leaves
them as they are (the migrations' round trip included) and re-applies the journal to the restored
rows before committing, so a site removed after the backup was made stays removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicCommandError
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    delete,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy import table as table_clause
from sqlalchemy.exc import SQLAlchemyError

from atlassian_connect_kit.backup.fileformat import Backup, BackupError, TableData
from atlassian_connect_kit.backup.values import column_kind, decode_value, sql_type_for
from atlassian_connect_kit.privacy.purge import reapply_removal_journal
from atlassian_connect_kit.storage import models  # registers the kit's tables on Base
from atlassian_connect_kit.storage.db import (
    KEPT_TABLES_ATTRIBUTE,
    MIGRATIONS_DIR,
    VERSION_TABLE,
    Base,
    is_unavailability,
    unavailability_as_error,
)

INSERT_BATCH_ROWS = 1000
"""Rows sent to the database per INSERT statement."""

KEPT_TABLES: frozenset[str] = frozenset(
    {models.RemovalJournalEntry.__tablename__, models.LifecycleToken.__tablename__}
)
"""The kit's tables no backup holds: a restore keeps them as they are."""

DEFAULT_TENANT_COLUMNS: Mapping[str, str] = {models.Tenant.__tablename__: "client_key"}
"""The tenant tables a restore re-applies the removal journal to, unless told the inventory's."""


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did; ``removed_again`` counts the sites the removal journal removed."""

    revision_before: str | None
    backup_revision: str | None
    revision_after: str | None
    row_counts: dict[str, int]
    replaced_rows: int
    removed_again: int = 0

    @property
    def total_rows(self) -> int:
        """Rows restored across every table."""
        return sum(self.row_counts.values())


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The migrations run on this connection, inside the restore's transaction.
    config.attributes["connection"] = connection
    # The tables a backup never holds keep their rows through the schema's round trip.
    config.attributes[KEPT_TABLES_ATTRIBUTE] = KEPT_TABLES
    return config


def _current_revision(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _migrate(connection: Connection, revision: str | None) -> None:
    """Bring the kit's schema to ``revision`` (``None``: no kit tables), up or down."""
    config = _alembic_config(connection)
    current = _current_revision(connection)
    target = revision or "base"
    if current == revision or (current is None and target == "base"):
        return
    script = ScriptDirectory.from_config(config)
    older = current is not None and target in {
        r.revision for r in script.iterate_revisions(current, "base")
    }
    if older or target == "base":
        command.downgrade(config, target)
    else:
        command.upgrade(config, target)


def check_revision_known(revision: str | None, *, label: str) -> None:
    """Refuse a backup made at a schema revision this version of the kit does not ship."""
    if revision is None:
        return
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    try:
        ScriptDirectory.from_config(config).get_revision(revision)
    except AlembicCommandError:
        raise BackupError(
            f"{label}: made at schema revision {revision!r}, which this version of the kit "
            "does not know; restore it with the version that made it"
        ) from None


def restore_backup(
    engine: Engine,
    backup: Backup,
    *,
    force: bool = False,
    create_missing_tables: bool = False,
    label: str = "backup",
    tenant_columns: Mapping[str, str] = DEFAULT_TENANT_COLUMNS,
) -> RestoreResult:
    """Restore ``backup`` into ``engine``'s database; raise :class:`BackupError` if refused.

    Refuses (before writing) a database holding rows in any of the backup's tables unless
    ``force``, and a backup table the database lacks (other than the kit's own, which the
    migrations create) unless ``create_missing_tables``. Before committing, the removal journal
    is re-applied to the tables of ``tenant_columns`` (table: clientKey column): sites removed
    after the backup was made are removed again.
    """
    check_revision_known(backup.manifest.schema_revision, label=label)
    with unavailability_as_error(), engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # pysqlite would run the schema changes outside any transaction otherwise.
            connection.exec_driver_sql("BEGIN")
        try:
            result = _restore(
                connection, backup, force, create_missing_tables, label, tenant_columns
            )
        except SQLAlchemyError as error:
            connection.rollback()
            if is_unavailability(error):
                raise
            raise BackupError(
                f"restore failed, nothing was written: {type(error).__name__}: "
                f"{str(getattr(error, 'orig', error)).strip().splitlines()[0][:200]}"
            ) from error
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    return result


def _restore(
    connection: Connection,
    backup: Backup,
    force: bool,
    create_missing_tables: bool,
    label: str,
    tenant_columns: Mapping[str, str],
) -> RestoreResult:
    names = [data.name for data in backup.tables]
    never_backed_up = sorted(KEPT_TABLES.intersection(names))
    if never_backed_up:
        raise BackupError(
            f"{label}: holds {', '.join(never_backed_up)}, which backups never hold and a "
            "restore never replaces"
        )
    existing = set(inspect(connection).get_table_names())
    occupied = {
        name: count
        for name in names
        if name in existing and (count := _count(connection, name)) > 0
    }
    if occupied and not force:
        listed = ", ".join(f"{name}: {count} rows" for name, count in occupied.items())
        raise BackupError(
            f"the target database is not empty ({listed}); restore into an empty database, "
            "or pass --force to replace those rows"
        )
    foreign = [n for n in names if n not in Base.metadata.tables and n not in existing]
    if foreign and not create_missing_tables:
        raise BackupError(
            f"the target database lacks the plugin tables {', '.join(foreign)}; create them "
            "with the plugins' migrations, then restore"
        )
    replaced = _delete_rows(connection, [n for n in names if n in occupied])
    revision_before = _current_revision(connection)
    _migrate(connection, backup.manifest.schema_revision)
    if foreign:
        _create_tables(connection, [d for d in backup.tables if d.name in foreign])
    metadata = MetaData()
    metadata.reflect(connection, only=names)
    for data in backup.tables:
        _insert_rows(connection, metadata.tables[data.name], data, label=label)
    _reset_sequences(connection, [metadata.tables[name] for name in names])
    counts = {name: _count(connection, name) for name in names}
    if counts != dict(backup.manifest.row_counts):
        raise BackupError(f"{label}: the restored row counts do not match the manifest")
    _migrate(connection, "head")
    removed_again = reapply_removal_journal(connection, tenant_columns)
    return RestoreResult(
        revision_before=revision_before,
        backup_revision=backup.manifest.schema_revision,
        revision_after=_current_revision(connection),
        row_counts=counts,
        replaced_rows=replaced,
        removed_again=removed_again,
    )


def _count(connection: Connection, name: str) -> int:
    return int(connection.scalar(select(func.count()).select_from(table_clause(name))) or 0)


def _delete_rows(connection: Connection, names: Sequence[str]) -> int:
    if not names:
        return 0
    metadata = MetaData()
    metadata.reflect(connection, only=list(names))
    deleted = 0
    # Rows that refer to others go first, so foreign keys hold at every step.
    for table in reversed(metadata.sorted_tables):
        if table.name in names:
            deleted += max(connection.execute(delete(table)).rowcount, 0)
    return deleted


def _create_tables(connection: Connection, tables: Sequence[TableData]) -> None:
    metadata = MetaData()
    for data in tables:
        Table(
            data.name,
            metadata,
            *(
                Column(c.name, sql_type_for(c.kind), primary_key=c.primary_key, nullable=c.nullable)
                for c in data.columns
            ),
        )
    metadata.create_all(connection)


def _insert_rows(connection: Connection, table: Table, data: TableData, *, label: str) -> None:
    absent = [c.name for c in data.columns if c.name not in table.c]
    if absent:
        raise BackupError(
            f"{label}: {data.name} in the target has no column {', '.join(absent)} at the "
            "backup's schema revision"
        )
    dialect = connection.dialect.name
    targets = [table.c[c.name] for c in data.columns]
    rows: list[dict[str, Any]] = []
    for row in data.rows:
        try:
            rows.append(
                {
                    column.name: decode_value(value, column.type, dialect)
                    for column, value in zip(targets, row, strict=True)
                }
            )
        except (TypeError, ValueError) as error:
            raise BackupError(
                f"{label}: {data.name}: a value cannot be restored ({error})"
            ) from None
    for start in range(0, len(rows), INSERT_BATCH_ROWS):
        connection.execute(table.insert(), rows[start : start + INSERT_BATCH_ROWS])


def _reset_sequences(connection: Connection, tables: Sequence[Table]) -> None:
    """Move PostgreSQL sequences past the restored ids, so the next insert gets a new one.

    Other backends continue after the largest id by themselves.
    """
    if connection.dialect.name != "postgresql":
        return
    preparer = connection.dialect.identifier_preparer
    for table in tables:
        for column in table.primary_key.columns:
            if column_kind(column.type) != "int":
                continue
            sequence = connection.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": preparer.format_table(table), "column": column.name},
            )
            if sequence is None:
                continue
            quoted_column = preparer.quote(column.name)
            connection.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE(MAX({quoted_column}), 0) + 1, false) "  # noqa: S608 - quoted identifiers
                    f"FROM {preparer.format_table(table)}"
                ),
                {"sequence": sequence},
            )
