"""Forge Remote invocations: the kit's second ``ack_authenticate`` implementation, beside Connect.

Forge calls the app with ``Authorization: Bearer <FIT>`` (a Forge Invocation Token, see
:mod:`atlassian_connect_kit.auth.forge`). Views opt in explicitly:

- ``connect_auth="context+forge"``: a Connect context token (exactly as ``"context"``) or a FIT;
- ``connect_auth="forge"``: a FIT only (the kit's Forge lifecycle endpoints).

A bearer token on any other view is refused with 401 before anything runs, as is every FIT that
fails verification (Forge reserves 401 for exactly that). When Forge's signing keys cannot be had
the answer is 503: nothing is accepted without them.

A verified FIT becomes a :class:`ForgeIdentity`. Its installation id names the tenant: the
Connect tenant whose ``installed`` payload carried that ``installationId`` (an app that adopted
Forge), else the pure Forge installation itself, whose key is then the installation id (recorded
with its cloud id and last-seen time, see :mod:`atlassian_connect_kit.storage.installations`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pyramid.response import Response

from atlassian_connect_kit.auth.forge import (
    ForgeInvocation,
    ForgeInvocationVerifier,
    ForgeTokenError,
    bearer_token,
)
from atlassian_connect_kit.auth.identity import AuthenticationFailed, Identity
from atlassian_connect_kit.auth.jwks import JwksKeySource, JwksUnavailable
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.host.errors import SignInRequired
from atlassian_connect_kit.storage.db import DatabaseUnavailable

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit.settings import Settings

log = logging.getLogger(__name__)
_T = TypeVar("_T")

FORGE_MODE = "context+forge"
"""The ``connect_auth`` value of views that accept a Connect context token or a FIT."""

FORGE_ONLY_MODE = "forge"
"""The ``connect_auth`` value of views that accept a FIT only."""

VERIFIER_KEY = "ack.forge.verifier"
"""Registry key of the application's :class:`ForgeInvocationVerifier` (absent without app id)."""


@dataclass(frozen=True)
class ForgeIdentity(Identity):
    """The identity of a Forge invocation: an :class:`Identity` plus the verified token.

    ``client_key`` is the linked Connect tenant's clientKey, or the installation id for a pure
    Forge installation (``linked`` tells which); ``account_id`` is the FIT's ``principal``
    (``None`` for triggers and backend calls); ``base_url`` the site's URL where the token names
    it (the linked tenant's ``baseUrl``, else ``context.siteUrl``), else the API base URL.
    """

    invocation: ForgeInvocation | None = None
    linked: bool = False

    @property
    def forge(self) -> ForgeInvocation:
        """The verified invocation (installation, cloud id, API base URL, module, license...)."""
        if self.invocation is None:  # pragma: no cover - the constructor below always sets it
            raise AuthenticationFailed("not a Forge invocation")
        return self.invocation


