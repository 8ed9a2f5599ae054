"""Walking paged Jira collections: nextPageToken searches and startAt/maxResults lists."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from atlassian_connect_kit.host import (
    HostClient,
    HostConfig,
    JiraError,
    TenantCredentials,
    iter_start_at,
    iter_token_pages,
)
from tests.kit.host.scripted_jira import (
    Answer,
    Received,
    RecordedSleep,
    Responder,
    ScriptedJira,
)

SEARCH = "/rest/api/3/search/jql"
WORKLOGS = "/rest/api/3/issue/ABC-1/worklog"


@pytest.fixture
def client(tenant: TenantCredentials) -> HostClient:
    """A client calling as the app, without real waits between retries."""
    return HostClient.as_app(tenant, HostConfig(app_key="app"), sleep=RecordedSleep())


def search_pages(pages: list[list[str]]) -> Responder:
    """A search endpoint serving ``pages`` by nextPageToken (``p1``, ``p2``, ...)."""

    def answer(request: Received) -> Answer:
        token = request.json().get("nextPageToken")
        index = 0 if token is None else int(token.removeprefix("p"))
        body: dict[str, object] = {"issues": [{"key": key} for key in pages[index]]}
        if index + 1 < len(pages):
            body["nextPageToken"] = f"p{index + 1}"
        return Answer(200, body)

    return answer


def query_of(received: Received) -> dict[str, list[str]]:
    """Parse a request's query string."""
    return parse_qs(received.query, keep_blank_values=True)


def test_token_pages_follow_next_page_token_to_the_end(
    jira: ScriptedJira, client: HostClient
) -> None:
    jira.respond("POST", "/jira" + SEARCH, search_pages([["A-1", "A-2"], ["A-3"], ["A-4"]]))
    body = {"jql": "project = A", "fields": ["worklog"], "maxResults": 2}

    pages = list(iter_token_pages(client, SEARCH, body=body))

    assert [[issue["key"] for issue in page] for page in pages] == [
        ["A-1", "A-2"],
        ["A-3"],
        ["A-4"],
    ]
    sent = [received.json() for received in jira.received()]
    assert sent == [body, {**body, "nextPageToken": "p1"}, {**body, "nextPageToken": "p2"}]
    assert body == {"jql": "project = A", "fields": ["worklog"], "maxResults": 2}


def test_token_pages_stop_early_when_the_caller_stops(
    jira: ScriptedJira, client: HostClient
) -> None:
    jira.respond("POST", "/jira" + SEARCH, search_pages([["A-1"], ["A-2"], ["A-3"]]))

    first_page = next(iter_token_pages(client, SEARCH, body={"jql": "project = A"}))

    assert first_page == [{"key": "A-1"}]
    assert len(jira.received()) == 1


def test_token_pages_stop_at_is_last(jira: ScriptedJira, client: HostClient) -> None:
    jira.script(
        "POST",
        "/jira" + SEARCH,
        Answer(200, {"issues": [{"key": "A-1"}], "nextPageToken": "more", "isLast": True}),
    )

    assert list(iter_token_pages(client, SEARCH, body={"jql": "x"})) == [[{"key": "A-1"}]]


def test_a_repeated_page_token_stops_with_an_error(jira: ScriptedJira, client: HostClient) -> None:
    jira.script(
        "POST",
        "/jira" + SEARCH,
        Answer(200, {"issues": [{"key": "A-1"}], "nextPageToken": "t1"}),
        Answer(200, {"issues": [{"key": "A-2"}], "nextPageToken": "t2"}),
        Answer(200, {"issues": [{"key": "A-1"}], "nextPageToken": "t1"}),
    )
    pages = []

    with pytest.raises(JiraError, match="nextPageToken it had already given"):
        for page in iter_token_pages(client, SEARCH, body={"jql": "x"}):
            pages.append(page)

    assert len(pages) == 3
    assert len(jira.received()) == 3


def test_token_pages_are_retried_as_reads(jira: ScriptedJira, client: HostClient) -> None:
    jira.script("POST", "/jira" + SEARCH, Answer(502), Answer(200, {"issues": []}))

    assert list(iter_token_pages(client, SEARCH, body={"jql": "x"})) == [[]]
    assert len(jira.received()) == 2


def test_token_pages_by_get_send_the_fields_as_query(
    jira: ScriptedJira, client: HostClient
) -> None:
    jira.script(
        "GET",
        "/jira" + SEARCH,
        Answer(200, {"issues": [1], "nextPageToken": "n1"}),
        Answer(200, {"issues": [2]}),
    )

    pages = list(
        iter_token_pages(
            client, SEARCH, body={"jql": "a = b", "fields": ["key", "worklog"]}, method="GET"
        )
    )

    assert pages == [[1], [2]]
    first, second = (query_of(received) for received in jira.received())
    assert first == {"jql": ["a = b"], "fields": ["key", "worklog"]}
    assert second == {**first, "nextPageToken": ["n1"]}


