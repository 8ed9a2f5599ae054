"""Serve a kit application over real HTTP on 127.0.0.1, in a background thread.

The port is chosen by the operating system before the application is built, so the application's
``ack.base_url`` can name it: Jira (real or fake) calls the app back on that URL.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from waitress.server import create_server

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class AppServer:
    """A waitress server on an ephemeral 127.0.0.1 port whose app is built once the port is known.

    ``AppServer(build)`` calls ``build(base_url)`` to make the WSGI app, then serves it until
    :meth:`stop`. Use it as a context manager in tests.
    """

    def __init__(
        self,
        build: Callable[[str], WSGIApp],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
    ) -> None:
        self._app: WSGIApp | None = None
        self._server = create_server(
            self._dispatch,
            host=host,
            port=port,
            threads=threads,
            ident="atlassian-connect-kit",
            clear_untrusted_proxy_headers=True,
        )
        self.port: int = int(self._server.effective_port)
        self.base_url = f"http://{host}:{self.port}"
        self._app = build(self.base_url)
        self._thread = threading.Thread(
            target=self._serve, name=f"app-server-{self.port}", daemon=True
        )
        self._started = False
        self._stopping = False

    def _serve(self) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):
            # Closing the listening socket from another thread ends the poll loop with EBADF
            # (or a closed-descriptor ValueError): that is how the server stops.
            if not self._stopping:
                raise

    def _dispatch(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        assert self._app is not None, "the app is built before the server starts"
        return self._app(environ, start_response)

    def replace_app(self, app: WSGIApp) -> None:
        """Serve ``app`` from now on (for servers whose app needs other servers' URLs first)."""
        self._app = app

    @property
    def app(self) -> WSGIApp:
        """The WSGI application being served."""
        assert self._app is not None
        return self._app

    def start(self) -> AppServer:
        """Start serving in a daemon thread; returns self."""
        if not self._started:
            self._thread.start()
            self._started = True
        return self

    def stop(self) -> None:
        """Stop serving: finish running requests, close every connection and the socket."""
        self._stopping = True
        server = self._server
        # Worker threads wake the poll loop through its trigger when they finish a response, so
        # they are stopped first, while the trigger is still open.
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        if self._started and self._thread.is_alive():
            # Closed from inside the poll loop, the sockets leave its map empty and the loop
            # ends at once; closed from here, the loop could wait on open keep-alive connections.
            # An already closed wake-up pipe means the loop is ending by itself.
            with contextlib.suppress(OSError):
                server.trigger.pull_trigger(lambda: _close_channels(server._map))
            self._thread.join(timeout=10)
        _close_channels(server._map)

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _close_channels(channels: dict[int, Any]) -> None:
    for channel in list(channels.values()):
        channel.close()


def serve_kit_app(
    settings: Mapping[str, Any], *, plugins: Iterable[object] = (), threads: int = 8
) -> AppServer:
    """Build the kit app with ``settings`` (``ack.base_url`` filled in) and serve it; started."""
    from atlassian_connect_kit.config import make_app

    extra = tuple(plugins)

    def build(base_url: str) -> WSGIApp:
        app: WSGIApp = make_app({**settings, "ack.base_url": base_url}, extra_plugins=extra)
        return app

    return AppServer(build, threads=threads).start()
