"""Host clients on the request: ``request.jira`` (as the viewer) and ``request.jira_as_app``.

``request.jira`` acts as the signed-in viewer only: a request without one (an anonymous visitor)
gets :class:`~atlassian_connect_kit.host.errors.SignInRequired`, never a client acting as the app.

Views and plugins call Jira through these and never see a shared secret. The HTTP session and the
access-token cache are shared by every request of the process, so connections and user tokens are
reused across reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from atlassian_connect_kit.auth.identity import AuthenticationFailed, Identity
from atlassian_connect_kit.auth.policy import PLUGIN_MANAGER_KEY
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.host.client import (
    HostClient,
    HostConfig,
    TenantCredentials,
    create_session,
)
from atlassian_connect_kit.host.errors import SignInRequired
from atlassian_connect_kit.host.oauth2 import AccessTokenCache

if TYPE_CHECKING:
    import requests
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit.settings import Settings

HOST_KEY = "ack.host"


class HostServices:
    """What every host client of the process shares: configuration, HTTP session, token cache."""

    def __init__(self, config: HostConfig, session: requests.Session) -> None:
        self.config = config
        self.session = session
        self.token_cache = AccessTokenCache()

    @classmethod
    def from_settings(cls, settings: Settings) -> HostServices:
        """Build the host services from the ``ack.host.*`` and OAuth 2.0 settings."""
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

    def credentials(self, registry: Any, client_key: str) -> TenantCredentials:
        """The tenant's credentials, read from the tenant store."""
        from atlassian_connect_kit.storage.service import get_tenant_store

        tenant = get_tenant_store(registry).get(client_key)
        if tenant is None:
            raise AuthenticationFailed("unknown tenant")
        return TenantCredentials(
            client_key=tenant.client_key,
            base_url=tenant.base_url,
            shared_secret=tenant.shared_secret,
            oauth_client_id=tenant.oauth_client_id,
        )


def connect_host_client(request: Request, identity: Identity, *, as_user: bool) -> HostClient:
    """The Connect client for ``identity``: signed as the app, or impersonating its user.

    Raises :class:`SignInRequired` when a client acting as the user is asked for an identity
    without one: an anonymous viewer never borrows the app's permissions.
    """
    services: HostServices = request.registry[HOST_KEY]
    if not as_user:
        credentials = services.credentials(request.registry, identity.client_key)
        return HostClient.as_app(credentials, services.config, session=services.session)
    if identity.account_id is None:
        raise SignInRequired()
    return HostClient.as_user(
        services.credentials(request.registry, identity.client_key),
        identity.account_id,
        services.config,
        token_cache=services.token_cache,
        scopes=_user_scopes(request),
        session=services.session,
    )


# What a user's token may carry besides READ and ACT_AS_USER, when the descriptor declares it.
_WRITING_SCOPES = frozenset({"WRITE", "DELETE"})


def _user_scopes(request: Request) -> tuple[str, ...]:
    """The scopes a token acting as a user asks for: READ and ACT_AS_USER, plus WRITE and DELETE
    when the app's descriptor declares them (an app that stores data in Jira as the user, such as
    a user property, needs them; one that only reads never asks for more)."""
    from atlassian_connect_kit.descriptor import REGISTRY_KEY

    descriptor = request.registry.get(REGISTRY_KEY) or {}
    declared = {str(scope).upper() for scope in descriptor.get("scopes") or ()}
    return tuple(sorted({"READ", "ACT_AS_USER"} | (declared & _WRITING_SCOPES)))


def _client(request: Request, identity: Identity, *, as_user: bool) -> HostClient:
    pm = request.registry[PLUGIN_MANAGER_KEY]
    client: HostClient = pm.hook.ack_host_client(
        request=request, identity=identity, as_user=as_user
    )
    return client


def _identity(request: Request) -> Identity:
    identity: Identity | None = request.identity
    if identity is None:
        raise AuthenticationFailed("authentication required")
    return identity


def jira_as_app(request: Request) -> HostClient:
    """A client calling the request's tenant as the app (every project the app can see).

    Only for what the app itself does; never to show a viewer what Jira would not show them.
    """
    return _client(request, _identity(request), as_user=False)


def jira_as_viewer(request: Request) -> HostClient:
    """A client calling the request's tenant as the viewing user (Jira's permissions apply).

    Raises :class:`SignInRequired` for a request without a signed-in user, whatever host
    protocol authenticated it: this client never falls back to acting as the app.
    """
    identity = _identity(request)
    if identity.account_id is None:
        raise SignInRequired()
    return _client(request, identity, as_user=True)


@hookimpl(trylast=True)
def ack_host_client(request: Request, identity: Identity, as_user: bool) -> HostClient:
    """The kit's Connect host client (the default host protocol)."""
    return connect_host_client(request, identity, as_user=as_user)


@hookimpl(trylast=True)
def ack_configure(config: Configurator, settings: Settings) -> None:
    """Add ``request.jira`` and ``request.jira_as_app`` (built once per request, on first use)."""
    config.registry[HOST_KEY] = HostServices.from_settings(settings)
    config.add_request_method(jira_as_viewer, "jira", reify=True)
    config.add_request_method(jira_as_app, "jira_as_app", reify=True)
