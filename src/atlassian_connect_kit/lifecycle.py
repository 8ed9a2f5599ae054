"""The lifecycle callbacks Jira sends: installed, uninstalled, enabled, disabled.

``installed`` and ``uninstalled`` accept only RS256 tokens signed by Atlassian (signed install):
the key comes from the install-keys service by kid, ``aud`` must name this app's base URL and
``iss`` the body's clientKey. HS256 tokens, context tokens and unsigned calls are refused before
anything is written, so nobody can overwrite a tenant's secret by re-installing. ``enabled`` and
``disabled`` are signed with the tenant's current shared secret.

Every callback is verified in the same order: the token first, then the body, which is read only
once the token holds (at most :data:`MAX_BODY_BYTES`, a JSON object at most
:data:`MAX_BODY_DEPTH` deep), then the body is checked against the verified token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyramid.httpexceptions import HTTPNoContent
from pyramid.response import Response

from atlassian_connect_kit.auth.connect import known_tenant, request_qsh
from atlassian_connect_kit.auth.identity import AuthenticationFailed
from atlassian_connect_kit.auth.install_keys import (
    InstallKeyFetcher,
    InstallKeyUnavailable,
    InvalidKeyId,
)
from atlassian_connect_kit.auth.tokens import (
    TokenError,
    token_from_request,
    unverified_header,
    unverified_issuer,
    verify_install_token,
    verify_tenant_token,
)
from atlassian_connect_kit.interfaces import IInstallKeyFetcher, ILifecycleTokens, ITenantStore
from atlassian_connect_kit.plugins import is_core_plugin
from atlassian_connect_kit.responses import json_error
from atlassian_connect_kit.security.limits import RequestBodyTooLarge, read_limited_body
from atlassian_connect_kit.services import find_service, get_plugin_manager, get_settings
from atlassian_connect_kit.storage.store import InstallPayload

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit.settings import Settings
    from atlassian_connect_kit.storage.store import TenantRecord

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
"""The largest lifecycle body read (Jira's are about a kilobyte); larger gets 413."""

MAX_BODY_DEPTH = 16
"""The deepest nesting of a lifecycle body (Jira's are flat objects); deeper gets 400."""


class LifecycleRefused(Exception):
    """A lifecycle callback is refused; ``status`` and ``reason`` make the short response."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _settings(request: Request) -> Settings:
    return get_settings(request)


def _header_token(request: Request) -> str:
    # Lifecycle callbacks carry their token in the Authorization header only.
    token = token_from_request(None, request.headers.get("Authorization"))
    if token is None:
        raise LifecycleRefused("a signed lifecycle token is required")
    return token


def _depth(value: Any) -> int:
    # Iterative, so a hostile document cannot exhaust the stack while being measured.
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return deepest


def read_lifecycle_body(request: Request) -> dict[str, Any]:
    """The callback's JSON object, read only once its token is verified.

    At most :data:`MAX_BODY_BYTES` are read (more gets 413, a declared larger length before
    anything is read); a body that is not a JSON object, or nests deeper than
    :data:`MAX_BODY_DEPTH`, gets 400.
    """
    return _read_lifecycle(request)[1]


def _read_lifecycle(request: Request) -> tuple[bytes, dict[str, Any]]:
    # The raw bytes too: the token memory binds an accepted token to exactly this body.
    try:
        raw = read_limited_body(request, MAX_BODY_BYTES)
    except RequestBodyTooLarge as error:
        raise LifecycleRefused(str(error), 413) from None
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise LifecycleRefused("the body must be JSON", 400) from None
    except RecursionError:
        raise LifecycleRefused("the body is nested too deeply", 400) from None
    if not isinstance(body, dict):
        raise LifecycleRefused("the body must be a JSON object", 400)
    if _depth(body) > MAX_BODY_DEPTH:
        raise LifecycleRefused("the body is nested too deeply", 400)
    return raw, body


def verify_install_callback_token(request: Request) -> dict[str, Any]:
    """Verify the RS256 token of an ``installed``/``uninstalled`` callback; return its claims.

    Nothing of the body is read: the issuer the token names is checked against the body later.
    """
    settings = _settings(request)
    token = _header_token(request)
    try:
        header = unverified_header(token)
        issuer = unverified_issuer(token)
    except TokenError as error:
        raise LifecycleRefused(str(error)) from None
    if header.get("alg") != "RS256":
        raise LifecycleRefused("lifecycle callbacks must be signed with RS256")
    fetcher = find_service(request, IInstallKeyFetcher)
    try:
        public_key = fetcher.public_key(header.get("kid"))
    except InvalidKeyId as error:
        raise LifecycleRefused(str(error)) from None
    except InstallKeyUnavailable as error:
        log.warning("signed install could not be verified: %s", error)
        raise LifecycleRefused("install key service unavailable, try again", 503) from None
    try:
        return verify_install_token(
            token,
            public_key_pem=public_key,
            app_base_url=settings.base_url,
            client_key=issuer,
            expected_qsh=request_qsh(request, settings.base_path),
            leeway=settings.jwt_leeway,
            max_lifetime=settings.jwt_max_lifetime,
        )
    except TokenError as error:
        raise LifecycleRefused(str(error)) from None


def _accept_once(request: Request, raw_body: bytes, claims: dict[str, Any]) -> None:
    """Refuse a verified token already accepted with another body (every worker remembers it)."""
    token = _header_token(request)
    expires_at = float(claims["exp"]) + _settings(request).jwt_leeway
    if not find_service(request, ILifecycleTokens).accept(token, raw_body, expires_at=expires_at):
        raise LifecycleRefused("this token was already used with another body")


def verify_signed_lifecycle(request: Request) -> dict[str, Any]:
    """Verify an RS256 ``installed``/``uninstalled`` callback and return its JSON body.

    The token is verified first; only then is the body read (capped and parsed), and its
    ``clientKey`` must be the token's verified issuer.
    """
    claims = verify_install_callback_token(request)
    raw_body, body = _read_lifecycle(request)
    client_key = body.get("clientKey")
    if not isinstance(client_key, str) or not client_key:
        raise LifecycleRefused("clientKey is missing", 400)
    if client_key != claims["iss"]:
        raise LifecycleRefused("clientKey does not match the token")
    _accept_once(request, raw_body, claims)
    return body


def verify_tenant_callback_token(request: Request) -> TenantRecord:
    """Verify the HS256 token of an ``enabled``/``disabled`` callback; return its tenant.

    The token must be signed with the tenant's current secret (read afresh, so a secret rotated
    through another process counts at once) and bound to this very request (no context token).
    Nothing of the body is read.
    """
    return _verify_tenant_callback(request)[0]


def _verify_tenant_callback(request: Request) -> tuple[TenantRecord, dict[str, Any]]:
    settings = _settings(request)
    token = _header_token(request)
    try:
        client_key = unverified_issuer(token)
    except TokenError as error:
        raise LifecycleRefused(str(error)) from None
    try:
        tenant = known_tenant(request, client_key, fresh=True)
    except AuthenticationFailed as failure:
        raise LifecycleRefused(failure.reason, failure.status) from None
    try:
        claims = verify_tenant_token(
            token,
            shared_secret=tenant.shared_secret,
            client_key=tenant.client_key,
            expected_qsh=request_qsh(request, settings.base_path),
            allow_context_qsh=False,
            leeway=settings.jwt_leeway,
            max_lifetime=settings.jwt_max_lifetime,
        )
    except TokenError as error:
        raise LifecycleRefused(str(error)) from None
    return tenant, claims


def verify_tenant_lifecycle(request: Request) -> tuple[TenantRecord, dict[str, Any]]:
    """Verify an ``enabled``/``disabled`` callback; return its tenant and JSON body.

    The token is verified first; only then is the body read, and a ``clientKey`` in it must be
    the tenant's.
    """
    tenant, claims = _verify_tenant_callback(request)
    raw_body, body = _read_lifecycle(request)
    if body.get("clientKey") not in (None, tenant.client_key):
        raise LifecycleRefused("clientKey does not match the token")
    _accept_once(request, raw_body, claims)
    return tenant, body


def installed_view(request: Request) -> Response:
    """Store (or update) the tenant from a verified signed install."""
    body = verify_signed_lifecycle(request)
    try:
        payload = InstallPayload.from_lifecycle_body(body, allow_http=_settings(request).dev_mode)
    except ValueError as error:
        raise LifecycleRefused(str(error), 400) from None
    tenant = find_service(request, ITenantStore).save_install(payload)
    log.info("tenant installed: %s", tenant.client_key)
    get_plugin_manager(request).hook.ack_tenant_installed(tenant=tenant.view(), request=request)
    return HTTPNoContent()


def uninstalled_view(request: Request) -> Response:
    """Tell plugins the tenant is removed, from a verified signed uninstall.

    The kit's privacy part deletes every row the tenant owns in its own implementation of
    ``ack_tenant_uninstalled``, registered last, so add-ons are told while the rows are there.
    """
    body = verify_signed_lifecycle(request)
    client_key = str(body["clientKey"])
    pm = get_plugin_manager(request)
    hook = pm.hook.ack_tenant_uninstalled
    if find_service(request, ITenantStore).get(client_key, fresh=True) is None:
        # Already removed (a retry, maybe on another worker): the add-ons were told then. The
        # kit's own implementation still runs, so rows left for this clientKey go too.
        addons = [plugin for name, plugin in pm.list_name_plugin() if not is_core_plugin(name)]
        hook = pm.subset_hook_caller("ack_tenant_uninstalled", remove_plugins=addons)
    hook(client_key=client_key, request=request)
    return HTTPNoContent()


def _toggle(request: Request, enabled: bool) -> Response:
    tenant, _ = verify_tenant_lifecycle(request)
    client_key = tenant.client_key
    store = find_service(request, ITenantStore)
    store.set_enabled(client_key, enabled)
    updated = (store.get(client_key, fresh=True) or tenant).view()
    pm = get_plugin_manager(request)
    if enabled:
        pm.hook.ack_tenant_enabled(tenant=updated, request=request)
    else:
        pm.hook.ack_tenant_disabled(tenant=updated, request=request)
    log.info("tenant %s: %s", "enabled" if enabled else "disabled", client_key)
    return HTTPNoContent()


def enabled_view(request: Request) -> Response:
    """Mark the tenant enabled (HS256 with its current secret)."""
    return _toggle(request, True)


def disabled_view(request: Request) -> Response:
    """Mark the tenant disabled (HS256 with its current secret): its requests then get 401."""
    return _toggle(request, False)


def lifecycle_refused_view(exc: LifecycleRefused, request: Request) -> Response:
    """A short refusal that names no token, secret or claim value."""
    log.info("lifecycle %s refused: %s", request.path, exc.reason)
    return json_error(exc.reason, exc.status)


def request_only(view: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """``view`` behind an explicit ``(request)`` signature.

    Pyramid's view mapper reads a view's signature to choose between ``view(request)`` and
    ``view(context, request)``; a view wrapped in ``(*args, **kwargs)`` (mutation testing wraps
    every function of the modules it mutates) would otherwise be handed the context too.
    """

    def lifecycle_view(request: Request) -> Response:
        return view(request)

    return lifecycle_view


def includeme(config: Configurator) -> None:
    """Register the install-key fetcher and the lifecycle routes (paths as in the template)."""
    settings = get_settings(config)
    config.register_service(InstallKeyFetcher(settings.install_keys_url), IInstallKeyFetcher)
    views = {
        "installed": installed_view,
        "uninstalled": uninstalled_view,
        "enabled": enabled_view,
        "disabled": disabled_view,
    }
    for event, view in views.items():
        route = f"ack.lifecycle.{event}"
        config.add_route(route, f"/{event}", request_method="POST")
        # "public" to the JWT policy: these views verify their own, lifecycle-specific tokens.
        config.add_view(request_only(view), route_name=route, connect_auth="public")
    config.add_exception_view(lifecycle_refused_view, context=LifecycleRefused)
