"""Fixtures of the Timesheet's tests: the plugin under test, and the sites its reports read."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from atlassian_connect_kit.testing.fakejira import SiteData
from tests.timesheet import sites


@pytest.fixture
def ack_plugins() -> Sequence[str]:
    """The app under test runs the Timesheet (by its entry-point name), nothing else."""
    return ["smart_timesheet"]


@pytest.fixture
def contract_site() -> SiteData:
    """The site whose reports pin down the Timesheet's output (:func:`sites.contract_site`)."""
    return sites.contract_site()
