"""Names shared by the plugin migrations' env.py and the code that runs it."""

VERSION_TABLE_ATTRIBUTE = "ack.plugin_version_table"
"""Alembic config attribute: the plugin's own version table."""

METADATA_ATTRIBUTE = "ack.plugin_metadata"
"""Alembic config attribute: the plugin's MetaData (or None)."""
