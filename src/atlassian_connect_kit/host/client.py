"""The client through which the kit and its plugins call a tenant's Jira REST API.

A :class:`HostClient` belongs to one tenant and one identity: the app itself (every attempt signed
with a fresh JWT whose ``qsh`` covers the exact URL sent) or a user the app acts as (an OAuth 2.0
bearer token). It builds URLs relative to the tenant's ``baseUrl``, refuses to send credentials
to any other origin, retries what Jira asks to be retried (429 and 503 honouring ``Retry-After``,
server errors and network failures when repeating the request is safe) within a bounded number of
attempts and a bounded total wait, and turns failures into the typed errors of
:mod:`atlassian_connect_kit.host.errors`.

Every request to a tenant, from any client in the process, first takes one of that tenant's
slots (``HostConfig.concurrency`` of them), so parallel reports never hit one Jira site with more
than that many requests at once.
"""

from __future__ import annotations

import http.cookiejar
import json as json_codec
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from atlassian_connect_kit.auth.tokens import sign_request, url_origin
from atlassian_connect_kit.host.errors import (
    JiraAuthError,
    JiraBadRequest,
    JiraError,
    JiraNotFound,
    JiraRateLimited,
    JiraTimeout,
    JiraUnavailable,
    error_details,
    retry_after_seconds,
)
from atlassian_connect_kit.host.oauth2 import (
    AccessTokenCache,
    TokenKey,
    fetch_access_token,
    token_key,
)

__all__ = [
    "DEFAULT_OAUTH2_AUDIENCE",
    "DEFAULT_OAUTH2_TOKEN_URL",
    "HostClient",
    "HostConfig",
    "QueryParams",
    "QueryValue",
    "TenantCredentials",
    "create_session",
    "encode_query",
    "flatten_query_params",
]

logger = logging.getLogger(__name__)

DEFAULT_OAUTH2_TOKEN_URL = (
    "https://oauth-2-authorization-server.services.atlassian.com/oauth2/token"
)
"""Where user-impersonation assertions are exchanged for access tokens."""

DEFAULT_OAUTH2_AUDIENCE = "https://oauth-2-authorization-server.services.atlassian.com"
"""The ``aud`` of an impersonation assertion: the authorization server itself, without a path."""

QueryValue = str | int | float | bool
"""A query parameter value; booleans are sent as ``true``/``false`` as Jira expects."""

QueryParams = (
    Mapping[str, QueryValue | Sequence[QueryValue] | None] | Sequence[tuple[str, QueryValue]]
)
"""Query parameters: a mapping (a sequence value repeats the parameter, ``None`` leaves it out)
or a sequence of ``(name, value)`` pairs kept in order."""


# Repeating these cannot change anything on the server beyond what the first attempt did, so a
# failure after the request may have reached Jira (a read timeout, a 502) can be retried.
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Answers meaning Jira did not process the request at all: safe to retry for any method.
_NOT_PROCESSED_STATUSES = frozenset({429, 503})

# Server failures worth a second try, when the request is safe to repeat.
_TRANSIENT_SERVER_STATUSES = frozenset({500, 502, 503, 504})

# Exponential backoff when Jira gives no Retry-After: 1-2 s, then 2-4 s, 4-8 s, ... capped.
_BACKOFF_INITIAL_SECONDS = 2.0
_BACKOFF_CAP_SECONDS = 30.0

# Added to Retry-After (which is a minimum, and may be 0) so that clients told to come back at
# the same moment do not all return in the same instant.
_RETRY_AFTER_JITTER_SECONDS = (0.1, 0.5)

_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class TenantCredentials:
    """What the app knows about one Jira site it is installed on, from the install callback.

    ``base_url`` is the tenant's ``baseUrl`` (never its ``displayUrl``), possibly with a path
    such as ``/jira``; ``oauth_client_id`` is needed only to act as a user.
    """

    client_key: str
    base_url: str
    shared_secret: str = field(repr=False)
    oauth_client_id: str | None = None


