"""The scripted Jira the host client tests run against answers and records as they expect."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.kit.host.scripted_jira import Answer, ScriptedJira, unused_port


def test_answers_in_order_then_repeats_the_last(jira: ScriptedJira) -> None:
    jira.script("GET", "/x", Answer(503), Answer(200, {"n": 1}))
    statuses = [requests.get(jira.origin + "/x", timeout=5).status_code for _ in range(3)]
    assert statuses == [503, 200, 200]


def test_records_the_raw_query_and_body(jira: ScriptedJira) -> None:
    jira.script("POST", "/y", Answer(204))
    requests.post(jira.origin + "/y?a=%20b&a=c", data=b'{"k": 1}', timeout=5)
    (received,) = jira.received("/y")
    assert (received.query, received.json()) == ("a=%20b&a=c", {"k": 1})


def test_measures_requests_in_flight(jira: ScriptedJira) -> None:
    jira.script("GET", "/slow", Answer(200, {}, delay=0.3))
    threads = [
        threading.Thread(target=requests.get, args=(jira.origin + "/slow",), kwargs={"timeout": 5})
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert jira.max_in_flight == 3


def test_unscripted_paths_answer_404(jira: ScriptedJira) -> None:
    assert requests.get(jira.origin + "/nothing", timeout=5).status_code == 404


def test_unused_port_refuses_connections() -> None:
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{unused_port()}/", timeout=5)
    assert time.monotonic() - started < 5
