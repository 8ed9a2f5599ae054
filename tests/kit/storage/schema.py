"""Compare a database's schema with the kit's models (the migration tests' yardstick)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from atlassian_connect_kit.storage import models  # noqa: F401 - registers the tables on Base
from atlassian_connect_kit.storage.db import VERSION_TABLE, Base, is_kit_table, make_engine


def schema_differences(database_url: str) -> list[object]:
    """What the database's schema lacks or has beyond the kit's models (its tables only)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "version_table": VERSION_TABLE,
                    "compare_type": True,
                    # Only the kit's tables: others in the database are not the kit's business.
                    "include_name": lambda name, kind, parents: (
                        kind != "table" or is_kit_table(name)
                    ),
                },
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()
