"""A private PostgreSQL server for fault tests: its own cluster in a temporary folder.

Tests that stop and start the database under load must never touch a shared server. This one is
created with ``initdb`` in a folder of its own, listens on an ephemeral 127.0.0.1 port only (no
unix socket elsewhere), trusts local connections, and is stopped and removed afterwards. Run as
root, the server programs run as the ``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

DEFAULT_BIN_DIRS = (
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
)
"""Where Debian installs the server programs, newest first; ``PATH`` is searched after these."""


def find_postgres_bin() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None when not installed."""
    for folder in DEFAULT_BIN_DIRS:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster: ``start()``, ``stop()``, ``start()`` again, ``remove()``."""

    def __init__(self, bin_dir: Path) -> None:
        self._bin = bin_dir
        self._root = Path(tempfile.mkdtemp(prefix="ack-private-pg-"))
        self.data_dir = self._root / "data"
        self.log = self._root / "server.log"
        self.port = _free_port()
        self._run_as = _server_user()
        if self._run_as is not None:
            # The server user must own its folder (and reach it: mkdtemp makes it 0700).
            os.chown(self._root, self._run_as.pw_uid, self._run_as.pw_gid)
        self._initdb()

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the cluster's ``postgres`` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _command(self, *arguments: str) -> list[str]:
        if self._run_as is None:
            return list(arguments)
        return ["runuser", "-u", self._run_as.pw_name, "--", *arguments]

    def _run(self, *arguments: str) -> None:
        done = subprocess.run(
            self._command(*arguments), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise RuntimeError(
                f"{Path(arguments[0]).name} failed: {reason[-1] if reason else done.returncode}"
            )

    def _initdb(self) -> None:
        self._run(
            str(self._bin / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._root} "
            "-c fsync=off -c max_connections=200"
        )
        self._run(
            str(self._bin / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        """Stop the server at once (``-m fast``: open sessions are ended, as in a crash-restart)."""
        self._run(str(self._bin / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        """Whether the server process is up."""
        return (self.data_dir / "postmaster.pid").exists()

    def remove(self) -> None:
        """Stop the server if it runs, and delete the cluster."""
        if self.running():
            with contextlib.suppress(RuntimeError):
                self.stop()
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.remove()


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "running as root, but there is no postgres user to run the server"
        ) from None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
