"""The kit's database foundation: declarative base, engines, packaged migrations, unavailability.

Every table the kit owns is declared on :class:`Base`, whose naming convention gives constraints
and indexes stable names on every backend, so migrations can refer to them by name. The schema is
created and upgraded only by the Alembic migrations shipped inside this package
(:func:`upgrade`), which need no ini file and work from an installed wheel.

Column types that are right on every supported backend live here too (:class:`UnicodeString`,
:class:`LargeText`, :class:`LargeBytes`, :class:`UTCDateTime`): SQL Server gets NVARCHAR(n),
NVARCHAR(max), VARBINARY(max) and DATETIMEOFFSET, never the deprecated TEXT, NTEXT or IMAGE.

Any database error that means "the database cannot be reached right now" is re-raised as
:class:`DatabaseUnavailable`, which the web layer answers with 503 instead of a traceback; a
driver that is not installed is :class:`DatabaseDriverMissing`, one line naming what to install.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event, exc, inspect
from sqlalchemy.dialects import mssql, mysql
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import (
    VARBINARY,
    DateTime,
    LargeBinary,
    TypeDecorator,
    TypeEngine,
    Unicode,
    UnicodeText,
)

from atlassian_connect_kit.storage.drivers import (
    DatabaseDriverMissing,
    missing_driver_message,
    report_missing_odbc_driver,
)

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint and index names, so every backend gets the same, predictable names."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
"""The Alembic script directory shipped inside the package."""

KIT_TABLE_PREFIX = "ack_"
"""Every table the kit owns starts with this, which keeps them apart from the host application's."""

VERSION_TABLE = "ack_alembic_version"
"""The kit's own Alembic version table: the host application may run Alembic of its own."""

KEPT_TABLES_ATTRIBUTE = "ack.kept_tables"
"""Alembic config attribute: tables a migration run must neither drop nor re-create.

A restore moves the schema down to the backup's revision and back up to head in one run; the
tables a backup never holds (the removal journal, the lifecycle token memory) must come through
that round trip untouched, even on backends that commit each schema change on its own.
"""

SQLITE_BUSY_TIMEOUT_SECONDS = 15.0
"""How long a SQLite connection waits for another writer before giving up."""

SERVER_CONNECT_TIMEOUT_SECONDS = 10
"""How long a connection attempt to a database server may take before it counts as unavailable."""


_DIALECTS_STORING_OFFSETS = frozenset({"postgresql", "mssql"})


class Base(DeclarativeBase):
    """Declarative base of every table the kit owns."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def is_kit_table(name: str | None) -> bool:
    """Tell whether a table name belongs to the kit, so migrations leave other tables alone."""
    return name is not None and name.startswith(KIT_TABLE_PREFIX)


def dialect_options(backend: str) -> dict[str, Any]:
    """Dialect options the kit sets for a backend, for engines and for SQL rendered offline."""
    if backend == "mssql":
        # Text and LargeBinary (in any plugin's table) render as VARCHAR(max)/VARBINARY(max)
        # rather than the deprecated TEXT/IMAGE, even where no connection told the server version.
        return {"deprecate_large_types": True}
    return {}


class UnicodeString(TypeDecorator[str]):
    """Text of at most ``length`` characters, any Unicode character allowed.

    NVARCHAR(n) on SQL Server, whose VARCHAR holds only the database's code page; VARCHAR(n)
    elsewhere, where the database's encoding is Unicode (UTF-8 on PostgreSQL and SQLite,
    utf8mb4 on MariaDB, as docs/databases.md asks).
    """

    impl = Unicode
    cache_ok = True

    def __init__(self, length: int) -> None:
        """Allow up to ``length`` characters (at least 1)."""
        if length < 1:
            raise ValueError("a UnicodeString needs a length of at least 1")
        super().__init__(length)


class LargeText(TypeDecorator[str]):
    """Unicode text without a practical length limit.

    NVARCHAR(max) on SQL Server, LONGTEXT on MySQL/MariaDB (whose TEXT stops at 64 KiB), TEXT on
    PostgreSQL and SQLite.
    """

    impl = UnicodeText
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the backend's unlimited Unicode text type."""
        if dialect.name == "mssql":
            return mssql.NVARCHAR()  # no length: NVARCHAR(max)
        if dialect.name in ("mysql", "mariadb"):
            return mysql.LONGTEXT()
        return self.impl_instance


