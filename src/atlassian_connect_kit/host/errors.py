"""Typed failures of calls to a Jira Cloud tenant, fit to be shown to the person using the app.

Every failure the host client raises is a :class:`JiraError`. Its subclasses say what went wrong
in terms a view can act on (the user may not see this, Jira rejected the query, Jira is busy), and
its ``str`` is a short sentence naming the request (method and path, never the query string) and
Jira's own messages. Nothing here ever holds a token, a secret or a request header.

The module also reads the two things a failed answer tells the caller: Jira's error details and
how long it asks to be left alone (``Retry-After``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

# Jira's messages are meant for people, but a misbehaving proxy can answer with a whole HTML page;
# a bound keeps log lines and error banners readable.
_MAX_MESSAGE_CHARS = 300


class JiraError(Exception):
    """A call to Jira failed.

    ``status`` is the HTTP status Jira answered with (``None`` when no answer arrived),
    ``error_messages`` and ``errors`` are Jira's ``errorMessages`` list and ``errors`` object
    (field name to message), empty when Jira gave none.
    """

    def __init__(
        self,
        summary: str,
        *,
        status: int | None = None,
        error_messages: Sequence[str] = (),
        errors: Mapping[str, str] | None = None,
    ) -> None:
        self.summary = summary
        self.status = status
        self.error_messages: list[str] = list(error_messages)
        self.errors: dict[str, str] = dict(errors or {})
        super().__init__(self._describe())

    def _describe(self) -> str:
        details = [*self.error_messages, *(f"{name}: {text}" for name, text in self.errors.items())]
        text = f"{self.summary}: {'; '.join(details)}" if details else self.summary
        if len(text) > _MAX_MESSAGE_CHARS:
            text = text[: _MAX_MESSAGE_CHARS - 3] + "..."
        return text


class JiraAuthError(JiraError):
    """Jira refused the credentials or the permission (401/403), or no credentials could be had."""


class JiraNotFound(JiraError):
    """Jira answered 404: the resource does not exist or the caller may not see it."""


class JiraBadRequest(JiraError):
    """Jira answered 400, for example because it rejected a JQL query; see ``error_messages``."""


class JiraRateLimited(JiraError):
    """Jira kept answering 429 until the retry budget ran out.

    ``retry_after`` is the wait in seconds Jira asked for on its last answer, when it gave one.
    """

    def __init__(
        self,
        summary: str,
        *,
        status: int | None = 429,
        error_messages: Sequence[str] = (),
        errors: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(summary, status=status, error_messages=error_messages, errors=errors)


class JiraUnavailable(JiraError):
    """Jira answered with a server error (5xx) or could not be reached, after the retries."""


class JiraTimeout(JiraUnavailable):
    """Jira did not answer within the time allowed for a call, after the retries.

    A kind of :class:`JiraUnavailable`, so a view that says "Jira is not answering, try later"
    can catch both at once.
    """


class SignInRequired(Exception):
    """The request names no signed-in Jira user, so nothing may be fetched on a viewer's behalf.

    Jira sends tokens without a user (no ``sub``) for anonymous visitors of sites that allow
    anonymous access. ``request.jira`` raises this for them rather than acting as the app, which
    would show an anonymous visitor everything the app can read; so do views declared with the
    ``connect_require_user`` option, before they run. The kit answers 401 with ``message``: a short
    HTML page for page views (``connect_auth="jwt"``), JSON ``{"error": message}`` otherwise.
    Acting as the app stays possible, explicitly, through ``request.jira_as_app``.
    """

    DEFAULT_MESSAGE = "sign in to Jira to see this page"

    def __init__(self, message: str = DEFAULT_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


def error_details(body: bytes) -> tuple[list[str], dict[str, str]]:
    """Return Jira's ``errorMessages`` and ``errors`` from an error response body.

    Jira's REST API answers failures with ``{"errorMessages": [...], "errors": {...}}``; a few
    endpoints and gateways use ``{"message": "..."}`` instead. Anything else (HTML from a proxy,
    an empty body) gives empty details rather than an error of its own.
    """
    try:
        document: Any = json.loads(body)
    except ValueError:
        return [], {}
    if not isinstance(document, dict):
        return [], {}
    messages = [str(text) for text in _as_list(document.get("errorMessages"))]
    if not messages and isinstance(document.get("message"), str):
        messages = [document["message"]]
    raw_errors = document.get("errors")
    errors = (
        {str(name): str(text) for name, text in raw_errors.items()}
        if isinstance(raw_errors, dict)
        else {}
    )
    return messages, errors


def retry_after_seconds(header: str | None, *, now: float | None = None) -> float | None:
    """Return the wait a ``Retry-After`` header asks for, in seconds, or ``None`` without one.

    The header is either a number of seconds (Jira sends whole seconds, ``0`` included) or an
    HTTP date, measured from ``now`` (the current time by default). A date in the past gives 0; a
    malformed or negative value is treated as absent.
    """
    if header is None:
        return None
    text = header.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until_http_date(text, time.time() if now is None else now)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _seconds_until_http_date(text: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - now)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
