"""What a plugin may rely on in a host client, whichever host protocol built it.

``request.jira`` and ``request.jira_as_app`` are typed with :class:`JiraClient`, not with the
Connect implementation (:class:`~atlassian_connect_kit.host.client.HostClient`): another host
protocol (Forge Remote) returns its own client from the ``ack_host_client`` hook, and a plugin
written against this protocol works with both. No member of a client exposes its credentials.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from atlassian_connect_kit.host.client import QueryParams


@runtime_checkable
class JiraClient(Protocol):
    """Calls one tenant's Jira REST API as the app or as one user.

    Every method returns the parsed JSON answer (``None`` for an empty answer) and raises a
    :class:`~atlassian_connect_kit.host.errors.JiraError` subclass on failure.
    """

    @property
    def account_id(self) -> str | None:
        """The user the client acts as; ``None`` when it acts as the app."""
        ...

    @property
    def calls(self) -> int:
        """How many HTTP requests the client has sent to Jira, retries included."""
        ...

    def get(self, path_or_url: str, *, params: QueryParams | None = None) -> Any:
        """Send a GET."""
        ...

    def post(
        self,
        path_or_url: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send a POST (not repeated after it may have reached Jira, unless ``idempotent``)."""
        ...

    def put(self, path_or_url: str, *, params: QueryParams | None = None, json: Any = None) -> Any:
        """Send a PUT."""
        ...

    def delete(self, path_or_url: str, *, params: QueryParams | None = None) -> Any:
        """Send a DELETE."""
        ...

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send ``method`` to ``path_or_url`` (relative to the tenant's ``baseUrl``)."""
        ...
