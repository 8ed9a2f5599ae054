"""The fake site's JQL: what it understands, how it matches, and how it refuses the rest."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlassian_connect_kit.testing.fakejira import SiteData, generate_site
from atlassian_connect_kit.testing.fakejira.jql import (
    AllOf,
    AnyOf,
    Clause,
    JqlError,
    Negation,
    SortKey,
    check_values,
    encode_jql_value,
    parse_jql,
    select_issues,
    tokenize_jql,
)
from tests.kit.testing.fakejira_support import ANN, BOB, tiny_site

SITE = tiny_site()
EVERYTHING = frozenset({"ALPHA", "BETA"})
GENERATED = generate_site(21, issues=60, worklogs=400, start=date(2026, 3, 1), days=31)


def keys(jql: str, site: SiteData = SITE, visible: frozenset[str] = EVERYTHING) -> list[str]:
    """The keys of the issues ``jql`` selects."""
    return [issue.key for issue in select_issues(parse_jql(jql), site, visible)]


def test_and_binds_tighter_than_or_and_not_applies_to_the_next_condition() -> None:
    query = parse_jql("project = A OR key = A-1 AND NOT parent in (A-2, 'A 3')")

    assert query.where == AnyOf(
        (
            Clause("project", "=", ("A",)),
            AllOf(
                (
                    Clause("issuekey", "=", ("A-1",)),
                    Negation(Clause("parent", "in", ("A-2", "A 3"))),
                )
            ),
        )
    )


def test_keywords_and_field_names_ignore_case_and_order_by_takes_several_fields() -> None:
    query = parse_jql('WorkLogDate >= "2026-03-01" and KEY not in (A-1) ORDER BY created DESC, key')

    assert query.where == AllOf(
        (Clause("worklogDate", ">=", ("2026-03-01",)), Clause("issuekey", "not in", ("A-1",)))
    )
    assert query.order_by == (SortKey("created", True), SortKey("key", False))


@pytest.mark.parametrize("jql", ["", "   ", "ORDER BY key DESC"])
def test_queries_without_a_restriction_are_unbounded(jql: str) -> None:
    assert not parse_jql(jql).is_bounded


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        (
            "status = Done",
            "Field 'status' does not exist or you do not have permission to view it.",
        ),
        (
            "worklogDate != 2026-03-01",
            "The operator '!=' is not supported by the 'worklogDate' field.",
        ),
        (
            "worklogAuthor not in (x)",
            "The operator 'not in' is not supported by the 'worklogAuthor'",
        ),
        (
            "project = ALPHA BETA",
            "Error in the JQL Query: Expecting 'AND', 'OR' or 'ORDER BY' but got 'BETA'. "
            "(line 1, character 17)",
        ),
        ("project in (ALPHA", "Error in the JQL Query: Expecting ')' before the end of the query."),
        (
            'project = "ALPHA',
            "Error in the JQL Query: The quoted string starting here is not terminated. "
            "(line 1, character 11)",
        ),
        (
            "project = ALPHA\nAND key ! x",
            "Error in the JQL Query: The character '!' is not understood. (line 2, character 9)",
        ),
        (
            "worklogAuthor = currentUser()",
            "Error in the JQL Query: the function 'currentUser' is not supported here.",
        ),
        ("project was EMPTY", "The operator 'WAS' is not supported by this site."),
        (
            "project is ALPHA",
            "Error in the JQL Query: Expecting 'EMPTY' but got 'ALPHA'. (line 1, character 12)",
        ),
        ("worklogDate is EMPTY", "The operator 'is' is not supported by the 'worklogDate' field."),
        ("summary = x", "The operator '=' is not supported by the 'summary' field."),
        (
            "project in",
            "Error in the JQL Query: Expecting '(' before the end of the query.",
        ),
        (
            "project ALPHA",
            "Error in the JQL Query: Expecting operator but got 'ALPHA'. The valid operators are "
            "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. "
            "(line 1, character 9)",
        ),
        (
            "summary ~ a\\q",
            "Error in the JQL Query: The escape sequence '\\q' is not valid.",
        ),
        (
            'summary ~ "it\\s"',
            "Error in the JQL Query: The escape sequence '\\s' is not valid.",
        ),
        (
            "summary ~ abc\\",
            "Error in the JQL Query: The escape sequence '\\' is not valid.",
        ),
        (
            'summary ~ "abc\\"',
            "Error in the JQL Query: The quoted string starting here is not terminated. "
            "(line 1, character 11)",
        ),
        ("ORDER BY summary", "Not able to sort using field 'summary'."),
        (
            "project =",
            "Error in the JQL Query: Expecting either a value, list or function before the end",
        ),
    ],
)
def test_what_is_not_understood_is_refused_with_jira_like_messages(jql: str, message: str) -> None:
    with pytest.raises(JqlError) as refused:
        parse_jql(jql)

    assert refused.value.messages[0].startswith(message)


@pytest.mark.parametrize(
    ("jql", "where"),
    [
        ('summary ~ "it\\s"', "(line 1, character 14)"),
        ("summary ~ a\\x", "(line 1, character 12)"),
        ("project = ALPHA AND\nsummary ~ 'b\\q'", "(line 2, character 13)"),
    ],
)
def test_escape_errors_name_the_backslash(jql: str, where: str) -> None:
    with pytest.raises(JqlError) as refused:
        parse_jql(jql)

    assert refused.value.messages[0].endswith(where)


def test_backslash_escapes_work_inside_and_outside_quotes_like_jiras_lexer() -> None:
    tokens = tokenize_jql("summary ~ a\\\"b OR summary ~ 'it\\'s' OR summary ~ \"\\u0041\\\\\\t\"")

    assert [(token.kind, token.value) for token in tokens] == [
        ("word", "summary"),
        ("op", "~"),
        ("word", 'a"b'),
        ("word", "OR"),
        ("word", "summary"),
        ("op", "~"),
        ("string", "it's"),
        ("word", "OR"),
        ("word", "summary"),
        ("op", "~"),
        ("string", "A\\\t"),
    ]
    assert tokenize_jql("a\\ b")[0].value == "a b"  # an escaped space stays in the value


def test_an_escaped_quote_does_not_open_a_string_nor_an_escaped_paren_close_a_group() -> None:
    # a\") leaves the ")" as a token of its own: the value is 'a"' and the parenthesis counts.
    attack = "key = a\\\") OR (project is not EMPTY AND summary !~ '\"\\''"

    kinds = [(token.kind, token.text) for token in tokenize_jql(attack)]

    assert kinds[2] == ("word", 'a\\"')
    assert kinds[3] == ("punct", ")")
    assert kinds[-1] == ("string", "'\"\\''")


@pytest.mark.parametrize(
    "value", ["ALPHA-1", "a b", "and", 'say "hi"', "back\\slash", "tab\tnew\nline", "", "é"]
)
def test_encoded_values_read_back_as_themselves(value: str) -> None:
    [token] = tokenize_jql(encode_jql_value(value))
    assert token.value == value
    assert token.keyword is None


def test_summary_text_and_emptiness_clauses() -> None:
    assert keys("summary ~ TASK") == ["ALPHA-4", "ALPHA-10", "BETA-1"]
    assert keys('summary !~ "task" AND project = ALPHA') == ["ALPHA-1", "ALPHA-2", "ALPHA-3"]
    assert keys("parent is EMPTY AND project = ALPHA") == ["ALPHA-1", "ALPHA-4", "ALPHA-10"]
    assert keys("parent IS NOT null") == ["ALPHA-2", "ALPHA-3"]
    assert keys("project is not EMPTY") == keys("project in (ALPHA, BETA)")
    assert keys("project is EMPTY OR summary is EMPTY") == []


def test_value_checks_split_into_errors_and_warnings_like_jql_parse() -> None:
    query = parse_jql('project = NOPE AND worklogDate >= "2026-02-30" OR key = BETA-1')

    errors, warnings = check_values(query, SITE, frozenset({"ALPHA"}))

    assert errors == [
        "Date value '2026-02-30' for field 'worklogDate' is invalid. "
        "Valid formats include: 'yyyy/MM/dd', 'yyyy-MM-dd'."
    ]
    assert warnings == [
        "The value 'NOPE' does not exist for the field 'project'.",
        "An issue with key 'BETA-1' does not exist for field 'key'.",
    ]


def test_each_worklog_date_clause_matches_on_its_own_like_jira() -> None:
    # ALPHA-2 has worklogs on 1 and 31 March only, yet matches "on or after the 15th AND on or
    # before the 15th": each clause finds a different worklog.
    assert "ALPHA-2" in keys('worklogDate >= "2026-03-15" AND worklogDate <= "2026-03-15"')
    assert "ALPHA-2" not in keys('worklogDate = "2026/03/15"')
    assert keys('worklogDate = "2026-03-31"') == ["ALPHA-2"]
    assert keys('worklogDate = "2026-03-01"') == ["ALPHA-2", "ALPHA-3", "ALPHA-4"]


def test_worklog_date_comparisons_are_by_day() -> None:
    assert keys('worklogDate > "2026-03-25"') == ["ALPHA-2"]
    assert keys('worklogDate < "2026-03-01"') == []
    assert keys('worklogDate <= "2026-03-01"') == ["ALPHA-2", "ALPHA-3", "ALPHA-4"]


def test_worklog_date_is_evaluated_in_the_sites_zone() -> None:
    # ALPHA-3's only worklog starts 2026-03-01 20:00 UTC: still 1 March in UTC, 2 March in Kolkata.
    assert "ALPHA-3" in keys('worklogDate = "2026-03-01"', tiny_site("UTC"))
    assert "ALPHA-3" not in keys('worklogDate = "2026-03-01"', tiny_site("Asia/Kolkata"))
    assert "ALPHA-3" in keys('worklogDate = "2026-03-02"', tiny_site("Asia/Kolkata"))


def test_author_project_key_and_parent_clauses() -> None:
    assert keys(f"worklogAuthor = {ANN}") == ["ALPHA-2", "BETA-1"]
    assert keys(f'worklogAuthor in ("{ANN}", {BOB}) AND project = beta') == ["BETA-1"]
    assert keys("project not in (ALPHA)") == ["BETA-1"]
    assert keys("project = 10001") == ["BETA-1"]
    assert keys("issuekey in (ALPHA-3, 30001)") == ["ALPHA-3", "BETA-1"]
    assert keys("parent = ALPHA-1 OR parent = ALPHA-2") == ["ALPHA-2", "ALPHA-3"]
    assert keys("parent != ALPHA-1") == ["ALPHA-3"]
    assert keys("project = ALPHA AND NOT (issue = ALPHA-1 OR id = ALPHA-2)") == [
        "ALPHA-3",
        "ALPHA-4",
        "ALPHA-10",
    ]


def test_ordering_by_key_is_numeric_and_created_can_be_descending() -> None:
    assert keys("project = ALPHA ORDER BY key DESC") == [
        "ALPHA-10",
        "ALPHA-4",
        "ALPHA-3",
        "ALPHA-2",
        "ALPHA-1",
    ]
    assert keys("project in (ALPHA, BETA) ORDER BY created DESC")[:2] == ["BETA-1", "ALPHA-10"]


def test_values_the_caller_cannot_see_are_reported_one_message_each() -> None:
    alpha_only = frozenset({"ALPHA"})

    with pytest.raises(JqlError) as refused:
        keys(
            "project in (BETA, NOPE) OR key = BETA-1 OR worklogAuthor = nobody", visible=alpha_only
        )

    assert refused.value.messages == [
        "The value 'BETA' does not exist for the field 'project'.",
        "The value 'NOPE' does not exist for the field 'project'.",
        "An issue with key 'BETA-1' does not exist for field 'key'.",
        "The value 'nobody' does not exist for the field 'worklogAuthor'.",
    ]


def test_invalid_dates_are_refused() -> None:
    with pytest.raises(
        JqlError, match="Date value '2026-02-30' for field 'worklogDate' is invalid"
    ):
        keys('worklogDate >= "2026-02-30"')
    with pytest.raises(JqlError, match="Date value '-1d'"):
        keys("worklogDate >= -1d")


def test_issues_outside_the_visible_projects_never_match() -> None:
    assert keys('worklogDate >= "2026-01-01"', visible=frozenset({"ALPHA"})) == [
        "ALPHA-2",
        "ALPHA-3",
        "ALPHA-4",
    ]


@settings(max_examples=60, deadline=None)
@given(
    first=st.dates(date(2026, 2, 25), date(2026, 4, 5)),
    length=st.integers(0, 20),
    author_index=st.integers(0, 7),
)
def test_date_and_author_clauses_agree_with_a_direct_reading_of_the_worklogs(
    first: date, length: int, author_index: int
) -> None:
    last = first + timedelta(days=length)
    author = GENERATED.users[author_index].account_id
    jql = f'worklogDate >= "{first}" AND worklogDate <= "{last}" AND worklogAuthor = {author}'
    visible = frozenset(project.key for project in GENERATED.projects)

    expected = set()
    for issue in GENERATED.issues:
        logs = GENERATED.worklogs_of(issue.id)
        days = {log.started.astimezone(GENERATED.zone).date() for log in logs}
        authors = {log.author_account_id for log in logs}
        if (
            any(day >= first for day in days)
            and any(day <= last for day in days)
            and author in authors
        ):
            expected.add(issue.key)

    assert set(keys(jql, GENERATED, visible)) == expected


def test_issue_type_clauses_match_by_name_in_any_case() -> None:
    assert keys("issuetype = task") == ["ALPHA-4", "ALPHA-10", "BETA-1"]
    assert keys("type in (Epic, 'Sub-task')") == ["ALPHA-1", "ALPHA-3"]
    assert keys("project = ALPHA AND issuetype != Task") == ["ALPHA-1", "ALPHA-2", "ALPHA-3"]
    errors, warnings = check_values(parse_jql("issuetype = Saga"), SITE, EVERYTHING)
    assert errors == [] and warnings == [
        "The value 'Saga' does not exist for the field 'issuetype'."
    ]
