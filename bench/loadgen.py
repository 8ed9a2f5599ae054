"""A small HTTP/1.1 load generator on asyncio streams: keep-alive connections, timed requests.

Used by the benchmarks where wrk is absent or where each request must be timed and classified
(bench/load.py). One process drives every connection, so it tops out near one core's worth of
requests: a server faster than that is measured by wrk instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Result:
    """One request: its kind, when it started and ended (monotonic seconds), what came back."""

    kind: str
    started: float
    ended: float
    status: int
    retry_after: str | None


@dataclass(frozen=True)
class Request:
    """A GET to send: ``path`` includes the query; ``kind`` labels it in the results."""

    kind: str
    path: str
    headers: Mapping[str, str]


class Connection:
    """One keep-alive connection to ``base_url``, reopened after any failure."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._host_header = parts.netloc
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, request: Request, timeout: float) -> tuple[int, str | None]:
        """Send ``request``; return its status and Retry-After (status 0 when it failed)."""
        try:
            return await asyncio.wait_for(self._exchange(request), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            await self.close()
            return 0, None

    async def _exchange(self, request: Request) -> tuple[int, str | None]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        lines = [f"GET {request.path} HTTP/1.1", f"Host: {self._host_header}"]
        lines += [f"{name}: {value}" for name, value in request.headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        length = 0
        retry_after = None
        closing = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "retry-after":
                retry_after = value.strip()
            elif name == "transfer-encoding":
                raise ValueError("chunked responses are not read by this client")
            elif name == "connection" and value.strip().lower() == "close":
                closing = True
        await reader.readexactly(length)
        if closing:
            await self.close()
        return status, retry_after

    async def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()


async def drive(
    base_url: str,
    next_request: Callable[[], Request],
    *,
    connections: int,
    seconds: float,
    timeout: float = 30.0,
) -> list[Result]:
    """Keep ``connections`` requests in flight for ``seconds``; return every timed result."""
    results: list[Result] = []
    deadline = time.monotonic() + seconds

    async def loop() -> None:
        connection = Connection(base_url)
        try:
            while time.monotonic() < deadline:
                request = next_request()
                started = time.monotonic()
                status, retry_after = await connection.get(request, timeout)
                results.append(Result(request.kind, started, time.monotonic(), status, retry_after))
        finally:
            await connection.close()

    await asyncio.gather(*(loop() for _ in range(connections)))
    return results


def percentile(ordered: list[float], percent: float) -> float:
    """The ``percent`` percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]
