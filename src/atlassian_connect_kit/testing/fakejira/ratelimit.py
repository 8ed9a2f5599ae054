"""Jira Cloud's rate limiting, scaled down so tests can reach it.

Two limits apply, as on a real site. A burst limit per endpoint family (a token bucket refilled at
``burst_per_second``), and a points budget per window (an hour by default): every admitted request
costs a point, and the server charges one more per issue it returns. Refusals are 429 responses
whose ``Retry-After`` is a lower bound in whole seconds, rounded down, so it can be ``0`` just as
Jira's can; ``RateLimit-Reason`` tells which limit was hit.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

BURST_REASON = "jira-burst-based"
"""``RateLimit-Reason`` when an endpoint family is called faster than its burst rate."""

QUOTA_REASON = "jira-quota-global-based"
"""``RateLimit-Reason`` when the points budget of the window is spent."""

Headers = list[tuple[str, str]]
"""HTTP headers as (name, value) pairs."""


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """How strict the fake site is; the defaults are Jira Cloud's published figures.

    ``burst_capacity`` is how many requests a family may make at once after being idle (one
    second's worth when ``None``). ``near_limit_share`` is the share of the budget left below
    which responses carry ``X-RateLimit-NearLimit: true``.
    """

    burst_per_second: float = 100.0
    burst_capacity: float | None = None
    hourly_points: int = 65_000
    window_seconds: float = 3600.0
    near_limit_share: float = 0.2

    def __post_init__(self) -> None:
        if self.burst_per_second <= 0 or self.hourly_points <= 0 or self.window_seconds <= 0:
            raise ValueError("rates, budgets and windows must be positive")


@dataclass(frozen=True, slots=True)
class Admission:
    """The limiter's verdict on one request; refusals carry ``retry_after`` and ``reason``."""

    allowed: bool
    retry_after: int | None = None
    reason: str | None = None


class RateLimiter:
    """Thread-safe burst buckets per endpoint family plus one points budget per window.

    ``clock`` measures elapsed time (monotonic); ``wall_clock`` only dates the reset header.
    Both are injectable so tests can move time without sleeping.
    """

    def __init__(
        self,
        config: RateLimitConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._capacity = config.burst_capacity or config.burst_per_second
        self._buckets: dict[str, tuple[float, float]] = {}
        self._window_start = clock()
        self._points_used = 0

    def admit(self, family: str) -> Admission:
        """Decide whether a request to ``family`` may proceed; an admitted one costs a point."""
        with self._lock:
            now = self._clock()
            self._roll_window(now)
            if self._points_used >= self.config.hourly_points:
                wait = self._window_start + self.config.window_seconds - now
                return Admission(False, max(0, math.ceil(wait)), QUOTA_REASON)
            tokens, last = self._buckets.get(family, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - last) * self.config.burst_per_second)
            if tokens < 1.0:
                self._buckets[family] = (tokens, now)
                wait = (1.0 - tokens) / self.config.burst_per_second
                return Admission(False, math.floor(wait), BURST_REASON)
            self._buckets[family] = (tokens - 1.0, now)
            self._points_used += 1
            return Admission(True)

    def charge(self, points: int) -> None:
        """Spend ``points`` more of the window's budget (one per issue a response returned)."""
        with self._lock:
            self._roll_window(self._clock())
            self._points_used += points

    def headers(self) -> Headers:
        """The ``X-RateLimit-*`` headers describing the budget as it stands now."""
        with self._lock:
            now = self._clock()
            self._roll_window(now)
            limit = self.config.hourly_points
            remaining = max(0, limit - self._points_used)
            reset_in = self._window_start + self.config.window_seconds - now
            reset_at = datetime.fromtimestamp(self._wall_clock() + reset_in, UTC)
            headers = [
                ("X-RateLimit-Limit", str(limit)),
                ("X-RateLimit-Remaining", str(remaining)),
                ("X-RateLimit-Reset", reset_at.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ]
            if remaining < limit * self.config.near_limit_share:
                headers.append(("X-RateLimit-NearLimit", "true"))
            return headers

    def _roll_window(self, now: float) -> None:
        elapsed = now - self._window_start
        if elapsed >= self.config.window_seconds:
            windows = int(elapsed // self.config.window_seconds)
            self._window_start += windows * self.config.window_seconds
            self._points_used = 0
