"""Parallel calls: fan_out itself, and the per-tenant cap on requests in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from atlassian_connect_kit.host import HostClient, HostConfig, JiraNotFound, fan_out
from tests.kit.host.scripted_jira import (
    Answer,
    ScriptedJira,
    running_jira,
    tenant_on,
)


@pytest.fixture
def jira() -> Iterator[ScriptedJira]:
    """A running scripted Jira whose worklog endpoint answers slowly, echoing the issue key."""
    with running_jira() as server:
        for key in [f"A-{n}" for n in range(40)] + [f"B-{n}" for n in range(40)]:
            server.script(
                "GET",
                f"/jira/rest/api/3/issue/{key}/worklog",
                Answer(200, {"key": key}, delay=0.05),
            )
        yield server


def test_results_keep_the_input_order() -> None:
    delays = [0.05, 0.0, 0.03, 0.01, 0.04]

    def slow_square(index: int) -> int:
        time.sleep(delays[index])
        return index * index

    assert fan_out(slow_square, range(5), max_workers=5) == [0, 1, 4, 9, 16]


def test_runs_at_most_max_workers_at_once() -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def tracked(item: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return item

    assert fan_out(tracked, range(12), max_workers=3) == list(range(12))
    assert most == 3


def test_the_first_failure_is_raised_and_pending_work_cancelled() -> None:
    started: list[int] = []

    def fail_on_two(item: int) -> int:
        started.append(item)
        if item == 2:
            raise JiraNotFound("Jira answered 404 to GET /rest/api/3/issue/X-2", status=404)
        time.sleep(0.01)
        return item

    with pytest.raises(JiraNotFound, match="X-2"):
        fan_out(fail_on_two, range(50), max_workers=1)

    # The single worker may pick up one more item before the cancellation lands; no more.
    assert started[:3] == [0, 1, 2]
    assert len(started) <= 4


def test_nothing_to_do_gives_nothing() -> None:
    assert fan_out(lambda item: item, [], max_workers=4) == []


def test_max_workers_must_be_positive() -> None:
    with pytest.raises(ValueError):
        fan_out(lambda item: item, [1], max_workers=0)


def test_concurrent_fan_outs_never_exceed_the_tenant_cap(jira: ScriptedJira) -> None:
    tenant = tenant_on(jira)
    config = HostConfig(app_key="app", concurrency=3)
    results: dict[str, list[object]] = {}

    def report(prefix: str) -> None:
        # Each report has its own client, as each view request would.
        client = HostClient.as_app(tenant, config)
        keys = [f"{prefix}-{n}" for n in range(40)]
        results[prefix] = fan_out(
            lambda key: client.get(f"/rest/api/3/issue/{key}/worklog"), keys, max_workers=8
        )

    reports = [threading.Thread(target=report, args=(prefix,)) for prefix in ("A", "B")]
    for thread in reports:
        thread.start()
    for thread in reports:
        thread.join()

    assert jira.max_in_flight == 3
    assert results["A"] == [{"key": f"A-{n}"} for n in range(40)]
    assert len(jira.received()) == 80


def test_each_tenant_has_its_own_cap(jira: ScriptedJira) -> None:
    config = HostConfig(app_key="app", concurrency=2)
    clients = {
        "A": HostClient.as_app(tenant_on(jira), config),
        "B": HostClient.as_app(tenant_on(jira), config),
    }
    calls_by_tenant: dict[str, int] = {}

    def fetch(prefix: str) -> None:
        fan_out(
            lambda n: clients[prefix].get(f"/rest/api/3/issue/{prefix}-{n}/worklog"),
            range(20),
            max_workers=8,
        )
        calls_by_tenant[prefix] = clients[prefix].calls

    threads = [threading.Thread(target=fetch, args=(prefix,)) for prefix in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Two tenants with two slots each: up to four requests at once, never more.
    assert jira.max_in_flight == 4
    assert calls_by_tenant == {"A": 20, "B": 20}