@dataclass(frozen=True)
class HostConfig:
    """How the app calls Jira: its identity, retry budget, timeouts and concurrency.

    ``max_attempts`` bounds the attempts of one call, ``max_wait_seconds`` the total time spent
    waiting between them; ``timeout_seconds`` bounds each attempt (connecting, and the wait for
    each read); ``concurrency`` is the most requests in flight to one tenant from this process.
    """

    app_key: str
    max_attempts: int = 5
    max_wait_seconds: float = 60.0
    timeout_seconds: float = 30.0
    concurrency: int = 8
    oauth2_token_url: str = DEFAULT_OAUTH2_TOKEN_URL
    oauth2_audience: str = DEFAULT_OAUTH2_AUDIENCE
    user_agent: str = "atlassian-connect-kit"

    def __post_init__(self) -> None:
        """Refuse settings that would make every call fail or never end."""
        if not self.app_key:
            raise ValueError("app_key must not be empty")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_wait_seconds < 0:
            raise ValueError("max_wait_seconds must not be negative")
        if not self.timeout_seconds > 0:
            raise ValueError("timeout_seconds must be positive")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")


def flatten_query_params(params: QueryParams | None) -> list[tuple[str, str]]:
    """Return query parameters as ``(name, value)`` text pairs, in the order given.

    Booleans become ``true``/``false``; a sequence value in a mapping repeats the parameter once
    per item; ``None`` in a mapping leaves the parameter out.
    """
    if params is None:
        return []
    pairs: list[tuple[str, str]] = []
    if isinstance(params, Mapping):
        for name, value in params.items():
            if value is None:
                continue
            if isinstance(value, (str, int, float, bool)):
                pairs.append((name, _query_text(value)))
            else:
                pairs.extend((name, _query_text(item)) for item in value)
    else:
        pairs.extend((name, _query_text(value)) for name, value in params)
    return pairs


def encode_query(params: QueryParams | None) -> str:
    """Return the query string (without ``?``) for ``params``.

    Names and values are percent-encoded leaving only RFC 3986 unreserved characters bare, so a
    space is ``%20`` and a plus ``%2B``: the form in which the query string hash is computed, and
    one no HTTP layer rewrites.
    """
    return "&".join(
        f"{quote(name, safe='')}={quote(value, safe='')}"
        for name, value in flatten_query_params(params)
    )


def create_session(*, pool_size: int = 32) -> requests.Session:
    """Return a ``requests`` session fit for calls to Jira, to share across clients and threads.

    It keeps no cookies: a cookie Jira sets for one user must never ride along on a call made as
    the app or as another user. Its connection pool holds ``pool_size`` connections per host.
    """
    session = requests.Session()
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


_shared_session: requests.Session | None = None
_shared_session_lock = threading.Lock()


def _default_session() -> requests.Session:
    global _shared_session
    with _shared_session_lock:
        if _shared_session is None:
            _shared_session = create_session()
        return _shared_session


_tenant_slots: dict[str, threading.BoundedSemaphore] = {}
_tenant_slots_lock = threading.Lock()


def _tenant_slot(client_key: str, concurrency: int) -> threading.BoundedSemaphore:
    # Keyed by tenant alone, so every client and every thread of the process shares one cap per
    # Jira site. The first configuration seen sizes it; a process runs with one configuration.
    with _tenant_slots_lock:
        slot = _tenant_slots.get(client_key)
        if slot is None:
            slot = threading.BoundedSemaphore(concurrency)
            _tenant_slots[client_key] = slot
        return slot


class _Authorizer(Protocol):
    """Supplies the Authorization header of each attempt."""

    def authorization(self, method: str, url: str) -> str:
        """Return the header value for sending ``method url`` now."""
        ...

    def rejected(self, authorization: str) -> bool:
        """Note that Jira answered 401 to ``authorization``; tell whether a retry may succeed."""
        ...


class _AppAuthorizer:
    def __init__(self, credentials: TenantCredentials, config: HostConfig) -> None:
        self._credentials = credentials
        self._config = config

    def authorization(self, method: str, url: str) -> str:
        token = sign_request(
            app_key=self._config.app_key,
            shared_secret=self._credentials.shared_secret,
            method=method,
            url=url,
            tenant_base_url=self._credentials.base_url,
        )
        return f"JWT {token}"

    def rejected(self, authorization: str) -> bool:
        # A freshly signed JWT that Jira refuses will be refused again: nothing to renew.
        return False


