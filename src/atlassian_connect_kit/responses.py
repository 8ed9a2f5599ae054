"""The kit's one way to answer with a JSON error: ``{"error": message}`` and nothing secret.

Lifecycle refusals, authentication failures, the 503s of the store and a plugin's own refusals
(the Timesheet's report errors) all go through :func:`json_error`, so every error a client sees
has the same shape, is never stored by a cache, and carries only the short message given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyramid.response import Response

#: Sent with every 401, so a client knows which scheme to retry with.
WWW_AUTHENTICATE = 'JWT realm="atlassian-connect"'


def json_error(
    message: str,
    status: int,
    *,
    extra: Mapping[str, Any] | None = None,
    retry_after: float | None = None,
) -> Response:
    """Return a ``status`` response with the JSON body ``{"error": message, **extra}``.

    ``message`` must be short and safe to show: never a token, secret or claim value. A 401
    names the authentication scheme (``WWW-Authenticate``); ``retry_after`` (seconds, at least
    one once rounded) becomes ``Retry-After``. No cache may keep the answer.
    """
    body: dict[str, Any] = {"error": message}
    if extra:
        body.update(extra)
    response = Response(json_body=body, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, round(retry_after)))
    response.cache_control.no_store = True
    return response
