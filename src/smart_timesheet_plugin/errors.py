"""The Timesheet's one error for a request it cannot serve, and its JSON answer.

Every view raises :class:`RequestFailed` with a status and a short message (naming the
parameter at fault when there is one); :func:`request_failed_view`, registered once by
:func:`includeme`, turns it into ``{"error": message, "parameter": name}`` with that status,
``Retry-After`` when Jira asked us to wait, and no caching. Messages are written by us and never
echo a token or a secret. :func:`jira_call` turns the failures of a call to Jira into such
errors, for the views that need no finer reading of Jira's answer; :func:`json_body` reads a
request's JSON body or fails with the one 400 for a body that is not JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from atlassian_connect_kit import (
    JiraAuthError,
    JiraError,
    JiraRateLimited,
    JiraTimeout,
    JiraUnavailable,
    json_error,
)

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request
    from pyramid.response import Response

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class RequestFailed(Exception):
    """A request cannot be served; ``status`` and ``message`` (and ``parameter``, the field at
    fault, and ``retry_after``, seconds) make its JSON error response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        parameter: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter
        self.retry_after = retry_after


def json_body(request: Request) -> Any:
    """The request's body as JSON; a body that is not JSON fails with 400 naming ``body``."""
    try:
        return request.json_body
    except ValueError:
        raise RequestFailed(400, "body: must be JSON", parameter="body") from None


def jira_call(call: Callable[[], _T], *, reraise: tuple[type[Exception], ...] = ()) -> _T:
    """Run a Jira call, its failures turned into short messages (``reraise`` passes through)."""
    try:
        return call()
    except reraise:
        raise
    except JiraRateLimited as error:
        raise RequestFailed(
            429,
            "Jira is rate limiting this site; try again shortly.",
            retry_after=error.retry_after,
        ) from None
    except JiraAuthError:
        raise RequestFailed(403, "Jira did not allow this for your account.") from None
    except JiraTimeout:
        raise RequestFailed(504, "Jira took too long to answer; try again.") from None
    except JiraUnavailable:
        raise RequestFailed(503, "Jira is unavailable right now; try again shortly.") from None
    except JiraError as error:
        log.warning("Jira answered unexpectedly: %s", error)
        raise RequestFailed(502, "Jira answered unexpectedly; try again.") from None


def request_failed_view(error: RequestFailed, request: Request) -> Response:
    """A short JSON error for the page or the gadget to show; never echoes a token."""
    extra = {"parameter": error.parameter} if error.parameter else None
    return json_error(error.message, error.status, extra=extra, retry_after=error.retry_after)


def includeme(config: Configurator) -> None:
    """Answer every view's :class:`RequestFailed` with :func:`request_failed_view`."""
    config.add_exception_view(request_failed_view, context=RequestFailed)


__all__ = ("RequestFailed", "includeme", "jira_call", "request_failed_view")
