"""Alembic environment for the kit's packaged migrations.

The kit runs migrations in code (``atlassian_connect_kit.storage.db.upgrade``), handing over an
open connection in ``config.attributes["connection"]``; no ini file is involved. Given a
``sqlalchemy.url`` option instead, a connection is opened here. In offline mode
(``ack db upgrade --sql``) the SQL is written out for the dialect of
``config.attributes["offline_url"]``, without connecting or importing its driver. Only the kit's
own tables (prefixed ``ack_``) are considered, so autogenerate never proposes to touch the host
application's tables in a shared database. Alembic leaves its version table out by itself.
"""

from __future__ import annotations

from alembic import context
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.schema import SchemaItem

from atlassian_connect_kit.storage import installations, models  # noqa: F401 - registers the tables on Base
from atlassian_connect_kit.storage.db import (
    VERSION_TABLE,
    Base,
    dialect_options,
    is_kit_table,
    make_engine,
)


def include_name(
    name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames
) -> bool:
    """Limit reflection to the kit's own tables."""
    if type_ == "table":
        return is_kit_table(name)
    return True


def include_object(
    obj: SchemaItem,
    name: str | None,
    type_: NameFilterType,
    reflected: bool,
    compare_to: SchemaItem | None,
) -> bool:
    """Limit comparison to the kit's own tables."""
    if type_ == "table":
        return is_kit_table(name)
    return True


def run_migrations(connection: Connection) -> None:
    """Run the migrations on ``connection``, in its transaction."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        include_object=include_object,
        compare_type=True,
        # SQLite alters tables by copying them; batch mode makes later migrations portable.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def write_migrations_sql(url: str) -> None:
    """Write the migrations as SQL for ``url``'s dialect, without connecting."""
    context.configure(
        url=url,
        dialect_opts=dialect_options(make_url(url).get_backend_name()),
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Run with the connection handed over by the kit, or one opened from ``sqlalchemy.url``."""
    if context.is_offline_mode():
        url = context.config.attributes.get("offline_url")
        url = url or context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no database URL to render the SQL for")
        write_migrations_sql(url)
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database connection: pass one in config.attributes['connection']")
    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            run_migrations(own_connection)
    finally:
        engine.dispose()


run()