class ForgeTokenMissing(Exception):
    """A verified Forge invocation lacks the app token a view needs (answered 403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_forge_request(request: Request) -> bool:
    """Tell whether ``request`` was authenticated with a Forge Invocation Token."""
    try:
        identity = request.identity
    except AuthenticationFailed:
        return False
    return isinstance(identity, ForgeIdentity)


def authenticate_forge_request(request: Request, mode: str) -> ForgeIdentity | None:
    """Verify the request's FIT for a view declared with ``mode``; ``None`` without a bearer.

    Raises :class:`AuthenticationFailed`: 401 for a bearer token on a view that did not opt in
    and for every refused token, 503 when Forge's keys cannot be fetched.
    """
    token = bearer_token(request.environ.get("HTTP_AUTHORIZATION"))
    if token is None:
        if mode == FORGE_ONLY_MODE:
            raise AuthenticationFailed("a Forge invocation token is required")
        return None
    if mode not in (FORGE_MODE, FORGE_ONLY_MODE):
        raise AuthenticationFailed("this URL does not accept Forge invocations")
    verifier: ForgeInvocationVerifier | None = request.registry.get(VERIFIER_KEY)
    if verifier is None:
        raise AuthenticationFailed("Forge invocations are not enabled (ack.forge.app_id)")
    try:
        invocation = verifier.verify(token)
    except ForgeTokenError as error:
        raise AuthenticationFailed(str(error)) from None
    except JwksUnavailable as error:
        log.warning("Forge invocation not verified: %s", error)
        raise AuthenticationFailed(
            "Forge signing keys are unavailable; try again shortly", status=503
        ) from None
    return _identity(request, invocation, mode)


def _identity(request: Request, invocation: ForgeInvocation, mode: str) -> ForgeIdentity:
    from atlassian_connect_kit.storage.installations import get_installations
    from atlassian_connect_kit.storage.service import get_tenant_store

    installations = get_installations(request.registry)
    client_key = installations.linked_client_key(invocation.installation_id)
    tenant = get_tenant_store(request.registry).get(client_key) if client_key else None
    if tenant is not None:
        _bookkeeping(lambda: get_tenant_store(request.registry).touch(tenant.client_key))
        return ForgeIdentity(
            client_key=tenant.client_key,
            account_id=invocation.principal,
            base_url=tenant.base_url,
            context=invocation.context,
            mode=mode,
            invocation=invocation,
            linked=True,
        )
    # The lifecycle endpoints ("forge" mode) record the installation themselves.
    new = mode != FORGE_ONLY_MODE and _bookkeeping(
        lambda: installations.seen(invocation.installation_id, invocation.cloud_id)
    )
    if new:
        from atlassian_connect_kit.forge_lifecycle import announce_installation

        announce_installation(request, invocation, event=None)
    return ForgeIdentity(
        client_key=invocation.installation_id,
        account_id=invocation.principal,
        base_url=invocation.site_url or invocation.api_base_url,
        context=invocation.context,
        mode=mode,
        invocation=invocation,
        linked=False,
    )


def _bookkeeping(write: Callable[[], _T]) -> _T | None:
    # The last-seen time is bookkeeping: an invocation the token proves is served without it
    # (a later one records it) rather than refused with a 503.
    try:
        return write()
    except DatabaseUnavailable as error:
        log.info("Forge installation last-seen time not recorded: %s", error)
        return None


def forge_token_missing_view(error: ForgeTokenMissing, request: Request) -> Response:
    """403 JSON: the invocation is genuine, but Forge sent no token for what the view does."""
    response = Response(json_body={"error": error.message}, status=403)
    response.cache_control.no_store = True
    return response


def forge_sign_in_view(error: SignInRequired, request: Request) -> Response:
    """403 JSON for a Forge invocation without a user on a view that needs one.

    Forge reserves 401 for refused invocation tokens; this token was accepted.
    """
    response = Response(json_body={"error": error.message}, status=403)
    response.cache_control.no_store = True
    return response


class _ForgeRequestPredicate:
    """View predicate ``ack_forge_request=True``: the request carries a verified FIT."""

    def __init__(self, value: bool, config: Configurator) -> None:
        self.value = bool(value)

    def text(self) -> str:
        """How Pyramid names the predicate in its introspection."""
        return f"ack_forge_request = {self.value}"

    phash = text

    def __call__(self, context: Any, request: Request) -> bool:
        return is_forge_request(request) == self.value


@hookimpl(trylast=True)
def ack_authenticate(request: Request, mode: str) -> Identity | None:
    """Authenticate Forge Remote invocations (``Authorization: Bearer <FIT>``)."""
    return authenticate_forge_request(request, mode)


@hookimpl(trylast=True)
def ack_configure(config: Configurator, settings: Settings) -> None:
    """Create the FIT verifier (when ``ack.forge.app_id`` is set) and the 403 answers."""
    from atlassian_connect_kit.storage.installations import INSTALLATIONS_KEY, ForgeInstallations
    from atlassian_connect_kit.storage.service import ENGINE_KEY

    config.registry[INSTALLATIONS_KEY] = ForgeInstallations(config.registry[ENGINE_KEY])
    if settings.forge_app_id:
        keys = JwksKeySource(settings.forge_jwks_url, dev_mode=settings.dev_mode)
        config.registry[VERIFIER_KEY] = ForgeInvocationVerifier(
            keys,
            app_id=settings.forge_app_id,
            leeway=settings.jwt_leeway,
            max_lifetime=settings.jwt_max_lifetime,
            dev_mode=settings.dev_mode,
        )
    config.add_view_predicate("ack_forge_request", _ForgeRequestPredicate)
    config.add_exception_view(forge_token_missing_view, context=ForgeTokenMissing)
    config.add_exception_view(forge_sign_in_view, context=SignInRequired, ack_forge_request=True)
