"""Alembic environment for a plugin's migrations (see ``storage/plugin_migrations.py``).

A plugin ships only its revision files (its version location); this environment runs them on the
connection the kit hands over, with the plugin's own version table, so the kit's history and each
plugin's history advance independently in one database. Offline (``ack db upgrade --sql``) the SQL
is written for the dialect of ``config.attributes["offline_url"]`` without connecting.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import make_url

from atlassian_connect_kit.storage.db import dialect_options
from atlassian_connect_kit.storage.plugin_migrations_env.env_names import (
    METADATA_ATTRIBUTE,
    VERSION_TABLE_ATTRIBUTE,
)


def run() -> None:
    """Run the plugin's migrations online (on the given connection) or offline (as SQL)."""
    attributes = context.config.attributes
    version_table = attributes[VERSION_TABLE_ATTRIBUTE]
    metadata = attributes.get(METADATA_ATTRIBUTE)
    if context.is_offline_mode():
        url = attributes["offline_url"]
        context.configure(
            url=url,
            dialect_opts=dialect_options(make_url(url).get_backend_name()),
            target_metadata=metadata,
            version_table=version_table,
            literal_binds=True,
        )
    else:
        connection = attributes["connection"]
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
    with context.begin_transaction():
        context.run_migrations()


run()
