"""Jira's wire format read into typed values: timestamps, ADF comments, issues, worklogs, users."""

from __future__ import annotations

import calendar
from typing import Any

import pytest

from smart_timesheet_plugin.source.wire import (
    IssueFacts,
    UserFacts,
    adf_to_text,
    embedded_worklogs,
    parse_jira_datetime,
    read_issue,
    read_user,
    read_worklog,
)

# --- timestamps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc_fields", "milliseconds"),
    [
        ("2021-01-17T12:34:00.000+0000", (2021, 1, 17, 12, 34, 0), 0),
        ("2021-01-17T12:34:00.000+00:00", (2021, 1, 17, 12, 34, 0), 0),
        ("2021-01-17T12:34:00Z", (2021, 1, 17, 12, 34, 0), 0),
        ("2014-02-24T18:03:48.589+0100", (2014, 2, 24, 17, 3, 48), 589),
        ("2014-02-25T00:15:00.250+0545", (2014, 2, 24, 18, 30, 0), 250),
        ("2014-02-24T19:00:00.000-0500", (2014, 2, 25, 0, 0, 0), 0),
        ("1969-12-31T23:59:59.999+0000", (1969, 12, 31, 23, 59, 59), 999),
    ],
)
def test_parse_jira_datetime_gives_epoch_milliseconds(
    text: str, utc_fields: tuple[int, ...], milliseconds: int
) -> None:
    assert parse_jira_datetime(text) == calendar.timegm(utc_fields) * 1000 + milliseconds


@pytest.mark.parametrize("text", ["2021-01-17T12:34:00.000", "2021-01-17", "yesterday", ""])
def test_parse_jira_datetime_rejects_values_without_an_instant(text: str) -> None:
    with pytest.raises(ValueError):
        parse_jira_datetime(text)


# --- ADF comments -------------------------------------------------------------------------------


def paragraph(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **extra}


def test_adf_paragraphs_become_lines_and_hard_breaks_newlines() -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            paragraph(text("Fixed "), text("the bug", marks=[{"type": "strong"}])),
            paragraph(text("line one"), {"type": "hardBreak"}, text("line two")),
        ],
    }
    assert adf_to_text(doc) == "Fixed the bug\nline one\nline two"


def test_adf_inline_nodes_give_their_text() -> None:
    doc = {
        "type": "doc",
        "content": [
            paragraph(
                text("Paired with "),
                {"type": "mention", "attrs": {"id": "acc-1", "text": "@Zoë"}},
                text(" "),
                {"type": "emoji", "attrs": {"shortName": ":tada:", "text": "🎉"}},
                {"type": "emoji", "attrs": {"shortName": ":custom:"}},
                text(" until "),
                {"type": "date", "attrs": {"timestamp": "1393200000000"}},
                text(" see "),
                {"type": "inlineCard", "attrs": {"url": "https://example.com/x"}},
                text(" "),
                {"type": "status", "attrs": {"text": "DONE", "color": "green"}},
            )
        ],
    }
    assert adf_to_text(doc) == (
        "Paired with @Zoë 🎉:custom: until 2014-02-24 see https://example.com/x DONE"
    )


def test_adf_lists_headings_and_unknown_containers_are_read_through() -> None:
    doc = {
        "type": "doc",
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [text("Done")]},
            {
                "type": "bulletList",
                "content": [
                    {"type": "listItem", "content": [paragraph(text("first"))]},
                    {"type": "listItem", "content": [paragraph(text("second"))]},
                ],
            },
            {"type": "futureNode", "content": [paragraph(text("inside"))]},
            {"type": "rule"},
            {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "x"}}]},
            {"type": "codeBlock", "content": [text("print(1)")]},
        ],
    }
    assert adf_to_text(doc) == "Done\nfirst\nsecond\ninside\nprint(1)"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("plain v2 comment", "plain v2 comment"),
        (None, ""),
        ({}, ""),
        ({"type": "doc", "content": "not a list"}, ""),
        ({"type": "doc", "content": [42, None, paragraph(text("ok"), {"type": "text"})]}, "ok"),
        ({"type": "doc", "content": [paragraph({"type": "date", "attrs": {}})]}, ""),
    ],
)
def test_adf_tolerates_plain_strings_and_malformed_documents(doc: object, expected: str) -> None:
    assert adf_to_text(doc) == expected


def test_adf_deeply_nested_documents_do_not_exhaust_recursion() -> None:
    node: dict[str, Any] = paragraph(text("deep"))
    for _ in range(5000):
        node = {"type": "blockquote", "content": [node]}
    assert adf_to_text({"type": "doc", "content": [node]}) == "deep"


# --- issues, worklogs and users -----------------------------------------------------------------

