"""A thread-safe store of bearer tokens the site issued, each valid until its grant expires."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Expiring(Protocol):
    """A grant with an expiry time (UNIX seconds)."""

    @property
    def expires_at(self) -> float:
        """When the token stops being accepted."""
        ...


G = TypeVar("G", bound=Expiring)


class GrantStore(Generic[G]):
    """Tokens by their text; expired ones are forgotten when looked up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[str, G] = {}

    def put(self, token: str, grant: G) -> None:
        """Remember ``token`` and what it grants."""
        with self._lock:
            self._grants[token] = grant

    def resolve(self, token: str, *, now: float) -> G | None:
        """The live grant of ``token``, or ``None`` for an unknown, revoked or expired one."""
        with self._lock:
            grant = self._grants.get(token)
            if grant is not None and grant.expires_at <= now:
                del self._grants[token]
                return None
            return grant

    def revoke(self, token: str) -> None:
        """Invalidate one token."""
        with self._lock:
            self._grants.pop(token, None)

    def revoke_where(self, matches: Callable[[G], bool]) -> None:
        """Invalidate every token whose grant ``matches``."""
        with self._lock:
            for token in [t for t, grant in self._grants.items() if matches(grant)]:
                del self._grants[token]
