"""HTTPS only, and the security headers every response carries: a Pyramid tween.

Outside dev mode a request that did not arrive over TLS is refused (``wsgi.url_scheme`` as the
WSGI server sets it, after its trusted-proxy handling, or as ``forwarded.py`` sets it from a
trusted proxy's ``X-Forwarded-Proto`` when ``ack.forwarded_allow_ips`` is set): a GET or HEAD
is redirected to the same path on the app's https base URL (without its ``jwt`` parameter),
anything else gets 403, so a token in a form or header never counts as accepted over plain
http. Every response then carries:

- ``Strict-Transport-Security`` (one year, subdomains): browsers stop trying http at all;
- ``X-Content-Type-Options: nosniff``: a download or JSON is never run as a script;
- ``Referrer-Policy: no-referrer``: the app's pages carry JWTs in their URLs, which must not leak
  to other sites through the Referer header;
- ``Content-Security-Policy: frame-ancestors 'self' <ack.security.frame_ancestors>``: only Jira
  may frame the app's pages (a view's own policy is kept, with frame-ancestors added if absent).

Every response means every one: an error no view turned into a response becomes a short JSON 500
here (logged with its traceback), with the headers like any other.

Dev mode serves http on localhost, so it neither refuses http nor sends HSTS (which would pin
https on localhost for a year); the other headers are the same, so pages behave alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlsplit

from pyramid.httpexceptions import HTTPPermanentRedirect
from pyramid.response import Response
from pyramid.tweens import INGRESS

from atlassian_connect_kit.responses import json_error
from atlassian_connect_kit.security.forwarded import ForwardedProto
from atlassian_connect_kit.services import get_settings
from atlassian_connect_kit.settings import Settings, SettingsError

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

log = logging.getLogger(__name__)

HSTS = "max-age=31536000; includeSubDomains"
"""One year, subdomains included."""

Handler = Callable[["Request"], Response]


def frame_ancestors(settings: Settings) -> str:
    """The CSP ``frame-ancestors`` directive for the configured origins."""
    return " ".join(("frame-ancestors", "'self'", *settings.security_frame_ancestors))


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers set on every response (HSTS outside dev mode only)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if not settings.dev_mode:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def require_security_contact(settings: Settings) -> None:
    """Refuse to serve outside dev mode without ``ack.security.contact`` (RFC 9116 needs one)."""
    if not settings.dev_mode and not settings.security_contact:
        raise SettingsError(
            "ack.security.contact",
            "is required outside dev mode (a mailto: or https: URI for vulnerability reports, "
            "published in /.well-known/security.txt)",
        )


def query_without_token(query: str) -> str:
    """The raw query string ``query`` without its ``jwt`` parameters.

    Every other parameter is kept exactly as sent, in its order and encoding; a parameter named
    ``jwt`` in any spelling the app would accept (``%6Awt`` decodes to ``jwt``) is dropped.
    """
    kept = [
        pair for pair in query.split("&") if pair and unquote_plus(pair.partition("=")[0]) != "jwt"
    ]
    return "&".join(kept)


def _https_url(settings: Settings, request: Request) -> str:
    # The base URL's host, never the request's Host header: a redirect must not be steerable.
    # The token is dropped: a Location header ends up in logs and browser history.
    origin = urlsplit(settings.base_url)
    query = query_without_token(request.environ.get("QUERY_STRING", ""))
    return f"https://{origin.netloc}{request.path}" + (f"?{query}" if query else "")


def _refuse_plain_http(settings: Settings, request: Request) -> Response:
    if request.method in ("GET", "HEAD"):
        return HTTPPermanentRedirect(location=_https_url(settings, request))
    return json_error("https is required", 403)


def _internal_error() -> Response:
    return json_error("internal error", 500)


def _add_frame_ancestors(response: Response, directive: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "").strip().rstrip(";")
    if "frame-ancestors" in policy:
        return
    response.headers["Content-Security-Policy"] = f"{policy}; {directive}" if policy else directive


def security_tween_factory(handler: Handler, registry: Any) -> Handler:
    """Wrap the application: refuse plain http outside dev mode, add the security headers."""
    settings = get_settings(registry)
    headers = security_headers(settings)
    directive = frame_ancestors(settings)
    # Most responses set none of these headers themselves: they get all of them appended at
    # once, without the search and rebuild of the header list each assignment costs.
    appended = [*headers.items(), ("Content-Security-Policy", directive)]
    managed = frozenset(name.lower() for name, _ in appended)
    forwarded = ForwardedProto(settings.forwarded_allow_ips)

    def security_tween(request: Request) -> Response:
        if forwarded.enabled:
            forwarded.apply(request.environ)
        if not settings.dev_mode and request.scheme != "https":
            response = _refuse_plain_http(settings, request)
        else:
            try:
                response = handler(request)
            except Exception:
                # Left to the server, an unexpected error would be a bare 500 without the headers.
                log.exception("unexpected error answering %s %s", request.method, request.path)
                response = _internal_error()
        if not any(name.lower() in managed for name, _ in response.headerlist):
            response.headerlist.extend(appended)
            return response
        for name, value in headers.items():
            response.headers[name] = value
        _add_frame_ancestors(response, directive)
        return response

    return security_tween


def includeme(config: Configurator) -> None:
    """Check the security contact and install the tween outermost, so every response has it."""
    require_security_contact(get_settings(config))
    config.add_tween(f"{__name__}.security_tween_factory", under=INGRESS)