STORY = {
    "id": "20002",
    "key": "ALPHA-2",
    "fields": {
        "summary": "Build the thing",
        "issuetype": {"id": "10001", "name": "Story"},
        "project": {"id": "10000", "key": "ALPHA", "name": "Alpha"},
        "parent": {"id": "20001", "key": "ALPHA-1", "fields": {"summary": "Epic of alpha"}},
        "worklog": {"startAt": 0, "maxResults": 20, "total": 1, "worklogs": [{"id": "30000"}]},
    },
}
STORY_FACTS = IssueFacts(
    id="20002",
    key="ALPHA-2",
    summary="Build the thing",
    issue_type="Story",
    project_key="ALPHA",
    project_name="Alpha",
    parent_key="ALPHA-1",
    parent_summary="Epic of alpha",
)
AUTHOR = {"accountId": "acc-1", "displayName": "Мария", "timeZone": "Europe/Moscow"}
ADF_COMMENT = {"type": "doc", "version": 1, "content": [paragraph(text("Pairing"))]}
WORKLOG = {
    "id": "30000",
    "author": AUTHOR,
    "started": "2014-02-24T23:03:00.000+0000",
    "timeSpentSeconds": 3600,
    "comment": ADF_COMMENT,
}


def test_an_issue_of_a_search_result_gives_its_facts() -> None:
    assert read_issue(STORY) == STORY_FACTS


def test_an_issue_without_parent_or_fields_gives_empty_facts() -> None:
    assert read_issue({"id": "1", "key": "X-1", "fields": {"parent": None}}) == IssueFacts(
        "1", "X-1", "", "", "", "", None, None
    )
    assert read_issue({}) == IssueFacts("", "", "", "", "", "", None, None)
    parent_without_summary = {"key": "X-2", "fields": {"parent": {"key": "X-1"}}}
    assert read_issue(parent_without_summary).parent_key == "X-1"
    assert read_issue(parent_without_summary).parent_summary is None


@pytest.mark.parametrize(
    ("worklog_field", "expected"),
    [
        ({"total": 1, "worklogs": [{"id": "1"}]}, [{"id": "1"}]),
        ({"total": 21, "worklogs": [{"id": str(n)} for n in range(20)]}, None),
        ({"worklogs": [{"id": "1"}]}, [{"id": "1"}]),  # no total: take the list as it is
        (None, []),
    ],
)
def test_embedded_worklogs_are_used_only_when_complete(
    worklog_field: dict[str, Any] | None, expected: list[dict[str, str]] | None
) -> None:
    issue = {"key": "X-1", "fields": {"worklog": worklog_field}}
    assert embedded_worklogs(issue) == expected


def test_a_worklog_becomes_the_engines_record() -> None:
    worklog = read_worklog(WORKLOG, STORY_FACTS, with_comment=True)
    assert worklog is not None
    assert (worklog.id, worklog.issue_key, worklog.parent_key) == ("30000", "ALPHA-2", "ALPHA-1")
    assert (worklog.author_id, worklog.author_name, worklog.author_tz) == (
        "acc-1",
        "Мария",
        "Europe/Moscow",
    )
    assert worklog.started_ms == calendar.timegm((2014, 2, 24, 23, 3, 0)) * 1000
    assert (worklog.seconds, worklog.comment) == (3600, "Pairing")


def test_a_comment_is_read_only_when_asked() -> None:
    worklog = read_worklog(WORKLOG, STORY_FACTS, with_comment=False)
    assert worklog is not None and worklog.comment == ""


def test_a_hidden_zone_and_name_and_a_missing_duration_have_fallbacks() -> None:
    raw = {
        "id": "1",
        "author": {"accountId": "acc-2", "timeZone": ""},
        "started": WORKLOG["started"],
    }
    worklog = read_worklog(raw, STORY_FACTS, with_comment=True)
    assert worklog is not None
    assert (worklog.author_name, worklog.author_tz, worklog.seconds) == ("acc-2", None, 0)


@pytest.mark.parametrize(
    "raw",
    [
        {**WORKLOG, "author": {"displayName": "Former user"}},  # anonymised: no accountId
        {**WORKLOG, "author": None},
        {key: value for key, value in WORKLOG.items() if key != "started"},
    ],
)
def test_a_worklog_without_author_or_start_cannot_be_placed(raw: dict[str, Any]) -> None:
    assert read_worklog(raw, STORY_FACTS, with_comment=True) is None


def test_a_worklog_started_without_an_offset_is_an_error() -> None:
    with pytest.raises(ValueError):
        read_worklog({**WORKLOG, "started": "2014-02-24T23:03:00"}, STORY_FACTS, with_comment=False)


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (AUTHOR, UserFacts("acc-1", "Мария", "Europe/Moscow")),
        ({"accountId": "acc-2", "displayName": "", "timeZone": ""}, UserFacts("acc-2", None, None)),
        ({"accountId": 7, "timeZone": 3}, UserFacts(None, None, None)),
        ("not a user", UserFacts(None, None, None)),
        (None, UserFacts(None, None, None)),
    ],
)
def test_a_user_gives_accountid_name_and_zone_when_present(
    user: object, expected: UserFacts
) -> None:
    assert read_user(user) == expected
