"""Calling Jira from a Forge invocation: the same host client, with Forge's app tokens.

Forge sends the remote two OAuth tokens with an invocation: ``x-forge-oauth-user`` acts as the
invoking user (Jira's permissions apply), ``x-forge-oauth-system`` as the app. For a request the
kit authenticated with a Forge Invocation Token, ``request.jira`` uses the user token and
``request.jira_as_app`` the system token, each sent as ``Authorization: Bearer`` to the token's
``app.apiBaseUrl`` (``https://api.atlassian.com/ex/jira/<cloudId>``) + ``/rest/api/3/...``.

The client is :class:`~atlassian_connect_kit.host.client.HostClient` itself, so retries,
backoff, paging and typed errors are the Connect client's: only the credential differs. The
tokens live for the request only: read from its headers when the client is made, held by that
client alone, never stored, cached or logged. Without a user token the user's client raises
:class:`~atlassian_connect_kit.auth.forge_request.ForgeTokenMissing` (403); it never falls back
to the system token.
"""

from __future__ import annotations

import random
import re
import time
from typing import TYPE_CHECKING

from atlassian_connect_kit.auth.forge_request import ForgeIdentity, ForgeTokenMissing
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.host.client import HostClient, TenantCredentials
from atlassian_connect_kit.host.errors import SignInRequired

if TYPE_CHECKING:
    from pyramid.request import Request

    from atlassian_connect_kit.auth.identity import Identity

USER_TOKEN_HEADER = "x-forge-oauth-user"
"""The header carrying the app user token (present only with a user in session)."""

SYSTEM_TOKEN_HEADER = "x-forge-oauth-system"
"""The header carrying the app system token."""

MAX_TOKEN_LENGTH = 16 * 1024
"""Longest app token accepted; Forge's are JWTs of a couple of kilobytes."""

# Opaque to the app, but a bearer token is a single run of visible ASCII.
_TOKEN_TEXT = re.compile(r"^[\x21-\x7e]+$")


class _BearerAuthorizer:
    """Sends one Forge app token with every attempt; a 401 cannot be cured by renewing it."""

    __slots__ = ("_authorization",)

    def __init__(self, token: str) -> None:
        self._authorization = f"Bearer {token}"

    def __repr__(self) -> str:
        return "<forge app token>"

    def authorization(self, method: str, url: str) -> str:
        """The same bearer header for every attempt (Forge issues no renewal to the remote)."""
        return self._authorization

    def rejected(self, authorization: str) -> bool:
        """A refused app token stays refused: no second try."""
        return False


def app_token(request: Request, header: str) -> str | None:
    """The app token of ``header`` on ``request``, or ``None`` when absent or malformed."""
    value: str | None = request.headers.get(header)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_TOKEN_LENGTH or _TOKEN_TEXT.fullmatch(value) is None:
        return None
    return value


def forge_host_client(request: Request, identity: ForgeIdentity, *, as_user: bool) -> HostClient:
    """The client for a Forge invocation: as its user (user token) or as the app (system token).

    Raises :class:`SignInRequired` when a user's client is asked for an invocation without a
    principal, and :class:`ForgeTokenMissing` when Forge sent no token of the kind needed.
    """
    from atlassian_connect_kit.host.requests_api import HOST_KEY, HostServices

    services: HostServices = request.registry[HOST_KEY]
    invocation = identity.forge
    if as_user:
        if identity.account_id is None:
            raise SignInRequired()
        token = app_token(request, USER_TOKEN_HEADER)
        if token is None:
            raise ForgeTokenMissing(
                "Forge sent no user token for this call; the endpoint needs appUserToken enabled"
                " and the app the read:app-user-token scope"
            )
    else:
        token = app_token(request, SYSTEM_TOKEN_HEADER)
        if token is None:
            raise ForgeTokenMissing(
                "Forge sent no system token for this call; the endpoint needs appSystemToken"
                " enabled and the app the read:app-system-token scope"
            )
    credentials = TenantCredentials(
        # The tenant's key caps the requests in flight to the site, as for Connect calls.
        client_key=identity.client_key,
        base_url=invocation.api_base_url,
        shared_secret="",
    )
    return HostClient(
        credentials,
        services.config,
        _BearerAuthorizer(token),
        account_id=identity.account_id if as_user else None,
        session=services.session,
        sleep=time.sleep,
        rng=random.SystemRandom(),
    )


@hookimpl(trylast=True)
def ack_host_client(request: Request, identity: Identity, as_user: bool) -> HostClient | None:
    """The Forge client for requests authenticated with a FIT; ``None`` for the others."""
    if not isinstance(identity, ForgeIdentity):
        return None
    return forge_host_client(request, identity, as_user=as_user)
