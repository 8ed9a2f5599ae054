"""Fixtures of the Timesheet's tests: the plugin under test, the sites and worklogs they read.

Plain builders (a worklog, a week's parameters) live in :mod:`tests.timesheet.builders`, hand-made
sites in :mod:`tests.timesheet.sites`, hypothesis strategies in
:mod:`tests.timesheet.report.strategies`; test modules import those, never each other.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from atlassian_connect_kit.testing.fakejira import FakeJira, SiteData, User
from smart_timesheet_plugin.report.model import Worklog
from tests.timesheet import browser as browser_support
from tests.timesheet import sites
from tests.timesheet.builders import team_worklogs


@pytest.fixture
def ack_plugins() -> Sequence[str]:
    """The app under test runs the Timesheet (by its entry-point name), nothing else."""
    return ["smart_timesheet"]


@pytest.fixture
def viewer(fake_jira: FakeJira) -> User:
    """The first active user of the fake site, who opens the page."""
    return next(user for user in fake_jira.data.users if user.active)


@pytest.fixture
def contract_site() -> SiteData:
    """The site whose reports pin down the Timesheet's output (:func:`sites.contract_site`)."""
    return sites.contract_site()


@pytest.fixture
def team() -> list[Worklog]:
    """A small team's week of worklogs for the engine (:func:`builders.team_worklogs`)."""
    return team_worklogs()


@pytest.fixture
def database_inventory(tmp_path) -> Callable[[], dict[str, int]]:
    """Read the app's SQLite database of this test (``tmp_path/ack.sqlite``): each table's row
    count by name, so a test can show a feature left no table or row behind."""

    def inventory() -> dict[str, int]:
        with sqlite3.connect(tmp_path / "ack.sqlite") as connection:
            tables = sorted(
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            )
            return {
                table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                for table in tables
            }

    return inventory


@pytest.fixture(scope="module")
def playwright_api() -> Any:
    """Playwright's sync API module (see :mod:`tests.timesheet.browser`)."""
    try:
        from playwright import sync_api
    except ImportError:
        browser_support.unavailable("Playwright is not installed (pip install playwright)")
    sync_api.expect.set_options(timeout=browser_support.TIMEOUT_MS)
    return sync_api


@pytest.fixture(scope="module")
def browser(playwright_api: Any) -> Iterator[Any]:
    """A headless Chromium, from ACK_TEST_CHROMIUM or /usr/bin/chromium."""
    chromium = browser_support.CHROMIUM
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        browser_support.unavailable(
            f"no Chromium at {chromium} (set ACK_TEST_CHROMIUM to a Chromium binary)"
        )
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, args=browser_support.CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()
