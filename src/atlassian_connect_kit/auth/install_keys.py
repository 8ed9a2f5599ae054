"""Public keys for signed lifecycle callbacks, fetched by key id and cached forever per kid.

Atlassian never changes the key published under a kid, so a key fetched once can be kept; the cache
is bounded so a stream of made-up kids cannot grow memory. The kid is validated before any fetch,
so it can never steer the request to another path.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import requests

from atlassian_connect_kit.auth.tokens import is_valid_kid


class InstallKeyUnavailable(Exception):
    """The key server could not be reached or did not return a key; the callback gets 503."""


class InvalidKeyId(Exception):
    """The token's kid is malformed (never fetched); the callback gets 401."""


class InstallKeyFetcher:
    """Fetch PEM public keys from ``<keys_url>/<kid>`` with a bounded per-kid cache."""

    def __init__(
        self,
        keys_url: str,
        *,
        timeout_seconds: float = 10.0,
        max_entries: int = 64,
        session: requests.Session | None = None,
    ) -> None:
        self.keys_url = keys_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.max_entries = max_entries
        self._session = session or requests.Session()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def public_key(self, kid: object) -> bytes:
        """Return the PEM public key published under ``kid``."""
        if not isinstance(kid, str) or not is_valid_kid(kid):
            raise InvalidKeyId("invalid key id")
        with self._lock:
            cached = self._cache.get(kid)
            if cached is not None:
                self._cache.move_to_end(kid)
                return cached
        pem = self._fetch(kid)
        with self._lock:
            self._cache[kid] = pem
            self._cache.move_to_end(kid)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return pem

    def _fetch(self, kid: str) -> bytes:
        try:
            response = self._session.get(
                f"{self.keys_url}/{kid}", timeout=self.timeout_seconds, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise InstallKeyUnavailable(
                f"install key server unreachable ({type(exc).__name__})"
            ) from None
        if response.status_code == 404:
            # An unknown kid is the caller's fault, not an outage: refuse the token.
            raise InvalidKeyId("unknown key id")
        if response.status_code != 200:
            raise InstallKeyUnavailable(f"install key server answered {response.status_code}")
        pem = response.content.strip()
        if not pem.startswith(b"-----BEGIN PUBLIC KEY-----"):
            raise InstallKeyUnavailable("install key server returned no PEM public key")
        return pem + b"\n"
