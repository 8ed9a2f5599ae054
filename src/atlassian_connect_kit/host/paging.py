"""Walk Jira's paged collections one page at a time.

Jira pages in two ways. The newer APIs (``POST /rest/api/3/search/jql``) hand back a
``nextPageToken`` to send with the next request and omit it on the last page. The older ones
(worklogs of an issue, project search) take ``startAt`` and ``maxResults`` and report ``total``
and sometimes ``isLast``. Each helper yields the items of every page as soon as it arrives, so a
caller can stop early without fetching the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from atlassian_connect_kit.host.client import QueryParams, flatten_query_params
from atlassian_connect_kit.host.errors import JiraError

if TYPE_CHECKING:
    from atlassian_connect_kit.host.protocol import JiraClient

__all__ = ["iter_start_at", "iter_token_pages"]

_PAGE_PARAMETERS = frozenset({"startAt", "maxResults"})


def iter_token_pages(
    client: JiraClient,
    path: str,
    *,
    body: Mapping[str, Any],
    items_key: str = "issues",
    method: str = "POST",
) -> Iterator[list[Any]]:
    """Yield the ``items_key`` list of each page of a ``nextPageToken`` API, first to last.

    ``body`` is the request (for a search: ``jql``, ``fields``, ``maxResults``); each following
    request adds the ``nextPageToken`` of the previous answer. With ``method="GET"`` the same
    fields travel as query parameters instead. Pages are read-only fetches, so they are retried
    like any idempotent request. Stops after a page without a token or marked ``isLast``; raises
    :class:`JiraError` if Jira hands back a token it already gave, rather than loop forever.
    """
    verb = method.upper()
    label = urlsplit(path).path
    request_fields = dict(body)
    seen_tokens: set[str] = set()
    if isinstance(request_fields.get("nextPageToken"), str):
        seen_tokens.add(request_fields["nextPageToken"])
    while True:
        if verb == "GET":
            answer = client.request(verb, path, params=request_fields)
        else:
            answer = client.request(verb, path, json=request_fields, idempotent=True)
        page = _page_object(answer, label)
        yield _items(page, items_key, label)
        token = page.get("nextPageToken")
        if page.get("isLast") is True or not token:
            return
        if not isinstance(token, str):
            raise JiraError(f"Jira answered {label} with a nextPageToken that is not text")
        if token in seen_tokens:
            raise JiraError(f"Jira answered {label} with a nextPageToken it had already given")
        seen_tokens.add(token)
        request_fields["nextPageToken"] = token


def iter_start_at(
    client: JiraClient,
    path: str,
    *,
    params: QueryParams | None,
    items_key: str,
    page_size: int,
) -> Iterator[list[Any]]:
    """Yield the ``items_key`` list of each page of a ``startAt``/``maxResults`` API (a GET).

    Asks for ``page_size`` items a page from ``startAt=0`` and advances by the number of items
    actually received, since Jira may return fewer than asked. Stops after a page that is empty,
    marked ``isLast``, reaches ``total``, or is shorter than the page size Jira applied (when
    Jira says ``isLast: false`` it is believed over the page length). Any ``startAt`` or
    ``maxResults`` in ``params`` is replaced.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    fixed_params = [
        pair for pair in flatten_query_params(params) if pair[0] not in _PAGE_PARAMETERS
    ]
    label = urlsplit(path).path
    start_at = 0
    while True:
        page_params = [*fixed_params, ("startAt", str(start_at)), ("maxResults", str(page_size))]
        page = _page_object(client.get(path, params=page_params), label)
        items = _items(page, items_key, label)
        yield items
        start_at += len(items)
        if not items:
            return
        is_last = page.get("isLast")
        if isinstance(is_last, bool):
            if is_last:
                return
            continue
        total = _count(page.get("total"))
        if total is not None and start_at >= total:
            return
        applied_page_size = _count(page.get("maxResults")) or page_size
        if len(items) < applied_page_size:
            return


def _page_object(answer: Any, label: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise JiraError(f"Jira answered {label} with something other than a page")
    return answer


def _items(page: dict[str, Any], items_key: str, label: str) -> list[Any]:
    items = page.get(items_key, [])
    if not isinstance(items, list):
        raise JiraError(f"Jira answered {label} with a page whose {items_key!r} is not a list")
    return items


def _count(value: Any) -> int | None:
    # bool is an int in Python; a JSON true is not a count.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
