"""Access tokens for calling Jira as a user (OAuth 2.0 JWT bearer grant, "user impersonation").

An app holding the ``ACT_AS_USER`` scope trades a short assertion, signed with the tenant's shared
secret, for an access token that lets it call the tenant's REST API with that user's permissions.
Tokens last about fifteen minutes, so :class:`AccessTokenCache` keeps them per tenant, user and
scope set, and makes concurrent callers wanting the same token wait for a single exchange.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from atlassian_connect_kit.auth.tokens import oauth2_assertion
from atlassian_connect_kit.host.errors import (
    JiraAuthError,
    JiraError,
    JiraRateLimited,
    JiraTimeout,
    JiraUnavailable,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from atlassian_connect_kit.host.client import HostConfig, TenantCredentials

__all__ = ["AccessTokenCache", "TokenKey", "fetch_access_token", "normalize_scopes", "token_key"]

logger = logging.getLogger(__name__)

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
"""The OAuth 2.0 grant type of the assertion exchange (RFC 7523)."""

# Scopes are the descriptor's scope names (READ, WRITE, ACT_AS_USER, ...): letters and underscores.
_SCOPE_PATTERN = re.compile(r"^[A-Z][A-Z_]*$")

TokenKey = tuple[str, str, frozenset[str]]
"""What an access token is cached under: (tenant client key, user account id, scopes)."""


def normalize_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """Return the scopes upper-cased as a set, refusing an empty set or a malformed scope name."""
    normalized = frozenset(scope.strip().upper() for scope in scopes)
    if not normalized:
        raise ValueError("at least one scope is needed to act as a user")
    malformed = sorted(scope for scope in normalized if not _SCOPE_PATTERN.match(scope))
    if malformed:
        raise ValueError(f"malformed scope names: {malformed!r}")
    return normalized


def token_key(client_key: str, account_id: str, scopes: Iterable[str]) -> TokenKey:
    """Return the cache key of the access token for one user of one tenant with these scopes."""
    return (client_key, account_id, normalize_scopes(scopes))


@dataclass
class _CachedToken:
    access_token: str
    fresh_until: float


@dataclass
class _KeyLock:
    lock: threading.Lock
    holders: int = 0


class AccessTokenCache:
    """A thread-safe, size-bounded cache of user access tokens.

    An entry is used until ``expires_in`` minus ``safety_margin_seconds`` after it was fetched (at
    most half its lifetime is given up, so very short-lived tokens are still reused), so a token
    is never sent moments before it lapses. Past ``max_entries`` the least recently used entry is
    dropped. ``clock`` is a monotonic clock in seconds, replaceable in tests.
    """

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        safety_margin_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if safety_margin_seconds < 0:
            raise ValueError("safety_margin_seconds must not be negative")
        self._max_entries = max_entries
        self._safety_margin = safety_margin_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[TokenKey, _CachedToken] = OrderedDict()
        # One lock per key being fetched, so that concurrent requests for the same user wait for
        # one exchange while other users' exchanges proceed; dropped once nobody holds it.
        self._key_locks: dict[TokenKey, _KeyLock] = {}

    def __len__(self) -> int:
        """Return how many tokens are held, fresh or not yet evicted."""
        with self._lock:
            return len(self._entries)

    def get_or_fetch(self, key: TokenKey, fetch: Callable[[], tuple[str, float]]) -> str:
        """Return the fresh token cached under ``key``, or call ``fetch`` once to obtain one.

        ``fetch`` returns ``(access_token, expires_in_seconds)``; while it runs, other callers
        asking for the same key wait and then share its result. Errors from ``fetch`` propagate
        and nothing is cached.
        """
        with self._lock:
            cached = self._fresh(key)
            if cached is not None:
                return cached
            key_lock = self._key_locks.setdefault(key, _KeyLock(threading.Lock()))
            key_lock.holders += 1
        try:
            with key_lock.lock:
                with self._lock:
                    cached = self._fresh(key)
                if cached is not None:
                    return cached
                access_token, expires_in = fetch()
                self._store(key, access_token, expires_in)
                return access_token
        finally:
            with self._lock:
                key_lock.holders -= 1
                if key_lock.holders == 0:
                    del self._key_locks[key]

    def discard(self, key: TokenKey, access_token: str) -> None:
        """Forget the token under ``key`` if it is still ``access_token`` (Jira refused it).

        Comparing with the refused token keeps a token that another thread fetched meanwhile.
        """
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and cached.access_token == access_token:
                del self._entries[key]

    def _fresh(self, key: TokenKey) -> str | None:
        cached = self._entries.get(key)
        if cached is None:
            return None
        if self._clock() >= cached.fresh_until:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return cached.access_token

    def _store(self, key: TokenKey, access_token: str, expires_in: float) -> None:
        if not expires_in > 0:
            return
        usable_for = expires_in - min(self._safety_margin, expires_in / 2)
        with self._lock:
            self._entries[key] = _CachedToken(access_token, self._clock() + usable_for)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


def fetch_access_token(
    credentials: TenantCredentials,
    account_id: str,
    scopes: Iterable[str],
    config: HostConfig,
    session: requests.Session,
) -> tuple[str, float]:
    """Exchange a signed assertion for an access token acting as ``account_id`` on the tenant.

    Returns ``(access_token, expires_in_seconds)``. Makes a single POST to
    ``config.oauth2_token_url`` (retrying is the caller's decision) and raises
    :class:`JiraAuthError` when the tenant has no OAuth client id or the grant is refused,
    :class:`JiraRateLimited` on 429, :class:`JiraTimeout` when no answer comes in time and
    :class:`JiraUnavailable` on a server or connection failure.
    """
    if not credentials.oauth_client_id:
        raise JiraAuthError(
            f"Tenant {credentials.client_key} gave no OAuth client id, so the app cannot act as"
            " a user there; the app needs the ACT_AS_USER scope and a fresh install"
        )
    if not account_id:
        raise ValueError("an account id is needed to act as a user")
    scope_text = " ".join(sorted(normalize_scopes(scopes)))
    assertion = oauth2_assertion(
        oauth_client_id=credentials.oauth_client_id,
        account_id=account_id,
        tenant_base_url=credentials.base_url,
        shared_secret=credentials.shared_secret,
        audience=config.oauth2_audience,
    )
    form = {"grant_type": JWT_BEARER_GRANT, "assertion": assertion, "scope": scope_text}
    started = time.monotonic()
    try:
        response = session.post(
            config.oauth2_token_url,
            data=form,
            headers={"Accept": "application/json", "User-Agent": config.user_agent},
            timeout=(config.timeout_seconds, config.timeout_seconds),
            allow_redirects=False,
        )
    except requests.Timeout as exc:
        raise JiraTimeout("The token service did not answer in time") from exc
    except requests.RequestException as exc:
        raise JiraUnavailable("The token service could not be reached") from exc
    logger.debug(
        "OAuth2 token for tenant %s -> %s (%.0f ms)",
        credentials.client_key,
        response.status_code,
        (time.monotonic() - started) * 1000,
    )
    return _read_token_response(response)


def _read_token_response(response: requests.Response) -> tuple[str, float]:
    status = response.status_code
    document = _json_object(response)
    if status == 200:
        access_token = document.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise JiraAuthError("The token service answered without an access token", status=status)
        return access_token, _expires_in(document.get("expires_in"))
    messages = _oauth_error_messages(document)
    if status == 429:
        raise JiraRateLimited(
            "The token service is rate limiting the app",
            error_messages=messages,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    if status >= 500:
        raise JiraUnavailable(
            f"The token service failed ({status})", status=status, error_messages=messages
        )
    if status in (400, 401, 403):
        raise JiraAuthError(
            "The token service refused to let the app act as this user",
            status=status,
            error_messages=messages,
        )
    raise JiraError(
        f"The token service answered {status} unexpectedly", status=status, error_messages=messages
    )


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _oauth_error_messages(document: dict[str, Any]) -> list[str]:
    # RFC 6749 errors: a code such as "invalid_grant" and an optional human description.
    parts = [str(document[name]) for name in ("error", "error_description") if document.get(name)]
    return [": ".join(parts)] if parts else []


def _expires_in(value: Any) -> float:
    # Without a usable lifetime the token is used once and not cached.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value) if math.isfinite(value) and value > 0 else 0.0
