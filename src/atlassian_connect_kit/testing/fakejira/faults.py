"""Scripted misbehaviour: the next requests to a path fail, or take longer than a client waits.

A rule matches a request whose path (relative to the site's base URL) equals its prefix or lies
below it, optionally only for one HTTP method. Rules are consumed in the order they were added;
each matching request uses up one planned failure or delay.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar


@dataclass(frozen=True, slots=True)
class PlannedFailure:
    """A response to give instead of the real one; ``retry_after`` is sent as is when set."""

    status: int
    retry_after: str | None = None


_Step = TypeVar("_Step")


@dataclass(slots=True)
class _Rule(Generic[_Step]):
    prefix: str
    method: str | None
    steps: deque[_Step] = field(default_factory=deque)

    def matches(self, method: str, path: str) -> bool:
        return (
            bool(self.steps)
            and (self.method is None or self.method == method)
            and (path_is_under(path, self.prefix))
        )


def path_is_under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it (``/a/b`` is under ``/a`` but ``/ab`` is not)."""
    stem = prefix.rstrip("/")
    return path in (prefix, stem) or path.startswith(stem + "/")


class FaultPlan:
    """Thread-safe queues of planned failures and delays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_Rule[PlannedFailure]] = []
        self._delays: list[_Rule[float]] = []

    def add_failures(
        self,
        prefix: str,
        statuses: Sequence[int],
        retry_after: Sequence[str | None] | None = None,
        *,
        method: str | None = None,
    ) -> None:
        """Make the next ``len(statuses)`` matching requests fail with these statuses in order.

        ``retry_after`` gives each failure's ``Retry-After`` header (``None``: no header).
        """
        waits = list(retry_after) if retry_after is not None else [None] * len(statuses)
        if len(waits) != len(statuses):
            raise ValueError("retry_after needs one entry per status")
        steps = deque(
            PlannedFailure(status, wait) for status, wait in zip(statuses, waits, strict=True)
        )
        with self._lock:
            self._failures.append(_Rule(prefix, _upper(method), steps))

    def add_delay(
        self, prefix: str, seconds: float, *, count: int = 1, method: str | None = None
    ) -> None:
        """Hold the next ``count`` matching requests for ``seconds`` before they are handled."""
        with self._lock:
            self._delays.append(_Rule(prefix, _upper(method), deque([seconds] * count)))

    def take_failure(self, method: str, path: str) -> PlannedFailure | None:
        """Use up and return the planned failure for this request, if any."""
        with self._lock:
            return _take(self._failures, method, path)

    def take_delay(self, method: str, path: str) -> float:
        """Use up and return the planned delay for this request (0 when none)."""
        with self._lock:
            return _take(self._delays, method, path) or 0.0

    def clear(self) -> None:
        """Forget every planned failure and delay."""
        with self._lock:
            self._failures.clear()
            self._delays.clear()


def _take(rules: list[_Rule[_Step]], method: str, path: str) -> _Step | None:
    for rule in rules:
        if rule.matches(method, path):
            step = rule.steps.popleft()
            if not rule.steps:
                rules.remove(rule)
            return step
    return None


def _upper(method: str | None) -> str | None:
    return method.upper() if method is not None else None
