"""Serve the app as production does, in child processes: gunicorn on a socket made by the caller,
or granian on a port of its own.

Tests of what only separate processes show (two instances on one database, a worker surviving a
database outage) start :class:`GunicornServer`. The listening socket is bound here, on an
ephemeral 127.0.0.1 port, and handed to gunicorn as an inherited file descriptor, so its URL is
known before the app is configured and no other process can take the port in between.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import requests

_LOGGING_SECTIONS = {
    "loggers": {"keys": "root, atlassian_connect_kit, smart_timesheet_plugin"},
    "handlers": {"keys": "console"},
    "formatters": {"keys": "generic"},
    "logger_root": {"level": "WARNING", "handlers": "console"},
    "logger_atlassian_connect_kit": {
        "level": "INFO",
        "handlers": "",
        "qualname": "atlassian_connect_kit",
    },
    "logger_smart_timesheet_plugin": {
        "level": "INFO",
        "handlers": "",
        "qualname": "smart_timesheet_plugin",
    },
    "handler_console": {
        "class": "StreamHandler",
        "args": "(sys.stderr,)",
        "level": "NOTSET",
        "formatter": "generic",
    },
    "formatter_generic": {"format": "%(asctime)s %(levelname)-5.5s [%(name)s] %(message)s"},
}


def write_ini(path: Path, settings: Mapping[str, str], *, logging_from: Path | None = None) -> Path:
    """Write a PasteDeploy ini serving the kit with ``settings`` as its ``[app:main]``.

    ``use = egg:atlassian-connect-kit`` unless ``settings`` names another app. The logging
    sections are copied from ``logging_from`` (for example the project's production.ini), or
    else are production's: INFO for the kit and the Timesheet, WARNING for the rest, on stderr.
    """
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    if logging_from is not None:
        source = configparser.RawConfigParser()
        source.optionxform = str  # type: ignore[assignment,method-assign]
        source.read(logging_from, encoding="utf-8")
        for section in source.sections():
            if section.startswith(("logger", "handler", "formatter")):
                parser[section] = dict(source[section])
    else:
        for section, values in _LOGGING_SECTIONS.items():
            parser[section] = dict(values)
    parser["app:main"] = {"use": "egg:atlassian-connect-kit", **settings}
    with path.open("w", encoding="utf-8") as handle:
        parser.write(handle)
    return path


def listening_socket(host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket listening on an ephemeral port of ``host``, inheritable by a child process."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class ServerProcess:
    """A server in a child process (its own process group), its output in ``log``.

    Subclasses give the command, the working directory and the descriptors it inherits.
    """

    name = "server"

    def __init__(
        self,
        command: Sequence[str],
        *,
        base_url: str,
        cwd: Path,
        log: Path,
        env: Mapping[str, str] | None = None,
        pass_fds: Sequence[int] = (),
    ) -> None:
        self.base_url = base_url
        self.log = log
        self._command = list(command)
        self._cwd = cwd
        self._env = dict(os.environ if env is None else env)
        self._pass_fds = tuple(pass_fds)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The process id of the server's main process."""
        assert self._process is not None, "the server is not started"
        return self._process.pid

    def start(
        self,
        *,
        ready_path: str = "/atlassian-connect.json",
        ready_status: int | None = 200,
        timeout: float = 90,
    ) -> None:
        """Start the server; wait until ``ready_path`` answers ``ready_status`` (``None``: any
        HTTP answer, a redirect included). Raise if it exits or never does."""
        with self.log.open("ab") as output:
            self._process = subprocess.Popen(
                self._command,
                cwd=self._cwd,
                env=self._env,
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=self._pass_fds,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with status {self._process.returncode}; see {self.log}"
                )
            with contextlib.suppress(requests.RequestException):
                answer = requests.get(self.base_url + ready_path, timeout=5, allow_redirects=False)
                if ready_status is None or answer.status_code == ready_status:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not serve {ready_path} within {timeout} s; see {self.log}"
        )

    def running(self) -> bool:
        """Whether the server's main process is still running."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop gracefully (SIGTERM to the process group), or kill it after 30 seconds."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> Self:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class GunicornServer(ServerProcess):
    """gunicorn serving an ini file, on ``sock`` (bound by the caller, inherited by gunicorn).

    ``config`` is a gunicorn configuration file (the project's ``gunicorn.conf.py``); workers
    and threads given here override it.
    """

    name = "gunicorn"

    def __init__(
        self,
        ini: Path,
        *,
        sock: socket.socket,
        log: Path,
        config: Path | None = None,
        workers: int = 1,
        threads: int = 4,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.ini = ini
        host, port = sock.getsockname()[:2]
        command = [sys.executable, "-m", "gunicorn"]
        if config is not None:
            command += ["-c", str(config)]
        command += [
            "--bind",
            f"fd://{sock.fileno()}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            *extra_args,
            "--paste",
            str(ini),
        ]
        super().__init__(
            command,
            base_url=f"http://{host}:{port}",
            cwd=ini.parent,
            log=log,
            env=env,
            pass_fds=(sock.fileno(),),
        )

    def worker_pids(self) -> set[int]:
        """The process ids of the arbiter's current workers (Linux: read from /proc)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return {int(pid) for pid in children.read_text(encoding="ascii").split()}


def granian_command(
    executable: str, *, host: str, port: int, workers: int = 1, blocking_threads: int = 8
) -> list[str]:
    """granian's command line serving the kit's app (``atlassian_connect_kit.wsgi``), which
    builds it from the ini that ``ACK_INI`` names in the server's environment."""
    return [
        executable,
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(blocking_threads),
        "--factory",
        "atlassian_connect_kit.wsgi:app_from_ini",
    ]


class GranianServer(ServerProcess):
    """granian serving an ini file on ``port`` of 127.0.0.1 (granian binds it itself).

    ``executable`` is granian's command; ``ACK_INI`` is set to ``ini`` in its environment.
    """

    name = "granian"

    def __init__(
        self,
        ini: Path,
        *,
        executable: str,
        port: int,
        log: Path,
        workers: int = 1,
        blocking_threads: int = 8,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.ini = ini
        command = granian_command(
            executable,
            host="127.0.0.1",
            port=port,
            workers=workers,
            blocking_threads=blocking_threads,
        )
        environment = dict(os.environ if env is None else env) | {"ACK_INI": str(ini)}
        super().__init__(
            command,
            base_url=f"http://127.0.0.1:{port}",
            cwd=ini.parent,
            log=log,
            env=environment,
        )
