"""Host clients on the request: ``request.jira`` (as the viewer) and ``request.jira_as_app``.

``request.jira`` acts as the signed-in viewer only: a request without one (an anonymous visitor)
gets :class:`~atlassian_connect_kit.host.errors.SignInRequired`, never a client acting as the app.

Views and plugins call Jira through these and never see a shared secret. The clients are
built by the ``ack_host_client`` hook, whose Connect implementation here asks the
:class:`~atlassian_connect_kit.interfaces.IHostClientFactory` service. The HTTP session and the
access-token cache are shared by every request of the process, so connections and user tokens are
reused across reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from atlassian_connect_kit.auth.connect import known_tenant
from atlassian_connect_kit.auth.identity import Identity
from atlassian_connect_kit.descriptor import AppDescriptor
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.host.client import (
    HostClient,
    HostConfig,
    TenantCredentials,
    create_session,
)
from atlassian_connect_kit.host.errors import SignInRequired
from atlassian_connect_kit.host.oauth2 import AccessTokenCache
from atlassian_connect_kit.interfaces import IHostClientFactory
from atlassian_connect_kit.services import find_service, get_settings

if TYPE_CHECKING:
    import requests
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit.host.protocol import JiraClient
    from atlassian_connect_kit.settings import Settings


class ConnectHostClients:
    """Builds Connect host clients; what they share: configuration, HTTP session, token cache."""

    def __init__(self, config: HostConfig, session: requests.Session) -> None:
        self._config = config
        self._session = session
        self._token_cache = AccessTokenCache()

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectHostClients:
        """Build the factory from the ``ack.host.*`` and OAuth 2.0 settings."""
        config = HostConfig(
            app_key=settings.app_key,
            max_attempts=settings.host_max_attempts,
            max_wait_seconds=settings.host_max_wait_seconds,
            timeout_seconds=settings.host_timeout_seconds,
            concurrency=settings.host_concurrency,
            oauth2_token_url=settings.oauth2_token_url,
            oauth2_audience=settings.oauth2_audience,
        )
        return cls(config, create_session(pool_size=max(8, settings.host_concurrency * 4)))

    @property
    def config(self) -> HostConfig:
        """The ``ack.host.*`` configuration every client shares (the Forge client too)."""
        return self._config

    @property
    def session(self) -> requests.Session:
        """The HTTP session every client shares (the Forge client too)."""
        return self._session

    def _credentials(self, request: Request, client_key: str) -> TenantCredentials:
        tenant = known_tenant(request, client_key)
        return TenantCredentials(
            client_key=tenant.client_key,
            base_url=tenant.base_url,
            shared_secret=tenant.shared_secret,
            oauth_client_id=tenant.oauth_client_id,
        )

    def client(self, request: Request, identity: Identity, *, as_user: bool) -> HostClient:
        """The Connect client for ``identity``: signed as the app, or impersonating its user.

        Raises :class:`SignInRequired` when a client acting as the user is asked for an
        identity without one: an anonymous viewer never borrows the app's permissions.
        """
        if not as_user:
            credentials = self._credentials(request, identity.client_key)
            return HostClient.as_app(credentials, self._config, session=self._session)
        if identity.account_id is None:
            raise SignInRequired()
        return HostClient.as_user(
            self._credentials(request, identity.client_key),
            identity.account_id,
            self._config,
            token_cache=self._token_cache,
            scopes=_user_scopes(request),
            session=self._session,
        )


# What a user's token may carry besides READ and ACT_AS_USER, when the descriptor declares it.
_WRITING_SCOPES = frozenset({"WRITE", "DELETE"})


def _user_scopes(request: Request) -> tuple[str, ...]:
    """The scopes a token acting as a user asks for: READ and ACT_AS_USER, plus WRITE and DELETE
    when the app's descriptor declares them (an app that stores data in Jira as the user, such as
    a user property, needs them; one that only reads never asks for more)."""
    descriptor = find_service(request, AppDescriptor)
    declared = {str(scope).upper() for scope in descriptor.get("scopes") or ()}
    return tuple(sorted({"READ", "ACT_AS_USER"} | (declared & _WRITING_SCOPES)))


@hookimpl(trylast=True)
def ack_host_client(request: Request, identity: Identity, as_user: bool) -> JiraClient:
    """The kit's Connect host client (the default host protocol), from the factory service."""
    return find_service(request, IHostClientFactory).client(request, identity, as_user=as_user)


def includeme(config: Configurator) -> None:
    """Register the Connect host-client factory (``request.jira`` is on the kit's request)."""
    config.register_service(
        ConnectHostClients.from_settings(get_settings(config)), IHostClientFactory
    )