class LargeBytes(TypeDecorator[bytes]):
    """Binary data without a practical length limit.

    VARBINARY(max) on SQL Server, LONGBLOB on MySQL/MariaDB, BYTEA on PostgreSQL, BLOB on SQLite.
    """

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the backend's unlimited binary type."""
        if dialect.name == "mssql":
            return VARBINARY()  # no length: VARBINARY(max) on SQL Server
        if dialect.name in ("mysql", "mariadb"):
            return mysql.LONGBLOB()
        return self.impl_instance


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp, stored to the whole second on every backend.

    DATETIMEOFFSET on SQL Server and TIMESTAMP WITH TIME ZONE on PostgreSQL keep the (UTC)
    offset. SQLite and MySQL/MariaDB keep no offset and MariaDB keeps no fraction by default, so
    values are converted to UTC and truncated before they are written, and read back as aware
    UTC datetimes whatever the backend returns.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """DATETIMEOFFSET on SQL Server; a timestamp with time zone elsewhere."""
        if dialect.name == "mssql":
            return mssql.DATETIMEOFFSET()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
        return self.impl_instance

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Refuse naive datetimes; convert aware ones to UTC whole seconds for storage."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamps stored by the kit must be timezone-aware")
        utc = value.astimezone(dt.UTC).replace(microsecond=0)
        if dialect.name in _DIALECTS_STORING_OFFSETS:
            return utc
        # The column holds a bare wall-clock time here: make it the UTC one, explicitly, rather
        # than leave the driver to drop or mangle the offset.
        return utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return stored timestamps as aware UTC datetimes."""
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class DatabaseUnavailable(Exception):
    """The database cannot be reached or refused to serve the request right now."""


def is_unavailability(error: BaseException) -> bool:
    """Tell whether a SQLAlchemy error means the database is unavailable, not that a query is wrong.

    Operational and interface errors (refused or dropped connections, timeouts, locked SQLite
    files, server shutdowns), disconnects detected on any DBAPI error and an exhausted connection
    pool all count; integrity and programming errors do not.
    """
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, exc.OperationalError | exc.InterfaceError
        )
    return isinstance(error, exc.DisconnectionError | exc.TimeoutError)


@contextmanager
def unavailability_as_error() -> Iterator[None]:
    """Re-raise errors that mean the database is unavailable as :class:`DatabaseUnavailable`.

    The message names only the driver's error class and its first line (a refused connection, a
    timeout): never the SQL statement or its parameters. The original error stays as the cause.
    """
    try:
        yield
    except exc.SQLAlchemyError as error:
        if not is_unavailability(error):
            raise
        raise DatabaseUnavailable(_describe_unavailability(error)) from error


def _describe_unavailability(error: exc.SQLAlchemyError) -> str:
    original = error.orig if isinstance(error, exc.DBAPIError) else error
    summary = f"database unavailable: {type(original).__name__}"
    lines = str(original).strip().splitlines()
    return f"{summary}: {lines[0][:200]}" if lines else summary


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the kit's connection settings.

    SQLite enforces foreign keys and waits for a busy file instead of failing at once; an
    in-memory SQLite database is shared by all threads of the engine. Server databases check
    each pooled connection before use, so a restarted server costs no failed request, and give
    up connecting after a bounded time. Statement parameters are kept out of error messages.

    A driver that is not installed (the Python module, unixODBC, or the ODBC driver the URL
    names) raises :class:`DatabaseDriverMissing` here or at the first connection.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _make_sqlite_engine(url, in_memory=parsed.database in (None, "", ":memory:"))
        connect_args: dict[str, Any] = {}
        if backend in ("postgresql", "mysql", "mariadb"):
            connect_args["connect_timeout"] = SERVER_CONNECT_TIMEOUT_SECONDS
        elif backend == "mssql" and parsed.get_driver_name() == "pyodbc":
            connect_args["timeout"] = SERVER_CONNECT_TIMEOUT_SECONDS  # pyodbc's login timeout
        engine = create_engine(
            url,
            pool_pre_ping=True,
            hide_parameters=True,
            connect_args=connect_args,
            **dialect_options(backend),
        )
    except ImportError as error:
        raise DatabaseDriverMissing(missing_driver_message(parsed, error)) from None
    if parsed.get_driver_name() == "pyodbc":
        report_missing_odbc_driver(engine, parsed)
    return engine


def _make_sqlite_engine(url: str, *, in_memory: bool) -> Engine:
    connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    pool_options: dict[str, Any] = {}
    if in_memory:
        # Each new connection to ":memory:" is a new, empty database: keep exactly one.
        connect_args["check_same_thread"] = False
        pool_options["poolclass"] = StaticPool
    engine = create_engine(url, connect_args=connect_args, hide_parameters=True, **pool_options)

    @event.listens_for(engine, "connect")
    def enforce_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    return engine


def table_is_kept(name: str) -> bool:
    """Tell a running migration that table ``name`` outlives this run: leave it as it is.

    True when the run was started with ``name`` in :data:`KEPT_TABLES_ATTRIBUTE` (a restore)
    and the table exists; a migration then neither drops nor creates it.
    """
    from alembic import op

    context = op.get_context()
    config = context.config
    kept = config.attributes.get(KEPT_TABLES_ATTRIBUTE, ()) if config is not None else ()
    return name in kept and inspect(context.connection).has_table(name)


def _alembic_config(output_buffer: io.StringIO | None = None) -> Config:
    config = Config(output_buffer=output_buffer)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the packaged migrations to ``engine``'s database up to ``revision``."""
    _run_migrations(command.upgrade, engine, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert the packaged migrations on ``engine``'s database down to ``revision``.

    ``"base"`` reverts them all, dropping the kit's tables.
    """
    _run_migrations(command.downgrade, engine, revision)


def _run_migrations(run: Callable[[Config, str], None], engine: Engine, revision: str) -> None:
    config = _alembic_config()
    # One transaction for the whole run: where the backend has transactional DDL (SQLite,
    # PostgreSQL, SQL Server), a failed migration leaves the schema as it was.
    with unavailability_as_error(), engine.begin() as connection:
        config.attributes["connection"] = connection
        run(config, revision)


def upgrade_sql(url: str, revision: str = "head") -> str:
    """Return the packaged migrations up to ``revision`` as SQL for ``url``'s dialect.

    Nothing connects and the URL's driver is not imported (Alembic's offline mode), so a DBA
    can review and apply the script. ``revision`` may be a range, ``FROM:TO``, for a database
    already at ``FROM``; a plain revision starts from an empty database.
    """
    buffer = io.StringIO()
    config = _alembic_config(output_buffer=buffer)
    # Passed as an attribute, not a main option: the ini format would interpret "%" in it.
    config.attributes["offline_url"] = url
    command.upgrade(config, revision, sql=True)
    return buffer.getvalue()


def current_revision(engine: Engine) -> str | None:
    """Return the migration revision ``engine``'s database is at, or None before the first one."""
    with unavailability_as_error(), engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def head_revision() -> str:
    """Return the newest revision of the packaged migrations."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head