def test_token_pages_reject_a_page_that_is_not_an_object(
    jira: ScriptedJira, client: HostClient
) -> None:
    jira.script("POST", "/jira" + SEARCH, Answer(200, [1, 2]))

    with pytest.raises(JiraError, match="other than a page"):
        list(iter_token_pages(client, SEARCH, body={"jql": "x"}))


def worklog_pages(total: int, *, cap: int | None = None, report_total: bool = True) -> Responder:
    """A worklog endpoint of ``total`` entries, optionally capping maxResults like Jira does."""

    def answer(request: Received) -> Answer:
        query = parse_qs(request.query)
        start_at = int(query["startAt"][0])
        asked = int(query["maxResults"][0])
        size = min(asked, cap) if cap else asked
        entries = [{"id": str(n)} for n in range(start_at, min(start_at + size, total))]
        body: dict[str, object] = {"startAt": start_at, "maxResults": size, "worklogs": entries}
        if report_total:
            body["total"] = total
        return Answer(200, body)

    return answer


def test_start_at_pages_until_total(jira: ScriptedJira, client: HostClient) -> None:
    jira.respond("GET", "/jira" + WORKLOGS, worklog_pages(7))

    pages = list(
        iter_start_at(
            client,
            WORKLOGS,
            params={"startedAfter": 1700000000000},
            items_key="worklogs",
            page_size=3,
        )
    )

    assert [[entry["id"] for entry in page] for page in pages] == [
        ["0", "1", "2"],
        ["3", "4", "5"],
        ["6"],
    ]
    queries = [query_of(received) for received in jira.received()]
    assert [(q["startAt"], q["maxResults"]) for q in queries] == [
        (["0"], ["3"]),
        (["3"], ["3"]),
        (["6"], ["3"]),
    ]
    assert all(q["startedAfter"] == ["1700000000000"] for q in queries)


def test_start_at_stops_exactly_at_total_without_an_extra_call(
    jira: ScriptedJira, client: HostClient
) -> None:
    jira.respond("GET", "/jira" + WORKLOGS, worklog_pages(6))

    pages = list(iter_start_at(client, WORKLOGS, params=None, items_key="worklogs", page_size=3))

    assert len(pages) == 2
    assert len(jira.received()) == 2


def test_start_at_follows_a_page_size_capped_by_jira(
    jira: ScriptedJira, client: HostClient
) -> None:
    jira.respond("GET", "/jira" + WORKLOGS, worklog_pages(5, cap=2))

    pages = list(iter_start_at(client, WORKLOGS, params=None, items_key="worklogs", page_size=5000))

    assert [len(page) for page in pages] == [2, 2, 1]
    starts = [query_of(received)["startAt"] for received in jira.received()]
    assert starts == [["0"], ["2"], ["4"]]


def test_start_at_stops_on_a_short_page_without_total(
    jira: ScriptedJira, client: HostClient
) -> None:
    jira.respond("GET", "/jira" + WORKLOGS, worklog_pages(4, report_total=False))

    pages = list(iter_start_at(client, WORKLOGS, params=None, items_key="worklogs", page_size=3))

    assert [len(page) for page in pages] == [3, 1]
    assert len(jira.received()) == 2


def test_start_at_stops_on_an_empty_page(jira: ScriptedJira, client: HostClient) -> None:
    jira.respond("GET", "/jira" + WORKLOGS, worklog_pages(3, report_total=False))

    pages = list(iter_start_at(client, WORKLOGS, params=None, items_key="worklogs", page_size=3))

    assert [len(page) for page in pages] == [3, 0]


def test_start_at_believes_is_last(jira: ScriptedJira, client: HostClient) -> None:
    jira.script(
        "GET",
        "/jira/rest/api/3/project/search",
        Answer(200, {"values": [{"key": "A"}], "isLast": False, "maxResults": 50}),
        Answer(200, {"values": [{"key": "B"}, {"key": "C"}], "isLast": True, "total": 99}),
    )

    pages = list(
        iter_start_at(
            client,
            "/rest/api/3/project/search",
            params={"startAt": 40, "maxResults": 1, "orderBy": "key"},
            items_key="values",
            page_size=50,
        )
    )

    assert pages == [[{"key": "A"}], [{"key": "B"}, {"key": "C"}]]
    queries = [query_of(received) for received in jira.received()]
    assert queries[0] == {"orderBy": ["key"], "startAt": ["0"], "maxResults": ["50"]}
    assert queries[1]["startAt"] == ["1"]


def test_start_at_rejects_items_that_are_not_a_list(jira: ScriptedJira, client: HostClient) -> None:
    jira.script("GET", "/jira" + WORKLOGS, Answer(200, {"worklogs": {"0": {}}}))

    with pytest.raises(JiraError, match="not a list"):
        list(iter_start_at(client, WORKLOGS, params=None, items_key="worklogs", page_size=3))


def test_start_at_needs_a_positive_page_size(client: HostClient) -> None:
    with pytest.raises(ValueError):
        next(iter_start_at(client, WORKLOGS, params=None, items_key="worklogs", page_size=0))
