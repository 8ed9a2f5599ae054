"""What a database URL needs installed, and one-line errors naming it when it is missing.

SQLAlchemy imports a URL's driver (its DBAPI module) when the engine is created, and pyodbc loads
the ODBC driver named in the URL when it first connects. Either may be missing on a new machine;
instead of an import traceback or an ODBC error code, the operator gets
:class:`DatabaseDriverMissing` with one line that ends with what to install.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, ExceptionContext

ODBC_DRIVER_FOR_SQL_SERVER = "ODBC Driver 18 for SQL Server"
"""The ODBC driver the kit documents and tests its SQL Server URLs with."""

_PYTHON_PACKAGES: dict[str, str] = {
    # driver name in the URL -> what to install
    "pyodbc": "pip install 'atlassian-connect-kit[mssql]' (pyodbc)",
    "psycopg": "pip install 'atlassian-connect-kit[postgres]' (psycopg)",
    "psycopg2": "pip install psycopg2-binary",
    "pymysql": "pip install 'atlassian-connect-kit[mysql]' (PyMySQL)",
    "mysqldb": "pip install mysqlclient",
    "pymssql": "pip install pymssql",
}

_ODBC_DRIVER_PACKAGES: dict[str, str] = {
    # backend -> the ODBC driver package for it
    "mssql": f"Microsoft {ODBC_DRIVER_FOR_SQL_SERVER} (Debian/Ubuntu package msodbcsql18)",
    "mysql": "the MariaDB ODBC driver (Debian/Ubuntu package odbc-mariadb)",
    "mariadb": "the MariaDB ODBC driver (Debian/Ubuntu package odbc-mariadb)",
}

# What unixODBC's driver manager says when the driver a URL names is not installed.
_ODBC_DRIVER_NOT_FOUND = ("Can't open lib", "Data source name not found")


class DatabaseDriverMissing(Exception):
    """The database URL's driver, or a library it needs, is not installed on this machine.

    The message is one line naming the URL's driver and ending with what to install.
    """


def missing_driver_message(url: URL, error: ImportError) -> str:
    """Say, in one line, that ``url``'s driver cannot be imported and what to install."""
    scheme = url.drivername
    driver = url.get_driver_name()
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
    if driver == "pyodbc" and "libodbc" in reason:
        return (
            f"sqlalchemy.url: {scheme} cannot load unixODBC ({reason}); install unixODBC "
            f"(Debian/Ubuntu: apt-get install unixodbc) and {_odbc_driver_package(url)}"
        )
    install = _PYTHON_PACKAGES.get(driver, f"install the Python package of the {driver} driver")
    module = error.name or driver
    return f"sqlalchemy.url: {scheme} needs the {module} module, which is not installed; {install}"


def _odbc_driver_package(url: URL) -> str:
    return _ODBC_DRIVER_PACKAGES.get(url.get_backend_name(), "the database's ODBC driver")


def is_odbc_driver_not_found(error: BaseException) -> bool:
    """Tell whether a connection error says that the ODBC driver named in the URL is absent."""
    return any(marker in str(error) for marker in _ODBC_DRIVER_NOT_FOUND)


def report_missing_odbc_driver(engine: Engine, url: URL) -> None:
    """Turn "ODBC driver not installed" connection errors of ``engine`` into one-line errors.

    Without this, pyodbc's driver-manager error reaches the caller as a disconnect, which the
    web layer would answer with 503 for ever instead of the server refusing to start.
    """
    named = url.query.get("driver")
    driver = named if isinstance(named, str) else "(none named)"

    @event.listens_for(engine, "handle_error")
    def explain(context: ExceptionContext) -> Any:
        if context.connection is None and is_odbc_driver_not_found(context.original_exception):
            raise DatabaseDriverMissing(
                f"sqlalchemy.url: the ODBC driver {driver!r} is not installed on this machine "
                "(odbcinst -q -d lists the installed ones); install "
                f"{_odbc_driver_package(url)}"
            ) from None
        return None
