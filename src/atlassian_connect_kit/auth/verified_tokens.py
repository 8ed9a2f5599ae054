"""A bounded memory of tokens already verified, so a token reused by a page costs one verification.

A page hands one context token to all its XHRs and downloads for minutes; verifying it again on
every call repeats the same work with the same answer. An entry is only reused for the very same
token, checked against the very same expected ``qsh`` and route mode, under the very same shared
secret (compared by digest, so a rotated secret never matches an old entry), and never past the
token's own expiry. Refusals are never remembered.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

CacheKey = tuple[str, str, bool]


@functools.lru_cache(maxsize=256)
def _secret_digest(shared_secret: str) -> bytes:
    # Every request of a tenant compares the same secret's digest: hashed once per secret (the
    # tenant cache holds the secrets themselves in memory anyway).
    return hashlib.sha256(shared_secret.encode("utf-8")).digest()


class VerifiedTokens:
    """Thread-safe LRU of verified claims, each valid until its token expires."""

    def __init__(self, *, max_entries: int = 4096, clock: Callable[[], float] = time.time) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[CacheKey, tuple[bytes, float, dict[str, Any]]] = OrderedDict()

    @staticmethod
    def _secret_digest(shared_secret: str) -> bytes:
        return _secret_digest(shared_secret)

    def get(
        self,
        token: str,
        *,
        expected_qsh: str,
        allow_context_qsh: bool,
        shared_secret: str,
        leeway: int,
    ) -> dict[str, Any] | None:
        """The claims of ``token`` if verified under the same conditions and still valid."""
        key = (token, expected_qsh, allow_context_qsh)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            digest, expires_at, claims = entry
            if self._clock() >= expires_at + leeway:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
        return claims if digest == self._secret_digest(shared_secret) else None

    def issuer(self, token: str, *, expected_qsh: str, allow_context_qsh: bool) -> str | None:
        """The ``iss`` of ``token`` if it verified under these conditions and has not expired.

        Lets a request find the tenant of a token it saw before without parsing it again; the
        secret is not compared here, so :meth:`get` (or a full verification) must still follow.
        """
        with self._lock:
            entry = self._entries.get((token, expected_qsh, allow_context_qsh))
        if entry is None or self._clock() >= entry[1]:
            return None
        issuer = entry[2].get("iss")
        return issuer if isinstance(issuer, str) and issuer else None

    def verify(
        self,
        token: str,
        *,
        expected_qsh: str,
        allow_context_qsh: bool,
        shared_secret: str,
        leeway: int,
        verifier: Callable[[], dict[str, Any]],
    ) -> dict[str, Any]:
        """The claims of ``token``: remembered ones if any, else ``verifier()``'s, remembered.

        ``verifier`` verifies ``token`` under exactly these conditions and raises on refusal;
        a refusal propagates and is not remembered, so the next attempt verifies afresh.
        """
        conditions: dict[str, Any] = {
            "expected_qsh": expected_qsh,
            "allow_context_qsh": allow_context_qsh,
            "shared_secret": shared_secret,
        }
        claims = self.get(token, leeway=leeway, **conditions)
        if claims is None:
            claims = verifier()
            self.remember(token, claims, **conditions)
        return claims

    def remember(
        self,
        token: str,
        claims: dict[str, Any],
        *,
        expected_qsh: str,
        allow_context_qsh: bool,
        shared_secret: str,
    ) -> None:
        """Remember that ``token`` verified to ``claims`` under these conditions."""
        expires_at = claims.get("exp")
        if not isinstance(expires_at, int | float):
            return
        key = (token, expected_qsh, allow_context_qsh)
        with self._lock:
            self._entries[key] = (self._secret_digest(shared_secret), float(expires_at), claims)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
