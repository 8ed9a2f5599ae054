"""A fresh database per test on every configured backend (the ``database_url`` fixture).

SQLite (a file in the test's temporary directory) always runs. PostgreSQL and MariaDB run when
``ACK_TEST_POSTGRES_URL`` / ``ACK_TEST_MARIADB_URL`` name a server, for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test`` and ``mysql+pymysql://root@127.0.0.1:3306/test``.
The database in that URL is only used to connect: each test creates its own uniquely named
database on the server and drops it afterwards. Only local servers are accepted, so a mistyped
variable can never point the suite at production data.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

SERVER_URL_VARIABLES = {
    "postgresql": "ACK_TEST_POSTGRES_URL",
    "mariadb": "ACK_TEST_MARIADB_URL",
    # The pyodbc driver path that Microsoft SQL Server deployments use, against MariaDB's ODBC
    # driver (no SQL Server runs here): mysql+pyodbc://root@127.0.0.1:3306/test?driver=...
    "mariadb-odbc": "ACK_TEST_MARIADB_ODBC_URL",
}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def require_local_database_url(url: str) -> URL:
    """Return the parsed URL, failing the test unless it names a local server or a unix socket."""
    parsed = make_url(url)
    socket_hosts = parsed.query.get("host", ())
    hosts = [parsed.host, *([socket_hosts] if isinstance(socket_hosts, str) else socket_hosts)]
    for host in hosts:
        if host and not host.startswith("/") and host.lower() not in LOCAL_HOSTS:
            pytest.fail(
                f"refusing test database {parsed.render_as_string(hide_password=True)}: host "
                f"{host!r} is not local (use localhost, 127.0.0.1, ::1 or a unix socket)",
                pytrace=False,
            )
    return parsed


def create_server_database(server_url: URL) -> tuple[URL, Callable[[], None]]:
    """Create a uniquely named database on the server; return its URL and a function dropping it."""
    name = f"ack_test_{secrets.token_hex(6)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    is_postgres = server_url.get_backend_name() == "postgresql"
    with admin.connect() as connection:
        if is_postgres:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        else:
            connection.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")

    def drop() -> None:
        with admin.connect() as connection:
            if is_postgres:
                # FORCE ends connections a failed test may have left open.
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()

    return server_url.set(database=name), drop


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.database),
        pytest.param("mariadb", marks=pytest.mark.database),
        pytest.param("mariadb-odbc", marks=pytest.mark.database),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database on each configured backend, dropped after the test."""
    with new_database(request.param, tmp_path) as url:
        yield url


@contextmanager
def new_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on ``backend`` (a SQLite file in ``tmp_path``), dropped afterwards.

    Skips the test when the backend's ``ACK_TEST_*`` variable is not set.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ack.sqlite'}"
        return
    variable = SERVER_URL_VARIABLES[backend]
    server_url = os.environ.get(variable)
    if not server_url:
        pytest.skip(f"{variable} is not set; set it to a local {backend} server URL to test there")
    url, drop = create_server_database(require_local_database_url(server_url))
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop()
