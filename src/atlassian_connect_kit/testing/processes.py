"""Serve the app as production does, in child processes: gunicorn on a socket made by the caller.

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


class GunicornServer:
    """gunicorn serving an ini file in a child process (its own process group), on ``sock``.

    ``config`` is a gunicorn configuration file (the project's ``gunicorn.conf.py``); workers
    and threads given here override it. The server's output goes to ``log``.
    """

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
        self.log = log
        self._sock = sock
        host, port = sock.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        self._command = [sys.executable, "-m", "gunicorn"]
        if config is not None:
            self._command += ["-c", str(config)]
        self._command += [
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
        self._env = dict(os.environ if env is None else env)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The process id of gunicorn's arbiter (the master process)."""
        assert self._process is not None, "the server is not started"
        return self._process.pid

    def start(self, *, ready_path: str = "/atlassian-connect.json", timeout: float = 90) -> None:
        """Start gunicorn and wait until ``ready_path`` answers 200 (raise if it never does)."""
        with self.log.open("ab") as output:
            self._process = subprocess.Popen(
                self._command,
                cwd=self.ini.parent,
                env=self._env,
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=(self._sock.fileno(),),
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with status {self._process.returncode}; see {self.log}"
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base_url + ready_path, timeout=5).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"gunicorn did not serve {ready_path} within {timeout} s; see {self.log}"
        )

    def running(self) -> bool:
        """Whether the arbiter is still running."""
        return self._process is not None and self._process.poll() is None

    def worker_pids(self) -> set[int]:
        """The process ids of the arbiter's current workers (Linux: read from /proc)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return {int(pid) for pid in children.read_text(encoding="ascii").split()}

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

    def __enter__(self) -> GunicornServer:
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
