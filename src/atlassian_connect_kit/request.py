"""The kit's request class: what a view may use beside Pyramid's own request, typed.

It is set once with ``config.set_request_factory``, so every request of the app is a
:class:`KitRequest`; annotate views with it to have ``request.jira`` and friends checked::

    from atlassian_connect_kit import KitRequest

    def my_view(request: KitRequest) -> dict[str, object]:
        return request.jira.get("/rest/api/3/myself")

The members are declared on the class (not added with ``config.add_request_method``), so
Pyramid builds no new request class for each request.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import pyramid_services
from pyramid.request import Request
from zope.interface import Interface

from atlassian_connect_kit.auth.connect import context_token
from atlassian_connect_kit.auth.identity import AuthenticationFailed, Identity
from atlassian_connect_kit.host.errors import SignInRequired
from atlassian_connect_kit.services import get_plugin_manager, get_settings
from atlassian_connect_kit.storage.sessions import request_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from wired import ServiceContainer

    from atlassian_connect_kit.host.protocol import JiraClient
    from atlassian_connect_kit.settings import Settings


def _identity(request: KitRequest) -> Identity:
    identity = request.identity
    if identity is None:
        raise AuthenticationFailed("authentication required")
    return identity


def _client(request: KitRequest, identity: Identity, *, as_user: bool) -> JiraClient:
    client: JiraClient = get_plugin_manager(request).hook.ack_host_client(
        request=request, identity=identity, as_user=as_user
    )
    return client


class KitRequest(Request):  # type: ignore[misc]  # Pyramid is untyped
    """A Pyramid request with the kit's members: identity, host clients, context token, services.

    ``identity`` is the :class:`~atlassian_connect_kit.auth.identity.Identity` the security
    policy proved (``None`` on a ``public`` view); ``jira`` and ``jira_as_app`` are
    :class:`~atlassian_connect_kit.host.protocol.JiraClient` objects built on first use.
    """

    if TYPE_CHECKING:

        @property
        def identity(self) -> Identity | None:
            """The authenticated tenant and user (``None`` on a public view)."""
            ...

    @cached_property
    def services(self) -> ServiceContainer:
        """The request's ``pyramid_services`` container."""
        container: ServiceContainer = pyramid_services.get_services(self)
        return container

    def find_service(self, iface: Any = Interface, context: Any = None, name: str = "") -> Any:
        """The service registered for ``iface`` (see :mod:`atlassian_connect_kit.services`).

        Unlike ``pyramid_services``' own method, ``context`` defaults to ``None`` rather than the
        traversal context: the kit's services do not depend on it, and finding one must not
        run the traversal's context lookup again.
        """
        return self.services.get(iface, context=context, name=name)

    @cached_property
    def ack_session(self) -> Session:
        """A SQLAlchemy session on the kit's database, committed with the response.

        Built on first use; see :mod:`atlassian_connect_kit.storage.sessions`.
        """
        return request_session(self)

    @property
    def ack_settings(self) -> Settings:
        """The app's validated settings."""
        return get_settings(self)

    @cached_property
    def jira(self) -> JiraClient:
        """A client calling the request's site as the viewing user (Jira's permissions apply).

        Raises :class:`~atlassian_connect_kit.host.errors.SignInRequired` for a request without
        a signed-in user, whatever host protocol authenticated it: it never acts as the app.
        """
        identity = _identity(self)
        if identity.account_id is None:
            raise SignInRequired()
        return _client(self, identity, as_user=True)

    @cached_property
    def jira_as_app(self) -> JiraClient:
        """A client calling the request's site as the app (every project the app can see).

        Only for what the app itself does; never to show a viewer what Jira would not.
        """
        return _client(self, _identity(self), as_user=False)

    def ack_context_token(self) -> str:
        """A short-lived context token for the viewer, for the page's own XHRs and downloads."""
        return context_token(self)