class _UserAuthorizer:
    def __init__(
        self,
        credentials: TenantCredentials,
        account_id: str,
        scopes: Sequence[str],
        config: HostConfig,
        token_cache: AccessTokenCache,
        session: requests.Session,
    ) -> None:
        self._credentials = credentials
        self._account_id = account_id
        self._scopes = tuple(scopes)
        self._config = config
        self._cache = token_cache
        self._session = session
        self._key: TokenKey = token_key(credentials.client_key, account_id, scopes)

    def authorization(self, method: str, url: str) -> str:
        token = self._cache.get_or_fetch(self._key, self._fetch)
        return f"Bearer {token}"

    def rejected(self, authorization: str) -> bool:
        # The token may have been revoked or have lapsed early: forget it so the retry fetches
        # a new one.
        self._cache.discard(self._key, authorization.removeprefix("Bearer "))
        return True

    def _fetch(self) -> tuple[str, float]:
        return fetch_access_token(
            self._credentials, self._account_id, self._scopes, self._config, self._session
        )


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes
    authorization: str


class _AttemptFailed(Exception):
    """One attempt failed; ``retriable`` tells whether another attempt may succeed."""

    def __init__(self, error: JiraError, *, retriable: bool, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retriable = retriable
        self.retry_after = retry_after


class _DeadlineExceeded(Exception):
    """The response body was still arriving when the attempt's time ran out."""


class HostClient:
    """Calls one tenant's Jira REST API as the app or as one user; build it with
    :meth:`as_app` or :meth:`as_user`.

    ``calls`` counts the HTTP requests this client sent to Jira (retries included), for logging
    how much a piece of work cost. A client may be used from several threads at once.
    """

    def __init__(
        self,
        credentials: TenantCredentials,
        config: HostConfig,
        authorizer: _Authorizer,
        *,
        account_id: str | None,
        session: requests.Session,
        sleep: Callable[[float], None],
        rng: random.Random,
    ) -> None:
        """Prefer :meth:`as_app` and :meth:`as_user`, which choose the authorizer."""
        url_origin(credentials.base_url)  # fail now, not on the first call, on a malformed baseUrl
        # Private: plugins get this client, and must never reach the tenant's shared secret.
        self._credentials = credentials
        self.config = config
        self.account_id = account_id
        self._authorizer = authorizer
        self._session = session
        self._sleep = sleep
        self._rng = rng
        self._calls = 0
        self._calls_lock = threading.Lock()

    @classmethod
    def as_app(
        cls,
        credentials: TenantCredentials,
        config: HostConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> HostClient:
        """Return a client calling the tenant as the app, with JWTs signed by its shared secret.

        Jira applies the app's own permissions: everything the app's scopes reach.
        """
        return cls(
            credentials,
            config,
            _AppAuthorizer(credentials, config),
            account_id=None,
            session=session if session is not None else _default_session(),
            sleep=sleep,
            rng=rng if rng is not None else random.SystemRandom(),
        )

    @classmethod
    def as_user(
        cls,
        credentials: TenantCredentials,
        account_id: str,
        config: HostConfig,
        *,
        token_cache: AccessTokenCache,
        scopes: Sequence[str] = ("READ",),
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> HostClient:
        """Return a client calling the tenant as the user ``account_id`` (user impersonation).

        Jira applies that user's permissions, so a report shows only what the user may see.
        Raises :class:`JiraAuthError` at once when the tenant gave no OAuth client id, and
        ``ValueError`` for an empty account id or malformed scopes.
        """
        if not account_id:
            raise ValueError("an account id is needed to act as a user")
        if not credentials.oauth_client_id:
            raise JiraAuthError(
                f"Tenant {credentials.client_key} gave no OAuth client id, so the app cannot act"
                " as a user there; the app needs the ACT_AS_USER scope and a fresh install"
            )
        chosen_session = session if session is not None else _default_session()
        authorizer = _UserAuthorizer(
            credentials, account_id, scopes, config, token_cache, chosen_session
        )
        return cls(
            credentials,
            config,
            authorizer,
            account_id=account_id,
            session=chosen_session,
            sleep=sleep,
            rng=rng if rng is not None else random.SystemRandom(),
        )

    @property
    def client_key(self) -> str:
        """The clientKey of the tenant this client calls."""
        return self._credentials.client_key

    @property
    def base_url(self) -> str:
        """The ``baseUrl`` of the tenant this client calls."""
        return self._credentials.base_url

    @property
    def calls(self) -> int:
        """How many HTTP requests this client has sent to Jira, retries included."""
        with self._calls_lock:
            return self._calls

    def get(self, path_or_url: str, *, params: QueryParams | None = None) -> Any:
        """Send a GET; see :meth:`request`."""
        return self.request("GET", path_or_url, params=params)

    def post(
        self,
        path_or_url: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send a POST; pass ``idempotent=True`` for a POST that only reads (a search)."""
        return self.request("POST", path_or_url, params=params, json=json, idempotent=idempotent)

    def put(self, path_or_url: str, *, params: QueryParams | None = None, json: Any = None) -> Any:
        """Send a PUT; see :meth:`request`."""
        return self.request("PUT", path_or_url, params=params, json=json)

    def delete(self, path_or_url: str, *, params: QueryParams | None = None) -> Any:
        """Send a DELETE; see :meth:`request`."""
        return self.request("DELETE", path_or_url, params=params)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Call Jira and return the parsed JSON answer (``None`` for an empty answer or 204).

        ``path_or_url`` is a path relative to the tenant's ``baseUrl`` (``/rest/api/3/myself``)
        or an absolute URL on the tenant's origin; any other origin raises ``ValueError`` before
        anything is sent. ``params`` are appended to the query string; ``json`` is sent as the
        body. ``idempotent`` says whether the request may be repeated after it may have reached
        Jira (a timeout, a 5xx); by default GET, HEAD, OPTIONS, PUT and DELETE are, POST is not.
        429 and 503 are retried for every method. Raises a :class:`JiraError` subclass on failure.
        """
        verb = method.upper()
        url = self._build_url(path_or_url, params)
        label = f"{verb} {urlsplit(url).path}"
        repeatable = idempotent if idempotent is not None else verb in _IDEMPOTENT_METHODS
        body = None if json is None else json_codec.dumps(json).encode("utf-8")
        waited = 0.0
        attempt = 0
        renewed_credentials = False
        while True:
            attempt += 1
            try:
                reply = self._attempt(verb, url, label, body, attempt, repeatable)
                if (
                    reply.status == 401
                    and not renewed_credentials
                    and self._authorizer.rejected(reply.authorization)
                ):
                    # A one-off renewal of the credentials, not a retry: it spends no attempt.
                    renewed_credentials = True
                    attempt -= 1
                    continue
                return self._outcome(label, reply, repeatable)
            except _AttemptFailed as failure:
                if not failure.retriable:
                    raise failure.error from failure.__cause__
                wait = self._wait_before_retry(failure.retry_after, attempt)
                if (
                    attempt >= self.config.max_attempts
                    or waited + wait > self.config.max_wait_seconds
                ):
                    raise failure.error from failure.__cause__
                logger.debug(
                    "Jira %s failed (%s); retrying in %.2f s", label, failure.error.summary, wait
                )
                self._sleep(wait)
                waited += wait

    def _build_url(self, path_or_url: str, params: QueryParams | None) -> str:
        base = self._credentials.base_url
        parts = urlsplit(path_or_url)
        if parts.scheme or parts.netloc:
            # Compared here as well as when signing: a bearer token must not leave the tenant's
            # origin either, and nothing may be sent before the check.
            if url_origin(path_or_url) != url_origin(base):
                raise ValueError(
                    f"refusing to send a request for tenant {self._credentials.client_key}"
                    " to a URL outside its origin"
                )
            url = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
        else:
            path = parts.path if parts.path.startswith("/") else "/" + parts.path
            url = base.rstrip("/") + path + (f"?{parts.query}" if parts.query else "")
        query = encode_query(params)
        if not query:
            return url
        if "?" not in url:
            return f"{url}?{query}"
        return url + query if url.endswith(("?", "&")) else f"{url}&{query}"

    def _attempt(
        self, verb: str, url: str, label: str, body: bytes | None, attempt: int, repeatable: bool
    ) -> _Reply:
        """Send one attempt; raise :class:`_AttemptFailed` when no usable answer arrived."""
        try:
            headers = {"Accept": "application/json", "User-Agent": self.config.user_agent}
            if body is not None:
                headers["Content-Type"] = "application/json"
            prepared = requests.Request(verb, url, headers=headers, data=body).prepare()
            sent_url = prepared.url or url
            # Sign the URL exactly as the HTTP layer will send it, so the hash matches the wire.
            authorization = self._authorizer.authorization(verb, sent_url)
        except (JiraRateLimited, JiraUnavailable) as exc:
            # The token service was busy or unreachable: worth another attempt like Jira itself.
            raise _AttemptFailed(
                exc, retriable=True, retry_after=getattr(exc, "retry_after", None)
            ) from exc
        prepared.headers["Authorization"] = authorization
        with _tenant_slot(self._credentials.client_key, self.config.concurrency):
            self._count_call()
            started = time.monotonic()
            outcome = "no answer"
            try:
                status, reply_headers, content = self._exchange(prepared, started)
                outcome = str(status)
            except (requests.Timeout, _DeadlineExceeded) as exc:
                outcome = "timeout"
                never_sent = isinstance(exc, requests.ConnectTimeout)
                raise _AttemptFailed(
                    JiraTimeout(f"Jira did not answer {label} in time"),
                    retriable=repeatable or never_sent,
                    retry_after=None,
                ) from exc
            except requests.RequestException as exc:
                outcome = type(exc).__name__
                raise _AttemptFailed(
                    JiraUnavailable(f"Jira could not be reached for {label}"),
                    retriable=repeatable,
                    retry_after=None,
                ) from exc
            finally:
                logger.debug(
                    "Jira %s -> %s (attempt %d, %.0f ms)",
                    label,
                    outcome,
                    attempt,
                    (time.monotonic() - started) * 1000,
                )
        return _Reply(status, reply_headers, content, authorization)

    def _exchange(
        self, prepared: requests.PreparedRequest, started: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        timeout = self.config.timeout_seconds
        response = self._session.send(
            prepared, timeout=(timeout, timeout), stream=True, allow_redirects=False
        )
        deadline = started + timeout
        try:
            chunks: list[bytes] = []
            # The read timeout bounds each wait for data; the deadline, checked between chunks,
            # stops a body that trickles in for longer than one attempt may take.
            for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _DeadlineExceeded
        except requests.ConnectionError as exc:
            # requests reports a read timeout within the body as a connection error.
            if exc.args and isinstance(exc.args[0], ReadTimeoutError):
                raise requests.ReadTimeout(exc.args[0]) from exc
            raise
        finally:
            response.close()
        return response.status_code, response.headers, b"".join(chunks)

    def _outcome(self, label: str, reply: _Reply, repeatable: bool) -> Any:
        """Return the parsed answer of a success, or raise the failure it describes."""
        if 200 <= reply.status < 300:
            if reply.status == 204 or not reply.body.strip():
                return None
            try:
                return json_codec.loads(reply.body)
            except ValueError:
                raise JiraError(
                    f"Jira answered {label} with a body that is not JSON", status=reply.status
                ) from None
        error = _error_for(label, reply)
        retriable = reply.status in _NOT_PROCESSED_STATUSES or (
            repeatable and reply.status in _TRANSIENT_SERVER_STATUSES
        )
        retry_after = (
            retry_after_seconds(reply.headers.get("Retry-After"))
            if reply.status in _NOT_PROCESSED_STATUSES
            else None
        )
        raise _AttemptFailed(error, retriable=retriable, retry_after=retry_after)

    def _wait_before_retry(self, retry_after: float | None, attempt: int) -> float:
        if retry_after is not None:
            return retry_after + self._rng.uniform(*_RETRY_AFTER_JITTER_SECONDS)
        ceiling = min(_BACKOFF_CAP_SECONDS, _BACKOFF_INITIAL_SECONDS * 2.0 ** (attempt - 1))
        return ceiling * self._rng.uniform(0.5, 1.0)

    def _count_call(self) -> None:
        with self._calls_lock:
            self._calls += 1


def _error_for(label: str, reply: _Reply) -> JiraError:
    messages, errors = error_details(reply.body)
    summary = f"Jira answered {reply.status} to {label}"
    status = reply.status
    if status == 400:
        return JiraBadRequest(summary, status=status, error_messages=messages, errors=errors)
    if status in (401, 403):
        return JiraAuthError(summary, status=status, error_messages=messages, errors=errors)
    if status == 404:
        return JiraNotFound(summary, status=status, error_messages=messages, errors=errors)
    if status == 429:
        return JiraRateLimited(
            summary,
            status=status,
            error_messages=messages,
            errors=errors,
            retry_after=retry_after_seconds(reply.headers.get("Retry-After")),
        )
    if status >= 500:
        return JiraUnavailable(summary, status=status, error_messages=messages, errors=errors)
    return JiraError(summary, status=status, error_messages=messages, errors=errors)


def _query_text(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
