"""The fake site misbehaving on purpose: rate limits, injected failures, latency, hangs; and the
request log tests use to count calls."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests

from atlassian_connect_kit.testing.fakejira import FakeJira, InstalledApp, RateLimitConfig
from atlassian_connect_kit.testing.fakejira.ratelimit import RateLimiter
from tests.kit.testing.fakejira_support import (
    ANN,
    BOB,
    RecordingApp,
    as_app,
    as_user,
    rest_url,
    tiny_site,
)

SEARCH = "/rest/api/3/search/jql"
MYSELF = "/rest/api/3/myself"


@pytest.fixture(scope="module")
def recording_app() -> Iterator[RecordingApp]:
    """The Connect app the sites install."""
    app = RecordingApp()
    yield app
    app.stop()


@pytest.fixture
def site(recording_app: RecordingApp) -> Iterator[tuple[FakeJira, InstalledApp]]:
    """A fresh site below ``/jira`` with the app installed and the log cleared."""
    with FakeJira(tiny_site(), base_path="/jira") as fake:
        app = fake.install(recording_app.base_url)
        fake.clear_requests()
        yield fake, app


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- rate limiting ---------------------------------------------------------------------------


def test_bursts_beyond_the_per_endpoint_rate_get_429_with_jiras_headers(
    site: tuple[FakeJira, InstalledApp],
) -> None:
    fake, app = site
    fake.set_rate_limit(RateLimitConfig(burst_per_second=2, hourly_points=1000))

    statuses = [as_app(fake, app, "GET", MYSELF) for _ in range(3)]
    other_endpoint = as_app(fake, app, "GET", "/rest/api/3/configuration")

    first, _, refused = statuses
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert first.headers["X-RateLimit-Limit"] == "1000"
    assert first.headers["X-RateLimit-Remaining"] == "999"
    reset = datetime.strptime(first.headers["X-RateLimit-Reset"], "%Y-%m-%dT%H:%M:%SZ")
    assert reset.replace(tzinfo=UTC) > datetime.now(UTC)
    assert refused.headers["RateLimit-Reason"] == "jira-burst-based"
    assert int(refused.headers["Retry-After"]) in (0, 1)
    assert refused.json()["errorMessages"]
    assert other_endpoint.status_code == 200


def test_the_points_budget_counts_requests_and_returned_issues(
    site: tuple[FakeJira, InstalledApp],
) -> None:
    fake, app = site
    fake.set_rate_limit(RateLimitConfig(hourly_points=6))

    search = as_app(fake, app, "POST", SEARCH, json={"jql": "project = ALPHA", "maxResults": 3})
    near = as_app(fake, app, "GET", MYSELF)
    last_point = as_app(fake, app, "GET", MYSELF)
    exhausted = as_app(fake, app, "GET", MYSELF)

    # 1 point for the search and 3 for its issues, then 1 for each /myself.
    assert search.headers["X-RateLimit-Remaining"] == "2"
    assert "X-RateLimit-NearLimit" not in search.headers
    assert near.headers["X-RateLimit-Remaining"] == "1"
    assert near.headers["X-RateLimit-NearLimit"] == "true"
    assert (last_point.status_code, last_point.headers["X-RateLimit-Remaining"]) == (200, "0")
    assert exhausted.status_code == 429
    assert exhausted.headers["RateLimit-Reason"] == "jira-quota-global-based"
    assert exhausted.headers["X-RateLimit-Remaining"] == "0"
    assert 3500 < int(exhausted.headers["Retry-After"]) <= 3600


def test_rate_limiting_is_off_by_default_and_can_be_switched_off(
    site: tuple[FakeJira, InstalledApp],
) -> None:
    fake, app = site
    assert "X-RateLimit-Limit" not in as_app(fake, app, "GET", MYSELF).headers

    fake.set_rate_limit(RateLimitConfig(hourly_points=1))
    as_app(fake, app, "GET", MYSELF)
    assert as_app(fake, app, "GET", MYSELF).status_code == 429
    fake.set_rate_limit(None)

    assert as_app(fake, app, "GET", MYSELF).status_code == 200


def test_burst_buckets_refill_with_time_and_the_window_resets_the_budget() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        RateLimitConfig(burst_per_second=1, hourly_points=3, window_seconds=60), clock=clock
    )

    assert limiter.admit("GET /a").allowed
    refused = limiter.admit("GET /a")
    clock.now += 0.4
    still_refused = limiter.admit("GET /a")
    clock.now += 0.6
    refilled = limiter.admit("GET /a")
    limiter.charge(5)
    over_budget = limiter.admit("GET /b")
    clock.now += 60
    new_window = limiter.admit("GET /b")

    assert (refused.allowed, refused.retry_after, refused.reason) == (False, 1, "jira-burst-based")
    assert (still_refused.allowed, still_refused.retry_after) == (False, 0)
    assert refilled.allowed
    assert (over_budget.allowed, over_budget.reason) == (False, "jira-quota-global-based")
    assert new_window.allowed


# -- injected failures, latency, hangs ---------------------------------------------------------


def test_injected_failures_hit_the_next_matching_requests_in_order(
    site: tuple[FakeJira, InstalledApp],
) -> None:
    fake, app = site
    fake.inject_failures(SEARCH, statuses=[429, 429, 503], retry_after=["0", "1", None])
    body = {"jql": "project = ALPHA"}

    unaffected = as_app(fake, app, "GET", MYSELF)
    answers = [as_app(fake, app, "POST", SEARCH, json=body) for _ in range(4)]

    assert unaffected.status_code == 200
    assert [a.status_code for a in answers] == [429, 429, 503, 200]
    assert [a.headers.get("Retry-After") for a in answers[:3]] == ["0", "1", None]
    assert answers[2].json()["errorMessages"]
    assert fake.count_requests(SEARCH, status=429) == 2


def test_injected_failures_can_target_one_method_and_be_cleared(
    site: tuple[FakeJira, InstalledApp],
) -> None:
    fake, app = site
    fake.inject_failures("/rest/api/3/issue/", statuses=[500], method="GET")
    fake.inject_failures(MYSELF, statuses=[503, 503])

    failed = as_app(fake, app, "GET", "/rest/api/3/issue/ALPHA-2/worklog")
    fake.clear_faults()

    assert failed.status_code == 500
    assert as_app(fake, app, "GET", MYSELF).status_code == 200


def test_latency_slows_every_request(site: tuple[FakeJira, InstalledApp]) -> None:
    fake, app = site
    fake.set_latency(0.2)

    began = time.perf_counter()
    as_app(fake, app, "GET", MYSELF)
    slow = time.perf_counter() - began
    fake.set_latency(0)
    began = time.perf_counter()
    as_app(fake, app, "GET", MYSELF)
    fast = time.perf_counter() - began

    assert slow >= 0.2 > fast


def test_a_delayed_request_outlasts_a_client_timeout_and_stop_releases_it(
    recording_app: RecordingApp,
) -> None:
    fake = FakeJira(tiny_site()).start()
    app = fake.install(recording_app.base_url)
    fake.inject_delay(MYSELF, 30)
    try:
        with pytest.raises(requests.Timeout):
            requests.get(rest_url(fake, MYSELF), timeout=0.3)
        assert as_app(fake, app, "GET", MYSELF).status_code == 200  # Only the next one hangs.
    finally:
        began = time.perf_counter()
        fake.stop()
    assert time.perf_counter() - began < 2


def test_requests_are_served_concurrently(site: tuple[FakeJira, InstalledApp]) -> None:
    fake, app = site
    fake.set_latency(0.3)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda _: as_app(fake, app, "GET", MYSELF).status_code, range(10)))
    elapsed = time.perf_counter() - began

    assert statuses == [200] * 10
    assert elapsed < 1.5  # One after another would take 3 s.


# -- the request log ---------------------------------------------------------------------------


def test_the_request_log_records_who_called_what(site: tuple[FakeJira, InstalledApp]) -> None:
    fake, app = site
    token = fake.access_token(app, BOB)

    as_app(fake, app, "GET", "/rest/api/3/user", {"accountId": ANN})
    as_user(fake, token, "GET", "/rest/api/3/issue/BETA-1/worklog")
    requests.get(rest_url(fake, MYSELF), timeout=10)

    by_app, by_bob, anonymous = fake.requests
    assert (by_app.method, by_app.path, by_app.query) == (
        "GET",
        "/rest/api/3/user",
        f"accountId={ANN}",
    )
    assert (by_app.status, by_app.acting_as, by_app.account_id) == (200, "app", None)
    assert (by_bob.status, by_bob.acting_as, by_bob.account_id) == (404, "user", BOB)
    assert (anonymous.status, anonymous.acting_as) == (401, None)
    assert by_app.time <= by_bob.time <= anonymous.time and by_app.duration >= 0


def test_counting_helpers_match_paths_on_segment_boundaries(
    site: tuple[FakeJira, InstalledApp],
) -> None:
    fake, app = site
    for key in ("ALPHA-2", "ALPHA-4", "ALPHA-4"):
        as_app(fake, app, "GET", f"/rest/api/3/issue/{key}/worklog")
    as_app(fake, app, "GET", "/rest/api/3/user", {"accountId": ANN})
    as_app(fake, app, "GET", "/rest/api/3/user/bulk", {"accountId": ANN})
    as_app(fake, app, "GET", "/rest/api/3/users/search")  # Not an endpoint here, but logged.

    assert fake.count_requests("/rest/api/3/issue/") == 3
    assert fake.count_requests("/rest/api/3/issue/ALPHA-4/worklog") == 2
    assert fake.count_requests("/rest/api/3/user") == 2  # /user and /user/bulk, not /users.
    assert fake.count_requests("/rest/api/3/users/search", status=404) == 1
    assert fake.count_requests(method="get") == 6
    assert fake.request_counts()["GET /rest/api/3/issue/ALPHA-4/worklog"] == 2
    fake.clear_requests()
    assert fake.requests == [] and fake.count_requests() == 0


def test_swapping_the_sites_data_takes_effect_for_the_next_request(
    site: tuple[FakeJira, InstalledApp],
) -> None:
    fake, app = site
    body = {"jql": 'worklogDate = "2026-03-02"'}
    before = as_app(fake, app, "POST", SEARCH, json=body).json()["issues"]

    # ALPHA-3's worklog (2026-03-01 20:00 UTC) falls on 2 March in a Kolkata site.
    fake.data = tiny_site("Asia/Kolkata")
    after = as_app(fake, app, "POST", SEARCH, json=body).json()["issues"]

    assert [issue["key"] for issue in before] == ["ALPHA-4"]
    assert [issue["key"] for issue in after] == ["ALPHA-3", "ALPHA-4"]


def test_the_site_must_be_started_before_it_has_urls() -> None:
    idle = FakeJira(tiny_site())

    with pytest.raises(RuntimeError, match="start the fake site first"):
        _ = idle.base_url
    with pytest.raises(ValueError, match="base_path"):
        FakeJira(tiny_site(), base_path="jira")
