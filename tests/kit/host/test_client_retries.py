"""Retries: rate limits, unavailable servers, timeouts, and the budgets that bound them."""

from __future__ import annotations

import time

import jwt
import pytest

from atlassian_connect_kit.host import (
    HostClient,
    HostConfig,
    JiraBadRequest,
    JiraRateLimited,
    JiraTimeout,
    JiraUnavailable,
    TenantCredentials,
)
from tests.kit.host.scripted_jira import (
    SHARED_SECRET,
    Answer,
    HighestJitter,
    LowestJitter,
    RecordedSleep,
    ScriptedJira,
    unused_port,
)

SEARCH = "/rest/api/3/search/jql"
ISSUE = "/rest/api/3/issue/ABC-1"


def rate_limited(retry_after: str | None) -> Answer:
    """A 429 as Jira sends it, with or without Retry-After."""
    headers = {"X-RateLimit-Remaining": "0"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return Answer(429, {"errorMessages": ["Rate limit exceeded."]}, headers)


def test_retry_after_zero_storm_completes_with_short_jittered_waits(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("GET", "/jira" + ISSUE, *[rate_limited("0")] * 4, Answer(200, {"key": "ABC-1"}))
    sleep = RecordedSleep()
    client = HostClient.as_app(tenant, HostConfig(app_key="app"), sleep=sleep)

    assert client.get(ISSUE) == {"key": "ABC-1"}

    assert client.calls == 5
    assert len(sleep.waits) == 4
    assert all(0.1 <= wait <= 0.5 for wait in sleep.waits)
    assert len(set(sleep.waits)) > 1  # jittered, not one fixed value


def test_retry_after_is_a_minimum(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script(
        "GET", "/jira" + ISSUE, rate_limited("7"), Answer(503, headers={"Retry-After": "3"})
    )
    sleep = RecordedSleep()
    config = HostConfig(app_key="app", max_attempts=3)
    client = HostClient.as_app(tenant, config, sleep=sleep, rng=LowestJitter())

    with pytest.raises(JiraUnavailable):
        client.get(ISSUE)

    assert sleep.waits == [pytest.approx(7.1), pytest.approx(3.1)]


def test_retry_after_one_waits_in_real_time(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("GET", "/jira" + ISSUE, rate_limited("1"), Answer(200, {"key": "ABC-1"}))
    client = HostClient.as_app(tenant, HostConfig(app_key="app"))

    started = time.monotonic()
    assert client.get(ISSUE) == {"key": "ABC-1"}
    elapsed = time.monotonic() - started

    assert 1.1 <= elapsed < 3.0
    assert len(jira.received()) == 2


def test_without_retry_after_backs_off_exponentially(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("GET", "/jira" + ISSUE, *[rate_limited(None)] * 4, Answer(200, {}))
    low, high = RecordedSleep(), RecordedSleep()
    config = HostConfig(app_key="app")

    HostClient.as_app(tenant, config, sleep=low, rng=LowestJitter()).get(ISSUE)
    jira.script("GET", "/jira" + ISSUE, *[rate_limited(None)] * 4, Answer(200, {}))
    HostClient.as_app(tenant, config, sleep=high, rng=HighestJitter()).get(ISSUE)

    assert low.waits == [1.0, 2.0, 4.0, 8.0]
    assert high.waits == [2.0, 4.0, 8.0, 16.0]


def test_gives_up_after_max_attempts(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("GET", "/jira" + ISSUE, rate_limited("0"))
    sleep = RecordedSleep()
    client = HostClient.as_app(tenant, HostConfig(app_key="app", max_attempts=3), sleep=sleep)

    with pytest.raises(JiraRateLimited) as raised:
        client.get(ISSUE)

    assert len(jira.received()) == 3
    assert len(sleep.waits) == 2
    assert raised.value.status == 429
    assert raised.value.retry_after == 0
    assert raised.value.error_messages == ["Rate limit exceeded."]


def test_gives_up_when_the_next_wait_would_exceed_the_budget(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("GET", "/jira" + ISSUE, rate_limited("2"))
    sleep = RecordedSleep()
    config = HostConfig(app_key="app", max_attempts=10, max_wait_seconds=5.0)
    client = HostClient.as_app(tenant, config, sleep=sleep, rng=LowestJitter())

    with pytest.raises(JiraRateLimited) as raised:
        client.get(ISSUE)

    assert sleep.waits == [pytest.approx(2.1), pytest.approx(2.1)]
    assert len(jira.received()) == 3
    assert raised.value.retry_after == 2


def test_a_retry_after_beyond_the_budget_is_reported_at_once(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("POST", "/jira" + SEARCH, rate_limited("120"))
    sleep = RecordedSleep()
    client = HostClient.as_app(tenant, HostConfig(app_key="app"), sleep=sleep)

    with pytest.raises(JiraRateLimited) as raised:
        client.post(SEARCH, json={"jql": "project = A"})

    assert sleep.waits == []
    assert len(jira.received()) == 1
    assert raised.value.retry_after == 120


def test_retry_after_as_an_http_date_is_honoured(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script(
        "GET", "/jira" + ISSUE, rate_limited("Thu, 01 Jan 2099 00:00:00 GMT"), Answer(200, {})
    )
    sleep = RecordedSleep()
    client = HostClient.as_app(tenant, HostConfig(app_key="app"), sleep=sleep)

    with pytest.raises(JiraRateLimited) as raised:
        client.get(ISSUE)

    assert raised.value.retry_after is not None and raised.value.retry_after > 10**9
    assert sleep.waits == []


def test_503_then_success(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("POST", "/jira" + SEARCH, Answer(503), Answer(200, {"issues": []}))
    sleep = RecordedSleep()
    client = HostClient.as_app(tenant, HostConfig(app_key="app"), sleep=sleep)

    assert client.post(SEARCH, json={"jql": "project = A"}) == {"issues": []}

    first, second = jira.received()
    assert first.json() == second.json() == {"jql": "project = A"}
    assert len(sleep.waits) == 1 and 1.0 <= sleep.waits[0] <= 2.0
    # Each attempt carries its own valid signature.
    for received in (first, second):
        token = (received.header("Authorization") or "").removeprefix("JWT ")
        jwt.decode(token, SHARED_SECRET, algorithms=["HS256"])


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_are_retried_when_repeating_is_safe(
    jira: ScriptedJira, tenant: TenantCredentials, status: int
) -> None:
    jira.script("GET", "/jira" + ISSUE, Answer(status), Answer(200, {"key": "ABC-1"}))
    client = HostClient.as_app(tenant, HostConfig(app_key="app"), sleep=RecordedSleep())

    assert client.get(ISSUE) == {"key": "ABC-1"}
    assert len(jira.received()) == 2


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_on_a_post_are_not_repeated(
    jira: ScriptedJira, tenant: TenantCredentials, status: int
) -> None:
    jira.script("POST", "/jira/rest/api/3/issue/ABC-1/worklog", Answer(status), Answer(201, {}))
    client = HostClient.as_app(tenant, HostConfig(app_key="app"), sleep=RecordedSleep())

    with pytest.raises(JiraUnavailable) as raised:
        client.post("/rest/api/3/issue/ABC-1/worklog", json={"timeSpentSeconds": 60})

    assert raised.value.status == status
    assert len(jira.received()) == 1


def test_a_post_marked_idempotent_is_repeated(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("POST", "/jira" + SEARCH, Answer(502), Answer(200, {"issues": []}))
    client = HostClient.as_app(tenant, HostConfig(app_key="app"), sleep=RecordedSleep())

    assert client.post(SEARCH, json={"jql": "x"}, idempotent=True) == {"issues": []}


def test_persistent_server_error_gives_up_with_jira_unavailable(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("GET", "/jira" + ISSUE, Answer(503, {"errorMessages": ["Down for maintenance"]}))
    sleep = RecordedSleep()
    client = HostClient.as_app(tenant, HostConfig(app_key="app", max_attempts=4), sleep=sleep)

    with pytest.raises(JiraUnavailable) as raised:
        client.get(ISSUE)

    assert raised.value.status == 503
    assert "Down for maintenance" in str(raised.value)
    assert len(jira.received()) == 4
    assert sum(sleep.waits) <= 60.0


def test_bad_request_is_not_retried_and_carries_jira_messages(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script(
        "POST",
        "/jira" + SEARCH,
        Answer(
            400,
            {
                "errorMessages": ["Error in the JQL Query: Expecting operator but got 'banana'."],
                "errors": {"jql": "The JQL is not valid."},
            },
        ),
    )
    sleep = RecordedSleep()
    client = HostClient.as_app(tenant, HostConfig(app_key="app"), sleep=sleep)

    with pytest.raises(JiraBadRequest) as raised:
        client.post(SEARCH, json={"jql": "project banana"}, idempotent=True)

    error = raised.value
    assert error.status == 400
    assert error.error_messages == ["Error in the JQL Query: Expecting operator but got 'banana'."]
    assert error.errors == {"jql": "The JQL is not valid."}
    assert str(error) == (
        "Jira answered 400 to POST /jira/rest/api/3/search/jql: Error in the JQL Query: "
        "Expecting operator but got 'banana'.; jql: The JQL is not valid."
    )
    assert len(jira.received()) == 1
    assert sleep.waits == []


def test_slow_answers_time_out_within_the_attempts(
    jira: ScriptedJira, tenant: TenantCredentials
) -> None:
    jira.script("GET", "/jira" + ISSUE, Answer(200, {}, delay=5.0))
    sleep = RecordedSleep()
    config = HostConfig(app_key="app", timeout_seconds=0.3, max_attempts=3)
    client = HostClient.as_app(tenant, config, sleep=sleep)

    started = time.monotonic()
    with pytest.raises(JiraTimeout):
        client.get(ISSUE)
    elapsed = time.monotonic() - started

    assert elapsed < 0.3 * 3 + 1.0
    assert len(jira.received()) == 3
    assert len(sleep.waits) == 2


def test_a_body_that_stalls_times_out(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("GET", "/jira" + ISSUE, Answer(200, {"key": "ABC-1"}, body_delay=5.0))
    config = HostConfig(app_key="app", timeout_seconds=0.3, max_attempts=2)
    client = HostClient.as_app(tenant, config, sleep=RecordedSleep())

    started = time.monotonic()
    with pytest.raises(JiraTimeout):
        client.get(ISSUE)

    assert time.monotonic() - started < 0.3 * 2 + 1.0
    assert len(jira.received()) == 2


def test_a_timed_out_post_is_not_repeated(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("POST", "/jira/rest/api/3/issue/ABC-1/worklog", Answer(201, {}, delay=5.0))
    config = HostConfig(app_key="app", timeout_seconds=0.3)
    client = HostClient.as_app(tenant, config, sleep=RecordedSleep())

    with pytest.raises(JiraTimeout):
        client.post("/rest/api/3/issue/ABC-1/worklog", json={"timeSpentSeconds": 60})

    assert len(jira.received()) == 1


def test_a_timeout_then_an_answer_succeeds(jira: ScriptedJira, tenant: TenantCredentials) -> None:
    jira.script("GET", "/jira" + ISSUE, Answer(200, {}, delay=5.0), Answer(200, {"key": "ABC-1"}))
    config = HostConfig(app_key="app", timeout_seconds=0.3)
    client = HostClient.as_app(tenant, config, sleep=RecordedSleep())

    assert client.get(ISSUE) == {"key": "ABC-1"}


def test_unreachable_jira_is_retried_then_reported() -> None:
    tenant = TenantCredentials(
        client_key="unreachable-tenant",
        base_url=f"http://127.0.0.1:{unused_port()}",
        shared_secret=SHARED_SECRET,
    )
    sleep = RecordedSleep()
    client = HostClient.as_app(tenant, HostConfig(app_key="app", max_attempts=3), sleep=sleep)

    with pytest.raises(JiraUnavailable) as raised:
        client.get(ISSUE)

    assert type(raised.value) is JiraUnavailable
    assert raised.value.status is None
    assert client.calls == 3
    assert len(sleep.waits) == 2
