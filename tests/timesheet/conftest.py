"""Fixtures of the Timesheet's tests: the plugin under test, the sites and worklogs they read.

Plain builders (a worklog, a week's parameters) live in :mod:`tests.timesheet.builders`, hand-made
sites in :mod:`tests.timesheet.sites`, hypothesis strategies in
:mod:`tests.timesheet.report.strategies`; test modules import those, never each other.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from atlassian_connect_kit.testing.fakejira import FakeJira, SiteData, User
from smart_timesheet_plugin.report.model import Worklog
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
