"""HTTP for the fake site: one WSGI application and a threaded server on 127.0.0.1.

Each request passes, in order: injected latency and delays, injected failures, routing,
authentication, scope check, rate limiting, the handler; then it is logged. The REST API lives
under the site's base path; the install-keys and OAuth 2.0 endpoints, which Atlassian serves from
hosts of their own, live at the root, and so do Forge's JWKS (``/.well-known/jwks.json``) and the
API gateway Forge apps call (``/ex/jira/<cloudId>/rest/...``, with Forge app tokens).
"""

from __future__ import annotations

import http
import logging
import socketserver
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from atlassian_connect_kit.testing.fakejira.auth import (
    AuthenticationError,
    Caller,
    OAuthError,
    authenticate,
    authenticate_forge,
    exchange_assertion,
)
from atlassian_connect_kit.testing.fakejira.faults import path_is_under
from atlassian_connect_kit.testing.fakejira.forge import JWKS_PATH, api_request_target
from atlassian_connect_kit.testing.fakejira.requestlog import RequestRecord
from atlassian_connect_kit.testing.fakejira.responses import (
    RequestError,
    Response,
    error_response,
    json_response,
)
from atlassian_connect_kit.testing.fakejira.rest import ROUTES, RestRequest, Route

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from atlassian_connect_kit.testing.fakejira.state import SiteState

INSTALL_KEYS_PATH = "/connect-install-keys"
"""Root path of the install-key server; a key is served at ``<this>/<kid>``."""

OAUTH2_TOKEN_PATH = "/oauth2/token"
"""Path of the OAuth 2.0 token endpoint."""

_LOGGER = logging.getLogger(__name__)
_MAX_BODY = 16 * 1024 * 1024
_POLL_INTERVAL = 0.05
_REST_PREFIX = "/rest/"


@dataclass(slots=True)
class _Outcome:
    """A response plus who it was for, which the request log records."""

    response: Response
    caller: Caller | None = None


