"""A clock the storage tests move by hand."""

from __future__ import annotations

from dataclasses import dataclass

START_OF_TEST_CLOCK = 1_800_000_000.0


@dataclass
class FakeClock:
    """A clock the test moves by hand; call it for seconds since the epoch."""

    now: float = START_OF_TEST_CLOCK

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds
