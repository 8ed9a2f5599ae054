"""The memory of accepted lifecycle tokens, shared by every worker through the database.

A signed lifecycle token stays valid for minutes. Atlassian retries a callback with the very same
token and body, and that retry must be answered again; but a captured token posted again with
another body (another ``sharedSecret`` or ``baseUrl``) must not be. Each accepted token is kept by
its SHA-256 with the SHA-256 of its body until the token expires (plus the clock leeway), after
which the token is refused for its age anyway; expired entries are pruned a few at a time.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from atlassian_connect_kit.storage.db import unavailability_as_error
from atlassian_connect_kit.storage.models import LifecycleToken, sha256_hex

PRUNE_BATCH = 100
"""Expired entries deleted per accepted token at most, so pruning never turns into a long job."""


class LifecycleTokens:
    """Accepted lifecycle tokens by hash, in the database; safe to share between threads."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        """Use ``engine``'s database (migrated to head); ``clock`` gives seconds since the epoch."""
        self._engine = engine
        self._clock = clock

    def accept(self, token: str, body: bytes, *, expires_at: float) -> bool:
        """Remember a verified ``token`` with its ``body``; tell whether the pair may proceed.

        True for a token seen for the first time, and for a token seen before with the very same
        body (a retry). False for a token seen before with another body: a replay, refused by the
        caller before anything is written. ``expires_at`` (seconds since the epoch) is when the
        token stops being accepted, leeway included. Two workers receiving the same token at once
        agree: the database keeps one body for it.
        """
        token_digest = sha256_hex(token)
        body_digest = sha256_hex(body)
        now = self._clock()
        with unavailability_as_error():
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        insert(LifecycleToken).values(
                            token_sha256=token_digest,
                            body_sha256=body_digest,
                            expires_at=_datetime(max(expires_at, now)),
                        )
                    )
            except IntegrityError:
                with self._engine.connect() as connection:
                    stored = connection.scalar(
                        select(LifecycleToken.body_sha256).where(
                            LifecycleToken.token_sha256 == token_digest
                        )
                    )
                # Pruned in between (it expired): the token's own expiry check refuses it.
                return stored is None or stored == body_digest
            self._prune(now)
        return True

    def _prune(self, now: float) -> None:
        with self._engine.begin() as connection:
            expired = list(
                connection.scalars(
                    select(LifecycleToken.token_sha256)
                    .where(LifecycleToken.expires_at < _datetime(now))
                    .order_by(LifecycleToken.expires_at)
                    .limit(PRUNE_BATCH)
                )
            )
            if expired:
                connection.execute(
                    delete(LifecycleToken).where(LifecycleToken.token_sha256.in_(expired))
                )


def _datetime(timestamp: float) -> dt.datetime:
    # Rounded up: an entry may outlive its token by under a second, never the other way round.
    return dt.datetime.fromtimestamp(int(timestamp) + (timestamp % 1 > 0), dt.UTC)
