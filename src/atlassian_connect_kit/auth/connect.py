"""Connect JWT authentication of incoming requests: the kit's ``ack_authenticate`` implementation.

The unverified ``iss`` only selects the tenant; the token is then verified with that tenant's
secret, HS256 pinned, and its ``qsh`` checked against the request exactly as it arrived. A failed
verification re-reads the tenant once, so a secret rotated by another process works at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from atlassian_connect_kit.auth.identity import AuthenticationFailed, Identity
from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.auth.tokens import (
    ParsedToken,
    TokenError,
    mint_context_token,
    parse_token,
    token_from_request,
    unverified_issuer,
    verify_tenant_token,
)
from atlassian_connect_kit.auth.verified_tokens import VerifiedTokens
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.interfaces import ITenantStore
from atlassian_connect_kit.services import find_service, get_settings
from atlassian_connect_kit.storage.db import DatabaseUnavailable

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit.storage.store import TenantRecord


log = logging.getLogger(__name__)


def raw_path(request: Request) -> str:
    """The request path as the client sent it (still percent-encoded), for the qsh."""
    environ = request.environ
    for key in ("RAW_URI", "REQUEST_URI"):
        raw = environ.get(key)
        if isinstance(raw, str) and raw.startswith("/"):
            return raw.split("?", 1)[0]
    path: str = request.path
    return path


def request_qsh(request: Request, base_path: str) -> str:
    """The query string hash of ``request``, relative to the app's base path."""
    query = request.environ.get("QUERY_STRING", "")
    return query_string_hash(request.method, raw_path(request), query, base_path)


@dataclass
class _PresentedToken:
    """The token a request presents, for its route, parsed only if the memo does not know it."""

    text: str
    expected_qsh: str
    allow_context_qsh: bool
    _parsed: ParsedToken | None = None

    def parsed(self) -> ParsedToken:
        """The token parsed (once)."""
        if self._parsed is None:
            self._parsed = parse_token(self.text)
        return self._parsed


def _verify(
    token: _PresentedToken,
    tenant: TenantRecord,
    verified: VerifiedTokens,
    leeway: int,
    max_lifetime: int,
) -> dict[str, Any]:
    return verified.verify(
        token.text,
        expected_qsh=token.expected_qsh,
        allow_context_qsh=token.allow_context_qsh,
        shared_secret=tenant.shared_secret,
        leeway=leeway,
        verifier=lambda: verify_tenant_token(
            token.parsed(),
            shared_secret=tenant.shared_secret,
            client_key=tenant.client_key,
            expected_qsh=token.expected_qsh,
            allow_context_qsh=token.allow_context_qsh,
            leeway=leeway,
            max_lifetime=max_lifetime,
        ),
    )


def known_tenant(request: Request, client_key: str, *, fresh: bool = False) -> TenantRecord:
    """The stored tenant of ``client_key`` (``fresh``: read from the database, not a cache).

    Raises :class:`AuthenticationFailed` ("unknown tenant") when the site is not installed.
    """
    return _stored_tenant(find_service(request, ITenantStore), client_key, fresh=fresh)


def _stored_tenant(store: ITenantStore, client_key: str, *, fresh: bool = False) -> TenantRecord:
    tenant = store.get(client_key, fresh=fresh)
    if tenant is None:
        raise AuthenticationFailed("unknown tenant")
    return tenant


def authenticate_connect_request(request: Request, mode: str) -> Identity:
    """Verify the request's Connect JWT for a ``jwt`` or ``context`` view; raise on failure."""
    settings = get_settings(request)
    store = find_service(request, ITenantStore)
    verified = find_service(request, VerifiedTokens)
    # The header wins over the query; the query is parsed only when the header carries none.
    text = token_from_request(None, request.environ.get("HTTP_AUTHORIZATION"))
    if text is None:
        text = token_from_request(request.GET.get("jwt"), None)
    if text is None:
        raise AuthenticationFailed("authentication required")
    token = _PresentedToken(text, request_qsh(request, settings.base_path), mode == "context")
    try:
        # A token verified before (a page's XHRs reuse theirs) names its issuer in the memo;
        # any other is parsed once, for its issuer here and for its verification below.
        client_key = verified.issuer(
            text, expected_qsh=token.expected_qsh, allow_context_qsh=token.allow_context_qsh
        ) or unverified_issuer(token.parsed())
    except TokenError as error:
        raise AuthenticationFailed(str(error)) from None
    tenant = _stored_tenant(store, client_key)
    try:
        claims = _verify(token, tenant, verified, settings.jwt_leeway, settings.jwt_max_lifetime)
    except TokenError as error:
        current = store.get(client_key, fresh=True)
        if current is None or current.shared_secret == tenant.shared_secret:
            raise AuthenticationFailed(str(error)) from None
        try:
            claims = _verify(
                token, current, verified, settings.jwt_leeway, settings.jwt_max_lifetime
            )
        except TokenError as second_error:
            raise AuthenticationFailed(str(second_error)) from None
        tenant = current
    if not tenant.enabled:
        current = store.get(client_key, fresh=True)
        if current is None or not current.enabled:
            raise AuthenticationFailed("the app is disabled for this site")
        tenant = current
    try:
        store.touch(client_key)
    except DatabaseUnavailable as error:
        # The last-seen time is bookkeeping: a request the cached tenant authenticated is
        # served without it (the store tries again later), rather than refused with a 503.
        log.info("last-seen time of %s not recorded: %s", client_key, error)
    subject = claims.get("sub")
    context = claims.get("context")
    return Identity(
        client_key=tenant.client_key,
        account_id=subject if isinstance(subject, str) and subject else None,
        base_url=tenant.base_url,
        context=context if isinstance(context, dict) else {},
        mode=mode,
    )


def context_token(request: Request) -> str:
    """Mint a short-lived context token for the authenticated viewer, for the page's XHRs."""
    identity: Identity | None = request.identity
    if identity is None:
        raise AuthenticationFailed("authentication required")
    tenant = known_tenant(request, identity.client_key)
    return mint_context_token(
        client_key=tenant.client_key,
        shared_secret=tenant.shared_secret,
        account_id=identity.account_id,
        lifetime_seconds=get_settings(request).context_token_seconds,
    )


@hookimpl(trylast=True)
def ack_authenticate(request: Request, mode: str) -> Identity | None:
    """Authenticate with Atlassian Connect JWTs (the kit's default host protocol)."""
    if mode == "forge":
        raise AuthenticationFailed("a Forge invocation token is required")
    # A view that also accepts Forge invocations takes Connect context tokens as "context" does.
    return authenticate_connect_request(request, "context" if mode == "context+forge" else mode)


def includeme(config: Configurator) -> None:
    """Register the memo of verified tokens (``request.ack_context_token()`` mints tokens)."""
    config.register_service(VerifiedTokens(), VerifiedTokens)
