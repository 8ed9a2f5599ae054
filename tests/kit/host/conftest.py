"""Fixtures shared by the host client tests: a scripted Jira and a tenant on it."""

from collections.abc import Iterator

import pytest

from atlassian_connect_kit.host import TenantCredentials
from tests.kit.host.scripted_jira import ScriptedJira, running_jira, tenant_on


@pytest.fixture
def jira() -> Iterator[ScriptedJira]:
    """A running scripted Jira."""
    with running_jira() as server:
        yield server


@pytest.fixture
def tenant(jira: ScriptedJira) -> TenantCredentials:
    """A tenant on the scripted Jira (its baseUrl has a path, as some sites' do)."""
    return tenant_on(jira)
