"""Plugins' own tables: their Alembic migrations, run after the kit's, each with its own history.

A plugin that stores something declares its migrations through the ``ack_storage_migrations``
hook: a :class:`PluginMigrations` naming the folder of its Alembic revision files (its version
location) and a short name. The kit runs them with its own Alembic environment, on the kit's
database, after the kit's migrations: ``ack db upgrade`` in production, at start-up in dev mode.
Each plugin keeps its revision in its own version table (``<name>_alembic_version``), so plugins
and the kit add revisions independently and a plugin never has to know the kit's revision ids.

A plugin's tables belong to the plugin: the kit never creates, alters or drops them outside these
migrations. To be backed up and purged on uninstall they are declared in the data inventory
(``ack_data_inventory``) like any other table.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

from atlassian_connect_kit.plugins import PluginError
from atlassian_connect_kit.storage.db import DatabaseUnavailable, unavailability_as_error
from atlassian_connect_kit.storage.plugin_migrations_env.env_names import (
    METADATA_ATTRIBUTE,
    VERSION_TABLE_ATTRIBUTE,
)

if TYPE_CHECKING:
    import pluggy
    from pyramid.config import Configurator

    from atlassian_connect_kit.settings import Settings

log = logging.getLogger(__name__)

ENV_DIR = Path(__file__).resolve().parent / "plugin_migrations_env"
"""The Alembic environment (env.py) every plugin's migrations run in."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class PluginMigrationsError(PluginError):
    """A plugin declared its migrations wrongly; the message is one line naming it."""


@dataclass(frozen=True)
class PluginMigrations:
    """A plugin's Alembic migrations: where its revision files are and what its history is called.

    ``name`` (lower-case letters, digits, underscores; at most 40) names the plugin's history: its
    version table is ``<name>_alembic_version``. ``versions`` is the folder holding the plugin's
    revision files (a ``Path``, typically ``Path(__file__).parent / "migrations"``); the first
    revision has ``down_revision = None``. ``metadata`` is the plugin's SQLAlchemy ``MetaData``,
    used only when comparing models with the database (optional).
    """

    name: str
    versions: Path
    metadata: MetaData | None = None

    @property
    def version_table(self) -> str:
        """The table recording the plugin's current revision."""
        return f"{self.name}_alembic_version"


def collect_plugin_migrations(
    pm: pluggy.PluginManager, settings: Settings
) -> tuple[PluginMigrations, ...]:
    """Ask every enabled plugin for its migrations; refuse bad names, clashes and missing folders.

    Returned in registration order (the first plugin enabled first), so their tables are created
    in a stable order.
    """
    results = pm.hook.ack_storage_migrations(settings=settings)
    found: list[PluginMigrations] = []
    # pluggy answers the last-registered plugin first.
    for result in reversed(list(results)):
        items: Iterable[object] = (
            (result,) if isinstance(result, PluginMigrations) else (result or ())
        )
        for item in items:
            if not isinstance(item, PluginMigrations):
                raise PluginMigrationsError(
                    f"ack_storage_migrations returned a {type(item).__name__}, "
                    "not a PluginMigrations"
                )
            found.append(_checked(item))
    names = [m.name for m in found]
    for name in names:
        if names.count(name) > 1:
            raise PluginMigrationsError(f"plugin migrations: the name {name!r} is used twice")
        if name == "ack" or name.startswith("ack_"):
            raise PluginMigrationsError(
                f"plugin migrations: {name!r} is reserved for the kit (names starting with ack)"
            )
    return tuple(found)


def _checked(item: PluginMigrations) -> PluginMigrations:
    if not _NAME.fullmatch(item.name):
        raise PluginMigrationsError(
            f"plugin migrations {item.name!r}: the name must be lower-case letters, digits and "
            "underscores, starting with a letter, at most 40 characters"
        )
    if not Path(item.versions).is_dir():
        raise PluginMigrationsError(f"plugin migrations {item.name!r}: no folder {item.versions}")
    return item


def _config(migrations: PluginMigrations, output_buffer: io.StringIO | None = None) -> Config:
    config = Config(output_buffer=output_buffer)
    config.set_main_option("script_location", str(ENV_DIR))
    # One folder, split by the OS path separator (never by spaces, which paths may hold).
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(Path(migrations.versions)))
    config.attributes[VERSION_TABLE_ATTRIBUTE] = migrations.version_table
    config.attributes[METADATA_ATTRIBUTE] = migrations.metadata
    return config


def head_revision(migrations: PluginMigrations) -> str | None:
    """The newest revision among the plugin's revision files (``None`` when it has none)."""
    return ScriptDirectory.from_config(_config(migrations)).get_current_head()


def current_revision(engine: Engine, migrations: PluginMigrations) -> str | None:
    """The plugin's revision in ``engine``'s database (``None``: none of its migrations ran)."""
    with unavailability_as_error(), engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": migrations.version_table}
        )
        return context.get_current_revision()


def _run(
    run: Callable[[Config, str], None],
    engine: Engine,
    migrations: PluginMigrations,
    revision: str,
) -> None:
    config = _config(migrations)
    # One transaction per plugin: where DDL is transactional, a failed migration changes nothing.
    with unavailability_as_error(), engine.begin() as connection:
        config.attributes["connection"] = connection
        run(config, revision)


def upgrade_plugin(engine: Engine, migrations: PluginMigrations, revision: str = "head") -> None:
    """Apply one plugin's migrations up to ``revision``."""
    _run(command.upgrade, engine, migrations, revision)


def downgrade_plugin(engine: Engine, migrations: PluginMigrations, revision: str) -> None:
    """Revert one plugin's migrations down to ``revision`` (``"base"`` drops its tables)."""
    _run(command.downgrade, engine, migrations, revision)


def upgrade_plugins(
    engine: Engine, all_migrations: Sequence[PluginMigrations]
) -> list[tuple[str, str | None, str | None]]:
    """Bring every plugin's tables to its newest revision; return ``(name, before, after)``."""
    changes: list[tuple[str, str | None, str | None]] = []
    for migrations in all_migrations:
        before = current_revision(engine, migrations)
        upgrade_plugin(engine, migrations)
        changes.append((migrations.name, before, current_revision(engine, migrations)))
    return changes


def plugins_upgrade_sql(url: str, all_migrations: Sequence[PluginMigrations]) -> str:
    """Every plugin's migrations from an empty database, as SQL for ``url``'s dialect."""
    parts: list[str] = []
    for migrations in all_migrations:
        buffer = io.StringIO()
        config = _config(migrations, output_buffer=buffer)
        config.attributes["offline_url"] = url
        command.upgrade(config, "head", sql=True)
        parts.append(f"-- plugin migrations: {migrations.name}\n{buffer.getvalue()}")
    return "".join(parts)


def includeme(config: Configurator) -> None:
    """Migrate the enabled plugins' tables at start-up in dev mode; warn when behind otherwise."""
    from atlassian_connect_kit.services import find_service, get_plugin_manager, get_settings

    settings = get_settings(config)
    all_migrations = collect_plugin_migrations(get_plugin_manager(config), settings)
    if not all_migrations:
        return
    engine = find_service(config, Engine)
    if settings.dev_mode:
        upgrade_plugins(engine, all_migrations)
        return
    for migrations in all_migrations:
        try:
            current = current_revision(engine, migrations)
        except DatabaseUnavailable:
            return  # the kit's store has logged it already
        head = head_revision(migrations)
        if current != head:
            log.warning(
                "plugin %s: its tables are at %s, the code expects %s: run `ack db upgrade -c INI`",
                migrations.name,
                current or "nothing",
                head,
            )
