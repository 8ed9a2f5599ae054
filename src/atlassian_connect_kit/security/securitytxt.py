"""``/.well-known/security.txt`` (RFC 9116): where to report a vulnerability.

Rendered from the settings on each request, so it always names the configured contact and
policy. ``Expires`` is set 180 days after the current day: the file stays valid while the app
runs, and a copy someone cached goes stale within half a year, as the RFC intends.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response

from atlassian_connect_kit.services import get_settings
from atlassian_connect_kit.settings import Settings

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

PATH = "/.well-known/security.txt"
VALIDITY = dt.timedelta(days=180)
"""How far ahead ``Expires`` lies (RFC 9116 recommends less than a year)."""


def render_security_txt(settings: Settings, *, now: dt.datetime) -> str:
    """Return the security.txt body for ``settings`` at ``now`` (an aware datetime)."""
    day = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    expires = day + VALIDITY
    lines = [f"Contact: {settings.security_contact}"]
    lines.append(f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}")
    if settings.security_policy_url:
        lines.append(f"Policy: {settings.security_policy_url}")
    lines.append("Preferred-Languages: en")
    if settings.base_url:
        lines.append(f"Canonical: {settings.base_url}{PATH}")
    return "\n".join(lines) + "\n"


def security_txt_view(request: Request) -> Response:
    """Serve security.txt; 404 in dev mode when no contact is configured."""
    settings = get_settings(request)
    if not settings.security_contact:
        return HTTPNotFound("no security contact is configured (ack.security.contact)")
    body = render_security_txt(settings, now=dt.datetime.now(dt.UTC))
    response = Response(body, content_type="text/plain", charset="utf-8")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def includeme(config: Configurator) -> None:
    """Add the security.txt route, public (it must be readable without a token)."""
    config.add_route("ack.security_txt", PATH, request_method=("GET", "HEAD"))
    config.add_view(security_txt_view, route_name="ack.security_txt", connect_auth="public")
