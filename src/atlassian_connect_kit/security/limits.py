"""A cap on every request body, enforced by the app itself whatever server runs it: a tween.

A request whose ``Content-Length`` exceeds ``ack.max_request_body_bytes`` is answered 413 before
any view runs or a byte of its body is read. A body without a length (chunked, through a server
that streams it to the app) is read through :class:`LimitedInput`, which raises
:class:`RequestBodyTooLarge` as soon as more than the cap has been read; that too becomes a 413.
The WSGI server's own limit (waitress ``max_request_body_size`` in ``production.ini``) is the
second line: it keeps the server from buffering a huge body before the app sees the request.

:func:`read_limited_body` reads a body under a tighter cap of a view's own (the lifecycle
callbacks take 64 KiB at most).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from pyramid.response import Response

from atlassian_connect_kit.responses import json_error
from atlassian_connect_kit.services import get_settings

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

Handler = Callable[["Request"], Response]

_CHUNK = 64 * 1024


class RequestBodyTooLarge(Exception):
    """The request body is larger than ``limit`` bytes; the request gets 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


class LimitedInput:
    """A ``wsgi.input`` stream that raises :class:`RequestBodyTooLarge` past ``limit`` bytes."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0

    def _count(self, data: bytes) -> bytes:
        self._read += len(data)
        if self._read > self._limit:
            raise RequestBodyTooLarge(self._limit)
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all when negative or ``None``), never past the cap."""
        if size is None or size < 0:
            # Read by chunks, so a body without end is refused once past the cap.
            chunks = []
            while chunk := self._count(self._stream.read(_CHUNK)):
                chunks.append(chunk)
            return b"".join(chunks)
        return self._count(self._stream.read(size))

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line, never past the cap."""
        bounded = self._limit - self._read + 1
        wanted = bounded if size is None or size < 0 else min(size, bounded)
        return self._count(self._stream.readline(wanted))

    def readlines(self, hint: int = -1) -> list[bytes]:
        """Read the remaining lines, never past the cap."""
        return list(self)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


def read_limited_body(request: Request, limit: int) -> bytes:
    """Return the body of ``request``, raising :class:`RequestBodyTooLarge` past ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before anything is read; a body
    without one is read up to one byte past the limit, never further.
    """
    length = request.content_length
    if length is not None:
        if length > limit:
            raise RequestBodyTooLarge(limit)
        body: bytes = request.body
        return body
    if not request.is_body_readable:
        return b""
    stream = request.body_file_raw
    chunks: list[bytes] = []
    received = 0
    while received <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    if received > limit:
        raise RequestBodyTooLarge(limit)
    return b"".join(chunks)


def too_large(error: RequestBodyTooLarge) -> Response:
    """The 413 answer: a short JSON reason, never cached."""
    return json_error(str(error), 413)


def body_limit_tween_factory(handler: Handler, registry: Any) -> Handler:
    """Refuse request bodies over ``ack.max_request_body_bytes`` with 413."""
    limit = get_settings(registry).max_request_body_bytes

    def body_limit_tween(request: Request) -> Response:
        length = request.content_length
        if length is not None and length > limit:
            return too_large(RequestBodyTooLarge(limit))
        if length is None:
            request.environ["wsgi.input"] = LimitedInput(request.environ["wsgi.input"], limit)
        try:
            return handler(request)
        except RequestBodyTooLarge as error:
            return too_large(error)

    return body_limit_tween


def includeme(config: Configurator) -> None:
    """Install the tween just inside the security tween, so a 413 carries the security headers."""
    config.add_tween(
        f"{__name__}.body_limit_tween_factory",
        under="atlassian_connect_kit.security.transport.security_tween_factory",
    )
