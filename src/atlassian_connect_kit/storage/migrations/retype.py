"""Change column types in a migration, on the backends where the type really changes.

A portable type renders differently per backend: ``UnicodeString(255)`` is NVARCHAR(255) on SQL
Server but the same VARCHAR(255) that ``String(255)`` was on PostgreSQL. :func:`retype_columns`
alters only the columns whose rendered type differs on the migrated backend, online or in
offline SQL alike, and keeps their nullability. SQL Server refuses to alter a column a unique
constraint covers, so there those constraints are dropped first and re-created afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alembic import op
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine


@dataclass(frozen=True)
class Retype:
    """One column's type change: from ``old`` to ``new``, with its (unchanged) nullability."""

    column: str
    old: TypeEngine[Any]
    new: TypeEngine[Any]
    nullable: bool

    def reverted(self) -> Retype:
        """The change that undoes this one."""
        return Retype(self.column, self.new, self.old, self.nullable)


def rendered(sql_type: TypeEngine[Any], dialect: Dialect) -> str:
    """The type as the dialect writes it in DDL (``NVARCHAR(255)``, ``TEXT``, ...)."""
    return str(sql_type.compile(dialect=dialect))


def retype_columns(
    table: str,
    changes: Sequence[Retype],
    *,
    unique_constraints: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """Alter the columns of ``table`` whose rendered type changes here; return their names.

    ``unique_constraints`` maps the table's unique constraint names to their columns (as the
    schema is before the change); on SQL Server those covering an altered column are dropped and
    re-created around the change.
    """
    dialect = op.get_context().dialect
    changed = [c for c in changes if rendered(c.old, dialect) != rendered(c.new, dialect)]
    if not changed:
        return []
    names = {c.column for c in changed}
    blocking: dict[str, Sequence[str]] = {}
    if dialect.name == "mssql":
        blocking = {
            name: columns
            for name, columns in (unique_constraints or {}).items()
            if names.intersection(columns)
        }
    # Batch mode alters in place where the backend can, and copies the table on SQLite.
    with op.batch_alter_table(table) as batch:
        for name in blocking:
            batch.drop_constraint(name, type_="unique")
        for change in changed:
            batch.alter_column(
                change.column,
                type_=change.new,
                existing_type=change.old,
                existing_nullable=change.nullable,
            )
        for name, columns in blocking.items():
            batch.create_unique_constraint(name, list(columns))
    return [c.column for c in changed]
