"""What the Timesheet's browser tests share: the Chromium they drive and how they give up.

Chromium comes from ``ACK_TEST_CHROMIUM`` or ``/usr/bin/chromium``. Without it, or without
Playwright, the tests are skipped, except under ``CI=true`` where they fail instead. The
``playwright_api`` and ``browser`` fixtures are in this package's conftest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Screenshots and other files a browser test leaves for a person to look at.
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("ACK_TEST_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: How long a browser test waits for the page to show what it expects, in milliseconds.
TIMEOUT_MS = 20_000


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it under ``CI=true``, where browsers must run."""
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{reason}; CI=true requires the browser tests to run", pytrace=False)
    pytest.skip(reason)