class FakeJiraApplication:
    """The WSGI application of one fake site."""

    def __init__(self, state: SiteState) -> None:
        self._state = state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request and record it in the site's request log."""
        arrived = time.time()
        clock = time.perf_counter()
        method = str(environ["REQUEST_METHOD"]).upper()
        raw_path = str(environ.get("RAW_URI") or environ.get("PATH_INFO") or "/").split("?", 1)[0]
        raw_query = str(environ.get("QUERY_STRING") or "")
        relative = self._relative(raw_path)
        try:
            outcome = self._answer(environ, method, raw_path, raw_query, relative)
        except Exception:
            _LOGGER.exception("fake Jira failed on %s %s", method, raw_path)
            outcome = _Outcome(error_response(500, "Internal server error."))
        response = outcome.response
        caller = outcome.caller
        self._state.log.append(
            RequestRecord(
                method=method,
                path=relative if relative is not None else raw_path,
                query=raw_query,
                status=response.status,
                acting_as=caller.acting_as if caller else None,
                account_id=caller.account_id if caller else None,
                time=arrived,
                duration=time.perf_counter() - clock,
            )
        )
        headers = list(response.headers)
        if response.content_type is not None:
            headers.append(("Content-Type", response.content_type))
        headers.append(("Content-Length", str(len(response.body))))
        start_response(_status_line(response.status), headers)
        return [response.body]

    def _relative(self, raw_path: str) -> str | None:
        base = self._state.base_path
        if not base:
            return raw_path
        if raw_path == base or raw_path.startswith(base + "/"):
            return raw_path[len(base) :] or "/"
        return None

    def _answer(
        self,
        environ: WSGIEnvironment,
        method: str,
        raw_path: str,
        raw_query: str,
        relative: str | None,
    ) -> _Outcome:
        state = self._state
        fault_path = relative if relative is not None else raw_path
        delay = state.latency + state.faults.take_delay(method, fault_path)
        if delay > 0:
            # Waiting on the stop event rather than sleeping lets a shutdown end held requests.
            state.stopping.wait(delay)
        failure = state.faults.take_failure(method, fault_path)
        if failure is not None:
            response = error_response(failure.status, f"{_reason(failure.status)} (injected).")
            if failure.retry_after is not None:
                response.headers.append(("Retry-After", failure.retry_after))
            return _Outcome(response)
        forge_target = api_request_target(raw_path)
        if forge_target is not None:
            return self._forge_rest(environ, method, raw_query, *forge_target)
        if raw_path == JWKS_PATH:
            return _Outcome(self._jwks(method))
        if relative is not None and relative.startswith(_REST_PREFIX):
            return self._rest(environ, method, raw_path, raw_query, relative)
        if raw_path == OAUTH2_TOKEN_PATH:
            return _Outcome(self._token(environ, method))
        if path_is_under(raw_path, INSTALL_KEYS_PATH) and raw_path != INSTALL_KEYS_PATH:
            return _Outcome(self._install_key(method, raw_path))
        return _Outcome(error_response(404, "Not found."))

    def _rest(
        self,
        environ: WSGIEnvironment,
        method: str,
        raw_path: str,
        raw_query: str,
        relative: str,
    ) -> _Outcome:
        state = self._state
        route, path_args, refusal = _route(method, relative)
        if route is None:
            return _Outcome(refusal)
        try:
            caller = authenticate(
                environ.get("HTTP_AUTHORIZATION"),
                method=method,
                raw_path=raw_path,
                raw_query=raw_query,
                base_path=state.base_path,
                apps=state.apps,
                tokens=state.tokens,
                now=time.time(),
            )
        except AuthenticationError as error:
            return _Outcome(error_response(401, str(error)))
        return self._serve(environ, method, raw_query, route, path_args, caller, state.base_url)

    def _forge_rest(
        self, environ: WSGIEnvironment, method: str, raw_query: str, cloud_id: str, relative: str
    ) -> _Outcome:
        state = self._state
        if not relative.startswith(_REST_PREFIX):
            return _Outcome(error_response(404, "Not found."))
        route, path_args, refusal = _route(method, relative)
        if route is None:
            return _Outcome(refusal)
        try:
            caller, installation = authenticate_forge(
                environ.get("HTTP_AUTHORIZATION"),
                installations=state.forge_installations,
                tokens=state.forge_tokens,
                now=time.time(),
            )
        except AuthenticationError as error:
            return _Outcome(error_response(401, str(error)))
        if cloud_id != installation.cloud_id:
            return _Outcome(error_response(404, "No site with this cloud id."), caller)
        return self._serve(
            environ, method, raw_query, route, path_args, caller, installation.api_base_url
        )

    def _serve(
        self,
        environ: WSGIEnvironment,
        method: str,
        raw_query: str,
        route: Route,
        path_args: dict[str, str],
        caller: Caller,
        base_url: str,
    ) -> _Outcome:
        """Scope check, rate limit and the handler, for an authenticated caller."""
        state = self._state
        if route.scope is not None and route.scope not in caller.scopes:
            message = f"The app's scopes do not allow this request; it needs {route.scope}."
            return _Outcome(error_response(403, message), caller)
        limiter = state.rate_limiter
        if limiter is not None:
            admission = limiter.admit(route.family)
            if not admission.allowed:
                response = error_response(429, "Rate limit exceeded.")
                response.headers.extend(limiter.headers())
                response.headers.append(("Retry-After", str(admission.retry_after)))
                response.headers.append(("RateLimit-Reason", str(admission.reason)))
                return _Outcome(response, caller)
        request = RestRequest(
            method=method,
            params=parse_qs(raw_query, keep_blank_values=True),
            path_args={name: unquote(value) for name, value in path_args.items()},
            body=_read_body(environ),
            caller=caller,
            data=state.data,
            base_url=base_url,
            properties=state.properties,
            app_properties=state.app_properties,
            dashboards=state.dashboards,
        )
        try:
            response = route.handler(request)
        except RequestError as error:
            response = error_response(error.status, *error.messages)
        if limiter is not None:
            limiter.charge(response.points)
            response.headers.extend(limiter.headers())
        return _Outcome(response, caller)

    def _token(self, environ: WSGIEnvironment, method: str) -> Response:
        if method != "POST":
            return error_response(405, "Use POST.")
        state = self._state
        fields = parse_qs(_read_body(environ).decode("utf-8", "replace"), keep_blank_values=True)
        form = {name: values[0] for name, values in fields.items()}
        try:
            body = exchange_assertion(
                form,
                apps=state.apps,
                data=state.data,
                site_base_url=state.base_url,
                audience=state.oauth_audience,
                tokens=state.tokens,
                lifetime=state.token_lifetime,
                now=time.time(),
            )
        except OAuthError as error:
            return json_response(
                error.status, {"error": error.error, "error_description": error.description}
            )
        response = json_response(200, body)
        response.headers.append(("Cache-Control", "no-store"))
        return response

    def _jwks(self, method: str) -> Response:
        if method != "GET":
            return error_response(405, "Use GET.")
        response = json_response(200, self._state.forge_keys.jwks())
        response.headers.append(("Cache-Control", "max-age=300"))
        return response

    def _install_key(self, method: str, raw_path: str) -> Response:
        if method != "GET":
            return error_response(405, "Use GET.")
        kid = unquote(raw_path[len(INSTALL_KEYS_PATH) + 1 :])
        pem = self._state.keys.public_pem(kid)
        if pem is None:
            return Response(404, b"No such key.\n", "text/plain; charset=utf-8")
        return Response(200, pem.encode("ascii"), "application/x-pem-file")


class RunningServer:
    """A started, threaded HTTP server for one WSGI application on ``127.0.0.1``.

    ``port`` 0 picks a free ephemeral port. Any WSGI application will do, which lets tests run
    the apps the fake site talks to the same way.
    """

    def __init__(self, application: WSGIApplication, *, port: int = 0) -> None:
        self._server = _ThreadingServer(("127.0.0.1", port), _QuietHandler)
        self._server.set_app(application)
        # A short poll interval makes shutdown prompt; tests start and stop many sites.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name="fake-jira",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        """Stop accepting requests and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    # Request threads are daemons, so a request stuck in a client-side timeout test never keeps
    # the process alive.
    daemon_threads = True
    block_on_close = False

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's fully qualified name, which can stall for
        # seconds without a resolver; the fake only ever listens on the loopback address.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = int(self.server_address[1])
        self.setup_environ()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout under test) has closed its socket: not an error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _QuietHandler(WSGIRequestHandler):
    def get_environ(self) -> WSGIEnvironment:
        environ = super().get_environ()
        # The qsh covers the path exactly as sent; PATH_INFO has already been percent-decoded.
        environ["RAW_URI"] = self.path
        return environ

    def log_message(self, format: str, *args: Any) -> None:
        # The site's own request log records every request; stderr stays quiet.
        return


def _route(method: str, relative: str) -> tuple[Route | None, dict[str, str], Response]:
    """The route for this method and path, or ``None`` with the 404 or 405 to answer."""
    route, path_args, allowed = _match(method, relative)
    if route is not None:
        return route, path_args, Response(200)
    if not allowed:
        return None, {}, error_response(404, "No such REST endpoint.")
    response = error_response(405, "This endpoint does not accept that method.")
    response.headers.append(("Allow", ", ".join(allowed)))
    return None, {}, response


def _match(method: str, relative: str) -> tuple[Route | None, dict[str, str], list[str]]:
    """Return the route for this method and path with its arguments, and the methods that
    other routes for the same path accept (to tell a 405 from a 404)."""
    allowed: list[str] = []
    for route in ROUTES:
        found = route.pattern.match(relative)
        if found is None:
            continue
        if route.method == method:
            return route, found.groupdict(), [method]
        allowed.append(route.method)
    return None, {}, allowed


def _read_body(environ: WSGIEnvironment) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    return bytes(environ["wsgi.input"].read(min(length, _MAX_BODY)))


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unassigned"


def _status_line(status: int) -> str:
    return f"{status} {_reason(status)}"
