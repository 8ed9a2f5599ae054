"""The responses the fake site's handlers return, and the shapes of its errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json;charset=UTF-8"
"""Content type of every JSON response, as Jira sends it."""


@dataclass(slots=True)
class Response:
    """An HTTP response; ``points`` are rate-limit points it costs beyond the request's own."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    points: int = 0


class RequestError(Exception):
    """A handler refuses the request with a Jira error collection and this status."""

    def __init__(self, status: int, *messages: str) -> None:
        super().__init__(" ".join(messages))
        self.status = status
        self.messages = list(messages)


def json_response(status: int, body: Any, *, points: int = 0) -> Response:
    """A JSON response; non-ASCII text is sent as UTF-8, not escaped."""
    encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, encoded, JSON_TYPE, points=points)


def error_response(status: int, *messages: str) -> Response:
    """Jira's error collection: ``{"errorMessages": [...], "errors": {}}``."""
    return json_response(status, {"errorMessages": list(messages), "errors": {}})
