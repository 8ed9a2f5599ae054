"""Fixtures for deployment tests: the app served by real gunicorn processes, as in production.

Each server is a gunicorn child process started with the project's ``gunicorn.conf.py`` and the
logging sections of ``production.ini``, on a socket bound here (ephemeral 127.0.0.1 port). These
tests take seconds each and are marked ``slow``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.processes import GunicornServer, listening_socket, write_ini
from tests.kit.deployment.support import migrate, server_environment
from tests.kit.storage.databases import create_server_database, require_local_database_url
from tests.shared_data import REPO_ROOT

ServerFactory = Callable[..., GunicornServer]


@pytest.fixture
def require_gunicorn() -> None:
    """Skip where gunicorn is not installed (it comes with the ``test`` extra)."""
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed (pip install -e '.[test]')")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty database on the ACK_TEST_POSTGRES_URL server, migrated; dropped afterwards."""
    server_url = os.environ.get("ACK_TEST_POSTGRES_URL")
    if not server_url:
        pytest.skip("ACK_TEST_POSTGRES_URL is not set; set it to a local PostgreSQL server URL")
    url, drop = create_server_database(require_local_database_url(server_url))
    rendered = url.render_as_string(hide_password=False)
    migrate(rendered)
    try:
        yield rendered
    finally:
        drop()


@pytest.fixture
def key_line() -> str:
    """One encryption key shared by every instance, as their deployment would share it."""
    return generate_key_line()


@pytest.fixture
def start_gunicorn(tmp_path: Path, require_gunicorn: None) -> Iterator[ServerFactory]:
    """Start gunicorn servers: ``start_gunicorn(settings_for(base_url), threads=4)``.

    ``settings_for`` receives the server's own URL (its socket is bound first) and returns the
    ``[app:main]`` settings. Every server is stopped after the test; its log is printed when the
    test fails, through the captured output.
    """
    servers: list[GunicornServer] = []

    def start(
        settings_for: Callable[[str], Mapping[str, Any]], *, workers: int = 1, threads: int = 4
    ) -> GunicornServer:
        index = len(servers)
        sock = listening_socket()
        host, port = sock.getsockname()[:2]
        folder = tmp_path / f"server-{index}"
        folder.mkdir()
        ini = write_ini(
            folder / "app.ini",
            {k: str(v) for k, v in settings_for(f"http://{host}:{port}").items()},
            logging_from=REPO_ROOT / "production.ini",
        )
        server = GunicornServer(
            ini,
            sock=sock,
            log=folder / "server.log",
            config=REPO_ROOT / "gunicorn.conf.py",
            workers=workers,
            threads=threads,
            env=server_environment(),
        )
        servers.append(server)
        try:
            server.start()
        finally:
            sock.close()  # gunicorn holds its own copy now
        return server

    yield start
    for server in servers:
        server.stop()
    for server in servers:
        print(f"--- {server.log} ---\n{server.log.read_text(errors='replace')[-4000:]}")
