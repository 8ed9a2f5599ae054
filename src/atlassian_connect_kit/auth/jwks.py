"""The signing keys of Forge Invocation Tokens, fetched from a JWKS URL and cached per process.

Forge publishes its public keys as a JSON Web Key Set. A token names its key by ``kid``; a kid the
cache does not know makes the cache fetch the set again, but never more often than once per
``refresh_interval`` (a minute by default), so a stream of tokens with made-up kids cannot turn the
app into a load generator against Atlassian. Concurrent misses share one fetch. A key set older
than ``cache_seconds`` is fetched again before it is trusted, under the same rate limit.

When the set cannot be had (connection error, timeout, a status other than 200, a body that is not
a JSON key set) :class:`JwksUnavailable` is raised: the caller answers 503 and accepts nothing.
A kid that is not in a freshly fetched set raises :class:`UnknownSigningKey` (the token is refused).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

DEFAULT_REFRESH_INTERVAL = 60.0
"""Fewest seconds between two fetches of the key set, whatever triggers them."""

DEFAULT_CACHE_SECONDS = 600.0
"""How long a fetched key set is trusted before it is fetched again."""

DEFAULT_TIMEOUT_SECONDS = 5.0
"""Connect and read timeout of one fetch."""

MAX_JWKS_BYTES = 1024 * 1024
"""Largest key set accepted; Forge's holds a handful of keys."""

MAX_KID_LENGTH = 256
"""Longest key id looked up; longer ones are refused before any lookup."""

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""Hosts an ``http`` JWKS URL may name, in dev mode only."""

_SIGNING_ALGORITHM = "RS256"


class JwksUnavailable(Exception):
    """The key set could not be fetched or read; ``str()`` is a short reason without secrets."""


class UnknownSigningKey(Exception):
    """The key id is not in the key set, even after the refresh the rate limit allows."""


class SigningKeys(Protocol):
    """Where a verifier finds the public key for a token's ``kid``."""

    def signing_key(self, kid: str) -> RSAPublicKey:
        """Return the RSA public key published under ``kid``.

        Raises :class:`UnknownSigningKey` when no such key is published, :class:`JwksUnavailable`
        when that cannot be found out.
        """
        ...


