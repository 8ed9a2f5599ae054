"""The kit's host client against the fake Jira site, as an installed app would use it."""

import time

import pytest
import requests

from atlassian_connect_kit.host import (
    HostClient,
    HostConfig,
    JiraBadRequest,
    JiraNotFound,
    JiraRateLimited,
    JiraTimeout,
    TenantCredentials,
)
from atlassian_connect_kit.host.oauth2 import AccessTokenCache
from atlassian_connect_kit.testing.fakejira import Issue, Project, SiteData, User, Worklog
from tests.addon_for_tests import SampleAddon

ALICE = "5b10a2844c20165700ede21a"
BOB = "5b10ac8d82e05b22cc7d4ef5"


@pytest.fixture
def fake_jira_site():
    from datetime import UTC, datetime

    users = [
        User(
            ALICE,
            "Alice Ångström",
            "alice@example.com",
            "Europe/Moscow",
            project_keys=frozenset({"ALPHA"}),
        ),
        User(BOB, "Bob Núñez", "bob@example.com", None, project_keys=frozenset({"ALPHA", "BETA"})),
    ]
    projects = [Project("10000", "ALPHA", "Alpha"), Project("10001", "BETA", "Beta")]
    issues = [
        Issue("20000", "ALPHA-1", "Alpha work", "Task", "ALPHA"),
        Issue("20001", "BETA-1", "Beta work", "Task", "BETA"),
    ]
    worklogs = [
        Worklog("30000", "20000", ALICE, datetime(2026, 1, 6, 9, tzinfo=UTC), 3600),
        Worklog("30001", "20001", BOB, datetime(2026, 1, 6, 10, tzinfo=UTC), 1800),
    ]
    return SiteData(users=users, projects=projects, issues=issues, worklogs=worklogs)


@pytest.fixture
def ack_extra_plugins():
    return [SampleAddon()]


def _credentials(app, fake_jira):
    return TenantCredentials(
        app.client_key, fake_jira.base_url, app.shared_secret, app.oauth_client_id
    )


def test_the_app_calls_back_as_the_user_and_as_the_app(installed_tenant, ack_server, fake_jira):
    # Alice may browse ALPHA only: as her, BETA is invisible; as the app, everything is.
    token = fake_jira.context_token(installed_tenant, ALICE)
    response = requests.get(
        f"{ack_server.base_url}/test/api/myself",
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "accountId": ALICE,
        "userProjects": ["ALPHA"],
        "appProjects": ["ALPHA", "BETA"],
    }
    methods = {(record.method, record.path) for record in fake_jira.requests}
    assert ("POST", "/oauth2/token") in methods


def test_as_user_search_sees_nothing_of_a_project_the_user_cannot_browse(
    installed_tenant, fake_jira
):
    config = HostConfig(
        app_key=installed_tenant.app_key,
        oauth2_token_url=fake_jira.oauth2_token_url,
        oauth2_audience=fake_jira.oauth_audience,
    )
    credentials = _credentials(installed_tenant, fake_jira)
    body = {"jql": 'worklogDate >= "2026-01-01"', "fields": ["worklog"]}
    as_user = HostClient.as_user(credentials, ALICE, config, token_cache=AccessTokenCache())
    as_app = HostClient.as_app(credentials, config)
    user_keys = [i["key"] for i in as_user.post("/rest/api/3/search/jql", json=body)["issues"]]
    app_keys = [i["key"] for i in as_app.post("/rest/api/3/search/jql", json=body)["issues"]]
    assert user_keys == ["ALPHA-1"]
    assert app_keys == ["ALPHA-1", "BETA-1"]
    # Naming the hidden project is an error, as in Jira; its worklogs stay out of reach too.
    with pytest.raises(JiraBadRequest, match="BETA"):
        as_user.post("/rest/api/3/search/jql", json={"jql": "project = BETA"})
    with pytest.raises(JiraNotFound):
        as_user.get("/rest/api/3/issue/BETA-1/worklog")
    assert as_app.get("/rest/api/3/issue/BETA-1/worklog")["total"] == 1


@pytest.mark.parametrize("retry_after", ["0", "1", None])
def test_a_429_storm_completes_within_the_caps(installed_tenant, fake_jira, retry_after):
    config = HostConfig(app_key=installed_tenant.app_key, max_attempts=5, max_wait_seconds=20)
    client = HostClient.as_app(_credentials(installed_tenant, fake_jira), config)
    fake_jira.inject_failures("/rest/api/3/myself", [429, 429, 429], [retry_after] * 3)
    started = time.monotonic()
    assert client.get("/rest/api/3/myself")["accountId"]
    elapsed = time.monotonic() - started
    assert fake_jira.count_requests("/rest/api/3/myself") == 4
    if retry_after == "1":
        assert elapsed >= 3.0  # Retry-After is a minimum
    assert elapsed < 20


def test_rate_limiting_that_outlasts_the_budget_raises_a_typed_error(installed_tenant, fake_jira):
    config = HostConfig(app_key=installed_tenant.app_key, max_attempts=3, max_wait_seconds=2)
    client = HostClient.as_app(_credentials(installed_tenant, fake_jira), config)
    fake_jira.inject_failures("/rest/api/3/myself", [429] * 5, ["30"] * 5)
    with pytest.raises(JiraRateLimited):
        client.get("/rest/api/3/myself")
    assert fake_jira.count_requests("/rest/api/3/myself") == 1  # a 30 s wait exceeds the budget


def test_503_then_success(installed_tenant, fake_jira):
    config = HostConfig(app_key=installed_tenant.app_key, max_wait_seconds=10)
    client = HostClient.as_app(_credentials(installed_tenant, fake_jira), config)
    fake_jira.inject_failures("/rest/api/3/project/search", [503], ["0"])
    assert [p["key"] for p in client.get("/rest/api/3/project/search")["values"]] == [
        "ALPHA",
        "BETA",
    ]


def test_a_hanging_jira_times_out(installed_tenant, fake_jira):
    config = HostConfig(
        app_key=installed_tenant.app_key, timeout_seconds=0.5, max_attempts=2, max_wait_seconds=1
    )
    client = HostClient.as_app(_credentials(installed_tenant, fake_jira), config)
    fake_jira.inject_delay("/rest/api/3/myself", 3, count=2)
    started = time.monotonic()
    with pytest.raises(JiraTimeout):
        client.get("/rest/api/3/myself")
    assert time.monotonic() - started < 5


def test_a_request_to_another_origin_is_refused_before_any_network_io(installed_tenant, fake_jira):
    client = HostClient.as_app(
        _credentials(installed_tenant, fake_jira), HostConfig(app_key=installed_tenant.app_key)
    )
    fake_jira.clear_requests()
    with pytest.raises(ValueError):
        client.get("https://evil.example.com/rest/api/3/myself")
    assert fake_jira.requests == []
