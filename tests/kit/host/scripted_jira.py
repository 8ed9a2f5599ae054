"""A scripted stand-in for a Jira site on 127.0.0.1, used by the host client tests.

Each route (method and raw path) answers from a script: a list of canned answers given in order,
the last repeating, or a function of the request. Every request is recorded exactly as it arrived
(raw path, raw query, headers, body), and the server tracks the most requests it had in flight at
once, so tests can check signing, retries and concurrency caps from the server's side.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from atlassian_connect_kit.host import TenantCredentials


@dataclass(frozen=True)
class Answer:
    """One canned answer: status, JSON body (or raw bytes), headers, a delay before it, and a
    stall between its headers and its body."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body_delay: float = 0.0

    def encoded_body(self) -> bytes:
        """Return the body as sent: bytes as given, anything else as JSON, ``None`` as nothing."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode("utf-8")


@dataclass(frozen=True)
class Received:
    """A request as the server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """Return a header by case-insensitive name."""
        return self.headers.get(name.lower())


Responder = Callable[[Received], Answer]


class ScriptedJira:
    """A threaded HTTP server on an ephemeral port of 127.0.0.1 answering from scripts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[tuple[str, str], list[Answer] | Responder] = {}
        self._received: list[Received] = []
        self._in_flight = 0
        self.max_in_flight = 0
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def origin(self) -> str:
        """The server's origin, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        """Start serving in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; answers still being delayed are released at once."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def script(self, method: str, path: str, *answers: Answer) -> None:
        """Answer ``method path`` with ``answers`` in order; the last one repeats."""
        assert answers, "a script needs at least one answer"
        with self._lock:
            self._scripts[(method, path)] = list(answers)

    def respond(self, method: str, path: str, responder: Responder) -> None:
        """Answer ``method path`` with whatever ``responder`` returns for each request."""
        with self._lock:
            self._scripts[(method, path)] = responder

    def received(self, path: str | None = None) -> list[Received]:
        """Return the requests received so far, optionally only those to ``path``."""
        with self._lock:
            return [entry for entry in self._received if path is None or entry.path == path]

    def _answer_for(self, request: Received) -> Answer:
        with self._lock:
            self._received.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            script = self._scripts.get((request.method, request.path))
            if isinstance(script, list):
                answer: Answer | None = script.pop(0) if len(script) > 1 else script[0]
            else:
                answer = None
        if answer is None and script is not None and not isinstance(script, list):
            answer = script(request)
        if answer is None:
            answer = Answer(404, {"errorMessages": [f"nothing scripted for {request.path}"]})
        return answer

    def _finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        jira = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                raw_path, _, raw_query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    method=self.command,
                    path=raw_path,
                    query=raw_query,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                finished = False
                try:
                    answer = jira._answer_for(request)
                    if answer.delay:
                        jira._stopping.wait(answer.delay)
                    body = answer.encoded_body()
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    if body:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    if answer.body_delay:
                        self.end_headers()
                        self.wfile.flush()
                        jira._stopping.wait(answer.body_delay)
                    # The request stops counting as in flight before its last bytes leave: once
                    # the client has the whole answer it may start another request at once.
                    jira._finished()
                    finished = True
                    if not answer.body_delay:
                        self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as timeout tests intend
                finally:
                    if not finished:
                        jira._finished()

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def running_jira() -> Iterator[ScriptedJira]:
    """Run a scripted Jira for the duration of the block."""
    server = ScriptedJira()
    server.start()
    try:
        yield server
    finally:
        server.stop()


SHARED_SECRET = "a-tenant-secret-of-sufficient-length-0123456789"


def tenant_on(
    server: ScriptedJira, *, base_path: str = "/jira", oauth_client_id: str | None = None
) -> TenantCredentials:
    """Return credentials of a fresh tenant (its own client key) whose baseUrl is on ``server``."""
    return TenantCredentials(
        client_key=f"tenant-{uuid.uuid4()}",
        base_url=server.origin + base_path,
        shared_secret=SHARED_SECRET,
        oauth_client_id=oauth_client_id,
    )


class RecordedSleep:
    """Stands in for ``time.sleep``: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        """Record a wait of ``seconds``."""
        self.waits.append(seconds)


class LowestJitter(random.Random):
    """A random source whose ``uniform`` always gives the lower bound, for exact waits."""

    def uniform(self, a: float, b: float) -> float:
        """Return ``a``."""
        return a


class HighestJitter(random.Random):
    """A random source whose ``uniform`` always gives the upper bound, for exact waits."""

    def uniform(self, a: float, b: float) -> float:
        """Return ``b``."""
        return b


def unused_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
