"""Fetch only the worklogs behind one cell of a report: its row's values, its column's days.

The cell detail must list exactly the worklogs summed in one cell, but it need not fetch the whole
report to find them: the row names values (an author, a project, an issue, a parent, an issue
type...) and the column names days, and Jira can narrow a search by both.

- An issue row: one search for that issue (with the report's filters and the viewer's JQL, so
  permissions and filters hold exactly as in the report), then that issue's own worklogs within
  the column's days (``/issue/{key}/worklog`` with ``startedAfter``/``startedBefore``). With the
  viewer's zone that is three Jira calls, whatever the report's length.
- Any other row (a subtotal, the Total row): the report's search narrowed to the row's values and
  to the column's days, with embedded worklogs as the report reads them.

The engine then applies the day rule to what came back, so the list matches the cell exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from atlassian_connect_kit import JiraClient, iter_token_pages
from smart_timesheet_plugin.params import TZ_AUTHOR, TZ_VIEWER, ReportParams
from smart_timesheet_plugin.report.model import Worklog
from smart_timesheet_plugin.source.fetch import (
    SEARCH_PATH,
    DaySpan,
    FetchResult,
    fetch_worklogs,
    issue_fields,
    issue_worklogs,
    jql_checked_on_failure,
    jql_string,
    report_jql,
    started_window_ms,
    viewer_zone,
    with_resolved_authors,
)
from smart_timesheet_plugin.source.wire import read_issue, read_worklog

#: A row's values by dimension, e.g. ``(("user", "5b10..."), ("issue", "ALPHA-2"))``.
RowValues = Sequence[tuple[str, str | None]]

#: Issue fields the issue row's search asks for: the facts a worklog carries, no worklogs.
ISSUE_FIELDS: Final = ("summary", "issuetype", "project", "parent")


def row_clauses(row: RowValues) -> list[str]:
    """JQL clauses selecting the issues that may hold worklogs of a row with these values.

    A user narrows by ``worklogAuthor`` (the issues they logged on; other authors' worklogs on them
    are dropped by the engine), a parent of ``None`` means issues without a parent. Dimensions
    Jira cannot search by add nothing: the engine's own row match still applies.
    """
    clauses: list[str] = []
    for dimension, value in row:
        if dimension == "parent" and value is None:
            clauses.append("parent IS EMPTY")
        elif value is None:
            continue
        elif dimension == "user":
            clauses.append(f"worklogAuthor = {jql_string(value)}")
        elif dimension == "project":
            clauses.append(f"project = {jql_string(value)}")
        elif dimension == "issue":
            clauses.append(f"issuekey = {jql_string(value)}")
        elif dimension == "parent":
            clauses.append(f"parent = {jql_string(value)}")
        elif dimension == "issuetype":
            clauses.append(f"issuetype = {jql_string(value)}")
    return clauses


def fetch_cell_worklogs(
    client: JiraClient,
    params: ReportParams,
    *,
    row: RowValues,
    span: DaySpan,
    max_workers: int,
) -> FetchResult:
    """The worklogs (with comments) that may fall in one cell: ``row``'s values on ``span``'s days.

    The result may hold a few worklogs outside the cell (the fetch is padded for time zones, and a
    user row brings other authors' worklogs on the same issues); the engine's cell match drops
    them. Raises what :func:`~smart_timesheet_plugin.source.fetch.fetch_worklogs` raises.
    """
    issue_key = dict(row).get("issue")
    if issue_key is None:
        return fetch_worklogs(
            client,
            params,
            max_workers=max_workers,
            with_comments=True,
            span=span,
            narrowing=row_clauses(row),
        )
    return _fetch_issue_cell(client, params, row=row, span=span)


def _fetch_issue_cell(
    client: JiraClient, params: ReportParams, *, row: RowValues, span: DaySpan
) -> FetchResult:
    calls_before = client.calls
    viewer_tz = viewer_zone(client) if params.tz in (TZ_VIEWER, TZ_AUTHOR) else params.tz
    # One search finds the issue only if the viewer may browse it and it passes the report's own
    # filters and JQL, exactly as the report found it.
    wanted = issue_fields(client, params, ISSUE_FIELDS)
    body: Mapping[str, object] = {
        "jql": report_jql(params, span=span, narrowing=row_clauses(row)),
        "fields": list(wanted.names),
        "maxResults": 1,
    }
    window = started_window_ms(span)
    worklogs: list[Worklog] = []
    issues = 0
    with jql_checked_on_failure(client, params.jql):
        first_page = next(iter_token_pages(client, SEARCH_PATH, body=body), [])
    for issue in first_page[:1]:
        issues = 1
        facts = read_issue(
            issue, sprint_field=wanted.sprint_field, custom_field=wanted.custom_field
        )
        for raw in issue_worklogs(client, facts, window):
            worklog = read_worklog(raw, facts, with_comment=True)
            if worklog is not None and window[0] <= worklog.started_ms < window[1]:
                worklogs.append(worklog)
    if params.tz == TZ_AUTHOR and worklogs:
        worklogs = with_resolved_authors(client, worklogs)
    return FetchResult(
        worklogs=worklogs,
        viewer_tz=viewer_tz,
        issues=issues,
        incomplete_issues=0,
        jira_calls=client.calls - calls_before,
    )
