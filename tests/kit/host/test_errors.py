"""The typed errors and the reading of failed answers."""

from __future__ import annotations

import pytest

from atlassian_connect_kit.host import (
    JiraAuthError,
    JiraBadRequest,
    JiraError,
    JiraNotFound,
    JiraRateLimited,
    JiraTimeout,
    JiraUnavailable,
)
from atlassian_connect_kit.host.errors import error_details, retry_after_seconds


def test_str_is_the_summary_and_jira_messages() -> None:
    error = JiraBadRequest(
        "Jira answered 400 to POST /rest/api/3/search/jql",
        status=400,
        error_messages=["Field 'worklogDat' does not exist."],
        errors={"jql": "invalid"},
    )

    assert str(error) == (
        "Jira answered 400 to POST /rest/api/3/search/jql: "
        "Field 'worklogDat' does not exist.; jql: invalid"
    )


def test_str_without_details_is_the_summary() -> None:
    assert str(JiraUnavailable("Jira could not be reached for GET /x")) == (
        "Jira could not be reached for GET /x"
    )


def test_str_is_kept_short() -> None:
    error = JiraError("Jira answered 502 to GET /x", error_messages=["<html>" + "x" * 5000])

    assert len(str(error)) == 300
    assert str(error).endswith("...")
    assert len(error.error_messages[0]) > 5000  # the full text stays available to code


def test_every_error_is_a_jira_error_and_timeouts_are_unavailability() -> None:
    for error_type in (JiraAuthError, JiraNotFound, JiraBadRequest, JiraRateLimited):
        assert issubclass(error_type, JiraError)
    assert issubclass(JiraTimeout, JiraUnavailable)
    assert not issubclass(JiraRateLimited, JiraUnavailable)


def test_rate_limited_carries_the_wait_jira_asked_for() -> None:
    error = JiraRateLimited("Jira answered 429 to GET /x", retry_after=30.0)

    assert (error.status, error.retry_after) == (429, 30.0)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"errorMessages": ["No issue"], "errors": {"jql": "bad", "n": 3}}',
            (["No issue"], {"jql": "bad", "n": "3"}),
        ),
        (b'{"message": "Client must be authenticated"}', (["Client must be authenticated"], {})),
        (b'{"errorMessages": "not a list", "errors": []}', ([], {})),
        (b"<html>Bad gateway</html>", ([], {})),
        (b"", ([], {})),
        (b'["a list"]', ([], {})),
    ],
)
def test_error_details_read_jira_error_bodies(
    body: bytes, expected: tuple[list[str], dict[str, str]]
) -> None:
    assert error_details(body) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("0", 0.0),
        ("1", 1.0),
        (" 30 ", 30.0),
        ("2.5", 2.5),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    now = 1445412480.0  # 2015-10-21 07:28:00 UTC
    assert retry_after_seconds(header, now=now) == expected
