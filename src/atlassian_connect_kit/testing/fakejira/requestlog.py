"""A record of every request the fake site answered, so tests can count and inspect calls."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from atlassian_connect_kit.testing.fakejira.faults import path_is_under

Actor = Literal["app", "user"]
"""Who a request acted as: the app (JWT) or a user (OAuth 2.0 bearer token)."""

Direction = Literal["received", "sent"]
"""Whether the site received the request or sent it (a Forge event delivered to an app)."""


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One answered request.

    ``path`` is relative to the site's base URL when the request was below it (so it reads
    ``/rest/api/3/myself`` whatever the base path), else the path as received; ``query`` is the
    raw query string. ``acting_as`` and ``account_id`` are ``None`` when the caller was not
    authenticated; ``account_id`` is set for requests acting as a user. ``time`` is the UNIX time
    the request arrived and ``duration`` how long answering took, in seconds. ``direction`` is
    ``"sent"`` for the requests the site itself made to an app (Forge lifecycle deliveries): their
    ``path`` is the path at the app and ``status`` the app's answer (0 when it gave none).
    """

    method: str
    path: str
    query: str
    status: int
    acting_as: Actor | None
    account_id: str | None
    time: float
    duration: float
    direction: Direction = "received"


class RequestLog:
    """Thread-safe, append-only list of :class:`RequestRecord` until cleared."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        """Add one record."""
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        """Return a copy of the records so far, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def count(
        self,
        path: str | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
        direction: Direction = "received",
    ) -> int:
        """Count records at or below ``path`` (all when ``None``), optionally by method/status;
        received requests unless ``direction`` says ``"sent"``."""
        return sum(
            1
            for record in self.snapshot()
            if record.direction == direction
            and (path is None or path_is_under(record.path, path))
            and (method is None or record.method == method.upper())
            and (status is None or record.status == status)
        )

    def counts_by_endpoint(self) -> Counter[str]:
        """Return how often each ``"METHOD path"`` was requested of the site."""
        return Counter(
            f"{record.method} {record.path}"
            for record in self.snapshot()
            if record.direction == "received"
        )
