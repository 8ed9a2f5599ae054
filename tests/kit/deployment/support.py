"""Helpers of the deployment tests: settings for the served app, migrating first, waiting."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from atlassian_connect_kit.storage.db import make_engine, upgrade
from atlassian_connect_kit.testing.fakejira import FakeJira


def migrate(database_url: str) -> None:
    """Bring the database to the newest schema before any server starts (they would race)."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def app_settings(
    fake_jira: FakeJira, *, database_url: str, key_line: str, here: Path, **extra: str
) -> dict[str, str]:
    """Dev-mode settings serving the Timesheet against the fake site on ``database_url``."""
    return {
        "ack.dev_mode": "true",
        "ack.plugins": "smart_timesheet",
        "ack.encryption_keys": key_line,
        "ack.install_keys_url": fake_jira.install_keys_url,
        "ack.oauth2_token_url": fake_jira.oauth2_token_url,
        "ack.oauth2_audience": fake_jira.oauth_audience,
        "ack.host.max_wait_seconds": "5",
        "sqlalchemy.url": database_url,
        "here": str(here),
        **extra,
    }


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def server_environment() -> dict[str, str]:
    """This environment without ACK_* variables, which would override the servers' settings."""
    return {name: value for name, value in os.environ.items() if not name.startswith("ACK_")}
