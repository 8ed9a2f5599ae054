"""Authentication of every view: the ``connect_auth`` view option and the security policy.

Each view declares ``connect_auth="jwt" | "context" | "public"``; a view without one is a
configuration error at start-up, so no route can be left unprotected by omission. The security
policy asks the ``ack_authenticate`` hook for the identity, so another host protocol can plug in
beside Connect without touching views.

A view that shows what only a signed-in user may see also declares ``connect_require_user``
(``True``, or the message to show): a valid token that names no user (Jira's tokens for anonymous
visitors) is then refused with 401 before the view runs, whatever the descriptor's conditions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

from pyramid.exceptions import ConfigurationError
from pyramid.response import Response

from atlassian_connect_kit.auth.identity import AUTH_MODES, AuthenticationFailed, Identity
from atlassian_connect_kit.auth.managed_views import MANAGED_OPTION, is_static, rule_applies
from atlassian_connect_kit.host.errors import SignInRequired
from atlassian_connect_kit.responses import WWW_AUTHENTICATE, json_error
from atlassian_connect_kit.services import get_plugin_manager

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.interfaces import IViewDeriverInfo
    from pyramid.request import Request

log = logging.getLogger(__name__)
# The request attribute holding (mode, identity or refusal) once a request is authenticated.
_IDENTITY_MEMO = "_ack_identity_outcome"


class ConnectSecurityPolicy:
    """Pyramid security policy whose identity comes from the ``ack_authenticate`` hook.

    ``fallback`` is the security policy of a host application that includes the kit: requests
    to the host's own views (those the kit does not authenticate) are answered by it, so its
    identity, permissions and ``remember``/``forget`` keep working there.
    """

    def __init__(self, fallback: Any = None) -> None:
        """Answer for the kit's views; ask ``fallback`` (if any) for every other request."""
        self.fallback = fallback

    def _host_request(self, request: Request) -> bool:
        return self.fallback is not None and getattr(request, "ack_auth_mode", None) is None

    def identity(self, request: Request) -> Any:
        """Authenticate the request for the mode its view declared (``None`` when public).

        Pyramid asks again for every ``request.identity``, ``authenticated_userid`` and
        permission check, and a view, its page token and its host client each ask: the outcome,
        an identity or a refusal, is kept on the request, so a request is authenticated once.
        """
        if self._host_request(request):
            return self.fallback.identity(request)
        mode = getattr(request, "ack_auth_mode", "public")
        if mode == "public":
            return None
        remembered: tuple[str, Identity | AuthenticationFailed | None] | None = getattr(
            request, _IDENTITY_MEMO, None
        )
        if remembered is not None and remembered[0] == mode:
            outcome = remembered[1]
            if isinstance(outcome, AuthenticationFailed):
                # A new exception each time: the kept one holds no traceback (and no frames
                # referring back to this request).
                raise AuthenticationFailed(outcome.reason, status=outcome.status)
            return outcome
        pm = get_plugin_manager(request)
        try:
            result: Identity | None = pm.hook.ack_authenticate(request=request, mode=mode)
        except AuthenticationFailed as failure:
            kept = AuthenticationFailed(failure.reason, status=failure.status)
            setattr(request, _IDENTITY_MEMO, (mode, kept))
            raise
        # Not kept: errors such as DatabaseUnavailable, which a later attempt may overcome.
        setattr(request, _IDENTITY_MEMO, (mode, result))
        return result

    def authenticated_userid(self, request: Request) -> Any:
        """The accountId of the authenticated user, if any."""
        if self._host_request(request):
            return self.fallback.authenticated_userid(request)
        identity = request.identity
        return identity.account_id if identity is not None else None

    def permits(self, request: Request, context: Any, permission: str) -> bool:
        """The kit's views are guarded by their ``connect_auth`` mode, not by permissions."""
        if self._host_request(request):
            return bool(self.fallback.permits(request, context, permission))
        return True

    def remember(self, request: Request, userid: Any, **kw: Any) -> list[tuple[str, str]]:
        """Connect authentication is per request; nothing is remembered (the host's may)."""
        if self.fallback is not None:
            return list(self.fallback.remember(request, userid, **kw))
        return []

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        """Nothing to forget (no sessions), except what the host's policy remembered."""
        if self.fallback is not None:
            return list(self.fallback.forget(request, **kw))
        return []


def _forbid_storing(response: Response) -> None:
    # Authenticated answers are per user: no cache may keep them. Appending the header is
    # cheaper than parsing it into webob's CacheControl when the view set none (the usual case).
    if "Cache-Control" in response.headers:
        response.cache_control.no_store = True
    else:
        response.headerlist.append(("Cache-Control", "no-store"))


def sign_in_required_view(error: SignInRequired, request: Request) -> Response:
    """401 for a request without a signed-in user: HTML for pages, JSON for everything else.

    Pages (``connect_auth="jwt"``) are what Jira shows in its iframe, so they get a readable page;
    the XHRs and downloads of context routes get ``{"error": message}`` like every other refusal.
    """
    if getattr(request, "ack_auth_mode", None) == "jwt":
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>Sign in required</title></head>\n"
            f"<body><p>{escape(error.message)}</p></body></html>\n"
        )
        response = Response(page, status=401, content_type="text/html", charset="utf-8")
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        response.cache_control.no_store = True
        return response
    return json_error(error.message, 401)


def _required_user_message(info: IViewDeriverInfo, mode: str, name: str) -> str | None:
    # connect_require_user=True uses the default message; a string is the message itself.
    option = info.options.get("connect_require_user")
    if option is None or option is False:
        return None
    if mode == "public":
        raise ConfigurationError(f"view {name}: a public view cannot require a signed-in user")
    if option is True:
        return SignInRequired.DEFAULT_MESSAGE
    if isinstance(option, str) and option.strip():
        return option
    raise ConfigurationError(
        f"view {name}: connect_require_user must be true or the message to show"
    )


def connect_auth_deriver(view: Callable[..., Any], info: IViewDeriverInfo) -> Callable[..., Any]:
    """Wrap a view so it authenticates by its declared mode before it runs.

    With ``connect_require_user``, an identity without a user (an anonymous visitor) is refused
    by raising :class:`SignInRequired` before the view runs.
    """
    if info.exception_only:
        return view
    mode = info.options.get("connect_auth")
    if mode is None and (is_static(info) or not rule_applies(info)):
        # Static files are public by design; a host application's own views are its own.
        return view
    name = getattr(info.original_view, "__qualname__", repr(info.original_view))
    if mode not in AUTH_MODES:
        raise ConfigurationError(
            f"view {name} must declare connect_auth as one of {', '.join(AUTH_MODES)}"
        )
    required_user_message = _required_user_message(info, mode, name)

    def authenticated_view(context: Any, request: Request) -> Any:
        request.ack_auth_mode = mode
        if mode == "public":
            return view(context, request)
        try:
            identity = request.identity
        except AuthenticationFailed as failure:
            log.info(
                "authentication refused for %s %s: %s", request.method, request.path, failure.reason
            )
            return json_error(failure.reason, failure.status)
        if identity is None:
            return json_error("authentication required", 401)
        if required_user_message is not None and identity.account_id is None:
            log.info("sign-in required for %s %s: no user", request.method, request.path)
            raise SignInRequired(required_user_message)
        response = view(context, request)
        if isinstance(response, Response):
            _forbid_storing(response)
        return response

    return authenticated_view


def authentication_failed_view(failure: AuthenticationFailed, request: Request) -> Response:
    """Answer an :class:`AuthenticationFailed` raised inside a view with its status and reason."""
    log.info("authentication refused for %s %s: %s", request.method, request.path, failure.reason)
    return json_error(failure.reason, failure.status)


connect_auth_deriver.options = (  # type: ignore[attr-defined]
    "connect_auth",
    "connect_require_user",
    MANAGED_OPTION,
)


def includeme(config: Configurator) -> None:
    """Install the security policy and the ``connect_auth``/``connect_require_user`` options."""
    config.set_security_policy(ConnectSecurityPolicy())
    config.add_view_deriver(connect_auth_deriver, name="connect_auth")

    def forbidden(request: Request) -> Response:
        return json_error("authentication required", 401)

    # Pyramid answers an unauthenticated request with 403 by default; Connect expects 401.
    config.add_forbidden_view(forbidden)
    # Raised by request.jira for an anonymous viewer, and by views that require a user.
    config.add_exception_view(sign_in_required_view, context=SignInRequired)
    # Raised inside a view too: a public view asking request.ack_context_token() of a request
    # nobody signed is refused like any unauthenticated request, not answered with a 500.
    config.add_exception_view(authentication_failed_view, context=AuthenticationFailed)