def check_jwks_url(url: str, *, dev_mode: bool) -> str:
    """Return ``url`` if it may serve signing keys; raise ``ValueError`` with one line if not.

    It must be an absolute https URL without query or fragment; in dev mode an http URL on a
    loopback host (``localhost``, ``127.0.0.1``, ``::1``) is allowed too, for tests and demos.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("the JWKS URL is not an absolute https URL")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("the JWKS URL must not carry a query, fragment or credentials")
    if parts.scheme == "http" and not (dev_mode and parts.hostname in LOOPBACK_HOSTS):
        raise ValueError("the JWKS URL must use https (http only on loopback in dev mode)")
    return url


def parse_jwks(document: object) -> dict[str, RSAPublicKey]:
    """Return the RSA signing keys of a JWKS document by key id.

    Keys for another algorithm or use, keys without a kid and keys that do not parse are skipped;
    a document that is not a key set, or holds no usable key, raises :class:`JwksUnavailable`.
    """
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise JwksUnavailable("the JWKS response is not a key set")
    keys: dict[str, RSAPublicKey] = {}
    for entry in entries:
        key = _rsa_signing_key(entry)
        if key is not None:
            keys[entry["kid"]] = key
    if not keys:
        raise JwksUnavailable("the JWKS response holds no RSA signing key")
    return keys


def _rsa_signing_key(entry: object) -> RSAPublicKey | None:
    if not isinstance(entry, Mapping) or entry.get("kty") != "RSA":
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
        return None
    if entry.get("use", "sig") != "sig" or entry.get("alg", _SIGNING_ALGORITHM) != "RS256":
        return None
    try:
        key = jwt.PyJWK(dict(entry), algorithm=_SIGNING_ALGORITHM).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None
    return key if isinstance(key, RSAPublicKey) else None


class JwksKeySource:
    """Signing keys from one JWKS URL, cached per process, thread-safe; see the module docstring.

    ``clock`` is a monotonic clock (seconds); tests pass their own to step through the rate limit.
    """

    def __init__(
        self,
        url: str,
        *,
        dev_mode: bool = False,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if refresh_interval < 0 or cache_seconds <= 0 or timeout_seconds <= 0:
            raise ValueError("refresh_interval, cache_seconds and timeout_seconds must be positive")
        self.url = check_jwks_url(url, dev_mode=dev_mode)
        self.refresh_interval = refresh_interval
        self.cache_seconds = cache_seconds
        self.timeout_seconds = timeout_seconds
        self._session = session or requests.Session()
        self._clock = clock
        # _state guards the fields below; _fetching serialises fetches so concurrent misses
        # wait for the one fetch in flight instead of starting their own.
        self._state = threading.Lock()
        self._fetching = threading.Lock()
        self._keys: dict[str, RSAPublicKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._failure: str | None = None
        self._generation = 0

    @property
    def fetch_count(self) -> int:
        """How many fetches were attempted since this source was made (for metrics and tests)."""
        with self._state:
            return self._generation

    def signing_key(self, kid: str) -> RSAPublicKey:
        """Return the key published under ``kid``; see :class:`SigningKeys`."""
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            raise UnknownSigningKey("invalid key id")
        with self._state:
            key, fresh, generation = self._lookup(kid)
        if key is not None and fresh:
            return key
        with self._fetching:
            with self._state:
                if self._generation != generation:
                    # Another thread fetched while this one waited: use its result.
                    return self._answer(kid)
                if not self._may_fetch():
                    return self._answer(kid)
                self._attempted_at = self._clock()
                self._generation += 1
            try:
                keys = self._fetch()
            except JwksUnavailable as error:
                with self._state:
                    self._failure = str(error)
                raise
            with self._state:
                self._keys = keys
                self._fetched_at = self._clock()
                self._failure = None
                return self._answer(kid)

    def _lookup(self, kid: str) -> tuple[RSAPublicKey | None, bool, int]:
        fresh = self._fetched_at is not None and (
            self._clock() - self._fetched_at < self.cache_seconds
        )
        return self._keys.get(kid), fresh, self._generation

    def _may_fetch(self) -> bool:
        return self._attempted_at is None or (
            self._clock() - self._attempted_at >= self.refresh_interval
        )

    def _answer(self, kid: str) -> RSAPublicKey:
        # Called with _state held, when no fetch may (or need) happen now.
        if self._failure is not None:
            raise JwksUnavailable(self._failure)
        key = self._keys.get(kid)
        if key is None:
            raise UnknownSigningKey("the token's signing key is not published")
        # The set may be older than cache_seconds here: the rate limit, not an outage, kept it
        # from being refreshed, and it is still the newest set that could be had.
        return key

    def _fetch(self) -> dict[str, RSAPublicKey]:
        try:
            response = self._session.get(
                self.url,
                timeout=self.timeout_seconds,
                allow_redirects=False,
                headers={"Accept": "application/json"},
                stream=True,
            )
        except requests.RequestException as error:
            raise JwksUnavailable(f"JWKS unreachable ({type(error).__name__})") from None
        try:
            if response.status_code != 200:
                raise JwksUnavailable(f"JWKS answered {response.status_code}")
            body = _read_limited(response)
        finally:
            response.close()
        try:
            document: Any = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise JwksUnavailable("the JWKS response is not JSON") from None
        return parse_jwks(document)


def _read_limited(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_JWKS_BYTES:
                raise JwksUnavailable("the JWKS response is too large")
            chunks.append(chunk)
    except requests.RequestException as error:
        raise JwksUnavailable(f"JWKS unreachable ({type(error).__name__})") from None
    return b"".join(chunks)
