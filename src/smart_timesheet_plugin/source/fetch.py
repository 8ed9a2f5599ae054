"""Fetch a report's worklogs from Jira, acting as the viewing user, through the kit's host client.

The number of Jira calls is what makes a report fast or slow, so it is kept near the minimum: one
search page per ~100 issues (with the embedded worklogs, which hold up to 20), one paged worklog
call only for issues whose embedded list is incomplete (run side by side within the tenant's
concurrency cap), one call for the viewer, and bulk user look-ups where author zones are needed.
When the viewer gave JQL, one more call has Jira's parser check that text alone first (see
:mod:`smart_timesheet_plugin.jql`), so its errors point into the viewer's own text and never into
the report's wrapper. Nothing fetched is written anywhere: worklogs live in memory for the length
of the request. What the answers mean is read by :mod:`smart_timesheet_plugin.source.wire`; this
module decides which calls to make.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from atlassian_connect_kit import (
    JiraBadRequest,
    JiraClient,
    JiraError,
    fan_out,
    iter_start_at,
    iter_token_pages,
)
from smart_timesheet_plugin.jql import parse_problems
from smart_timesheet_plugin.params import FETCH_PADDING_DAYS, TZ_AUTHOR, TZ_VIEWER, ReportParams
from smart_timesheet_plugin.report.model import Worklog
from smart_timesheet_plugin.source.wire import (
    IssueFacts,
    UserFacts,
    embedded_worklogs,
    read_issue,
    read_user,
    read_worklog,
)

log = logging.getLogger(__name__)

#: Jira's enhanced search (paged by token).
SEARCH_PATH = "/rest/api/3/search/jql"
#: Jira's JQL parser, which checks the viewer's clause alone.
JQL_PARSE_PATH = "/rest/api/3/jql/parse"
#: The issue fields a report reads (see :func:`~smart_timesheet_plugin.source.wire.read_issue`).
SEARCH_FIELDS = ("summary", "issuetype", "project", "parent", "worklog")
#: Issues asked for per search page; Jira gives about 100 when the worklog field is asked for.
SEARCH_PAGE_SIZE = 100
#: Worklogs asked for per page of one issue's worklogs: the most Jira hands out.
WORKLOG_PAGE_SIZE = 5000
#: Account ids per ``/user/bulk`` call.
USER_BULK_PAGE = 100
#: The viewer's zone when Jira gives none.
DEFAULT_ZONE = "UTC"

#: The custom field type of Jira Software's sprint field.
SPRINT_FIELD_TYPE = "com.pyxis.greenhopper.jira:gh-sprint"
#: The issue field holding each list dimension's names (sprints and custom fields vary by site).
_GROUP_FIELDS = {"component": "components", "fixversion": "fixVersions", "label": "labels"}
#: The JQL field of each filter by name.
_FILTER_FIELDS = {
    "component": "component",
    "fixversion": "fixVersion",
    "label": "labels",
    "sprint": "sprint",
}

#: Most days a narrowed search names one by one (a padded month); longer spans search a range.
MAX_DAY_CLAUSES = 35

#: First and last day (inclusive) of part of a report.
DaySpan = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class FetchResult:
    """What a report fetched: its worklogs, the viewer's zone and the cost in Jira calls."""

    worklogs: list[Worklog]
    viewer_tz: str
    issues: int
    incomplete_issues: int
    jira_calls: int


class JqlRejected(Exception):
    """Jira's parser refused the viewer's JQL; the message is Jira's, about the viewer's text."""


def check_jql(client: JiraClient, jql: str) -> None:
    """Have Jira parse ``jql`` alone, with strict validation, as the client's user.

    Raises :class:`JqlRejected` with Jira's messages when it finds errors (or when the text sorts,
    which the report's search cannot take), and :class:`JiraError` when the answer is not Jira's.
    """
    answer = client.post(
        JQL_PARSE_PATH,
        params={"validation": "strict"},
        json={"queries": [jql]},
        idempotent=True,  # parsing changes nothing, so a lost answer may be asked for again
    )
    problems = parse_problems(answer)
    if problems is None:
        raise JiraError("Jira's JQL parser answered in an unexpected shape")
    if problems:
        raise JqlRejected("; ".join(problems))


def report_jql(
    params: ReportParams, *, span: DaySpan | None = None, narrowing: Sequence[str] = ()
) -> str:
    """The bounded JQL for a report: its padded worklog dates plus its filters.

    ``span`` narrows the dates to some days of the report (one cell's column), padded the same
    way; ``narrowing`` adds clauses of our own making (a row's values), ANDed before the viewer's.
    """
    first, last = params.jql_worklog_bounds() if span is None else _padded(span)
    days = (last - first).days + 1
    if span is not None and days <= MAX_DAY_CLAUSES:
        # Jira tests each worklog clause on its own, so a range matches every issue with work
        # before and after it; naming the days matches only issues with work on one of them.
        each_day = (first + dt.timedelta(days=offset) for offset in range(days))
        clauses = [
            "(" + " OR ".join(f'worklogDate = "{day.isoformat()}"' for day in each_day) + ")"
        ]
    else:
        clauses = [f'worklogDate >= "{first.isoformat()}"', f'worklogDate <= "{last.isoformat()}"']
    if params.projects:
        clauses.append("project in (" + ", ".join(f'"{key}"' for key in params.projects) + ")")
    if params.users:
        clauses.append(
            "worklogAuthor in (" + ", ".join(f'"{account}"' for account in params.users) + ")"
        )
    for name, values in params.name_filters().items():
        if values:
            field = params.field if name == "fieldvalue" else _FILTER_FIELDS[name]
            clauses.append(f"{_clause_field(field)} in ({', '.join(map(jql_string, values))})")
    clauses.extend(narrowing)
    if params.jql:
        clauses.append(f"({params.jql})")
    return " AND ".join(clauses) + " ORDER BY key ASC"


def jql_string(value: str) -> str:
    """``value`` as a quoted JQL string: backslashes and double quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _clause_field(field: str) -> str:
    # A custom field is named in JQL as cf[10050].
    if field.startswith("customfield_"):
        return f"cf[{field.removeprefix('customfield_')}]"
    return field


@dataclass(frozen=True)
class IssueFields:
    """The issue fields a report's search asks for, and which ones hold sprints and the custom
    field (``None`` when not asked)."""

    names: tuple[str, ...]
    sprint_field: str | None
    custom_field: str | None


def issue_fields(
    client: JiraClient, params: ReportParams, base: Sequence[str] = SEARCH_FIELDS
) -> IssueFields:
    """The fields to ask for: ``base`` plus what the report groups by.

    Grouping by sprint costs one call (``/rest/api/3/field``) to find Jira Software's sprint
    field, whose id differs between sites.
    """
    names = list(base)
    for dimension, field in _GROUP_FIELDS.items():
        if dimension in params.group:
            names.append(field)
    sprint_field = sprint_field_id(client) if "sprint" in params.group else None
    if sprint_field:
        names.append(sprint_field)
    custom_field = params.field if "field" in params.group else None
    if custom_field:
        names.append(custom_field)
    return IssueFields(tuple(names), sprint_field, custom_field)


def sprint_field_id(client: JiraClient) -> str | None:
    """The id of the site's sprint field (Jira Software), ``None`` when it has none."""
    answer = client.get("/rest/api/3/field")
    for field in answer if isinstance(answer, list) else []:
        schema = field.get("schema") if isinstance(field, Mapping) else None
        if isinstance(schema, Mapping) and schema.get("custom") == SPRINT_FIELD_TYPE:
            field_id = field.get("id")
            if isinstance(field_id, str):
                return field_id
    return None


def _padded(span: DaySpan) -> DaySpan:
    padding = dt.timedelta(days=FETCH_PADDING_DAYS)
    return span[0] - padding, span[1] + padding


def started_window_ms(span: DaySpan) -> tuple[int, int]:
    """Epoch milliseconds ``[low, high)`` holding every instant some zone puts on a day of ``span``.

    Every zone lies within UTC-12..UTC+14, so a day of [first, last] in any zone starts after
    (first - 1 day) 00:00 UTC and ends before (last + 2 days) 00:00 UTC.
    """
    first = dt.datetime.combine(span[0] - dt.timedelta(days=1), dt.time(), dt.UTC)
    after_last = dt.datetime.combine(span[1] + dt.timedelta(days=2), dt.time(), dt.UTC)
    return int(first.timestamp() * 1000), int(after_last.timestamp() * 1000)


def issue_worklogs(
    client: JiraClient, issue: IssueFacts, window: tuple[int, int]
) -> list[Mapping[str, Any]]:
    """The raw worklogs of ``issue`` started within ``window`` (epoch ms, ``[low, high)``).

    Jira filters by ``startedAfter``/``startedBefore`` itself, so only the window travels.
    """
    entries: list[Mapping[str, Any]] = []
    params = {"startedAfter": str(window[0]), "startedBefore": str(window[1])}
    for page in iter_start_at(
        client,
        f"/rest/api/3/issue/{issue.id or issue.key}/worklog",
        params=params,
        items_key="worklogs",
        page_size=WORKLOG_PAGE_SIZE,
    ):
        entries.extend(page)
    return entries


@contextlib.contextmanager
def jql_checked_on_failure(client: JiraClient, jql: str) -> Iterator[None]:
    """Within the block, a search Jira rejects has ``jql`` (if any) checked on its own.

    Jira's messages about the whole search point into our wrapper; when the viewer's text is at
    fault, its parser says so about that text alone (:class:`JqlRejected`). When the text is fine
    the original :class:`JiraBadRequest` goes on.
    """
    try:
        yield
    except JiraBadRequest:
        if jql:
            check_jql(client, jql)
        raise


def viewer_zone(client: JiraClient) -> str:
    """The viewer's Jira time zone, or UTC when Jira gives none."""
    return read_user(client.get("/rest/api/3/myself")).time_zone or DEFAULT_ZONE


def resolve_users(client: JiraClient, account_ids: Iterable[str]) -> dict[str, UserFacts]:
    """Look users up in bulk (``/user/bulk``), a page of ids per call, by accountId."""
    wanted = sorted(set(account_ids))
    found: dict[str, UserFacts] = {}
    for start in range(0, len(wanted), USER_BULK_PAGE):
        chunk = wanted[start : start + USER_BULK_PAGE]
        params = [("accountId", account) for account in chunk]
        for page in iter_start_at(
            client, "/rest/api/3/user/bulk", params=params, items_key="values", page_size=len(chunk)
        ):
            for user in page:
                facts = read_user(user)
                if facts.account_id is not None:
                    found[facts.account_id] = facts
    return found


def fetch_worklogs(
    client: JiraClient,
    params: ReportParams,
    *,
    max_workers: int,
    with_comments: bool = False,
    span: DaySpan | None = None,
    narrowing: Sequence[str] = (),
) -> FetchResult:
    """Fetch every worklog that may fall in the report's period, as Jira lets the viewer see it.

    The viewer's JQL, if any, is checked by Jira's parser first (:func:`check_jql`, counted in
    ``jira_calls``), so a bad clause costs one call and no search. Comments are turned into text
    only when asked (``with_comments``): a grid never shows them. ``span`` and ``narrowing``
    fetch only part of the report (see :func:`report_jql`); the viewer's JQL is then checked only
    when the search fails, as the report showing the cell has checked it already.
    """
    started = time.monotonic()
    calls_before = client.calls
    partial = span is not None or bool(narrowing)
    if params.jql and not partial:
        check_jql(client, params.jql)
    viewer_tz = viewer_zone(client) if params.tz in (TZ_VIEWER, TZ_AUTHOR) else params.tz
    window = started_window_ms((params.date_from, params.date_to) if span is None else span)
    wanted = issue_fields(client, params)
    body = {
        "jql": report_jql(params, span=span, narrowing=narrowing),
        "fields": list(wanted.names),
        "maxResults": SEARCH_PAGE_SIZE,
    }
    complete: list[tuple[IssueFacts, Sequence[Mapping[str, Any]]]] = []

    def incomplete_issues() -> Iterator[IssueFacts]:
        # Pages the search in this thread while the issues it yields are already being fetched.
        for page in iter_token_pages(client, SEARCH_PATH, body=body):
            for issue in page:
                facts = read_issue(
                    issue, sprint_field=wanted.sprint_field, custom_field=wanted.custom_field
                )
                entries = embedded_worklogs(issue)
                if entries is None:
                    yield facts
                else:
                    complete.append((facts, entries))

    with jql_checked_on_failure(client, params.jql if partial else ""):
        fetched = fan_out(
            lambda facts: (facts, issue_worklogs(client, facts, window)),
            incomplete_issues(),
            max_workers=max_workers,
        )
    worklogs: list[Worklog] = []
    low, high = window
    for facts, entries in [*complete, *fetched]:
        for raw in entries:
            worklog = read_worklog(raw, facts, with_comment=with_comments)
            if worklog is not None and low <= worklog.started_ms < high:
                worklogs.append(worklog)
    if params.tz == TZ_AUTHOR and worklogs:
        worklogs = with_resolved_authors(client, worklogs)
    result = FetchResult(
        worklogs=worklogs,
        viewer_tz=viewer_tz,
        issues=len(complete) + len(fetched),
        incomplete_issues=len(fetched),
        jira_calls=client.calls - calls_before,
    )
    log.debug(
        "report fetched %d worklogs of %d issues (%d paged separately) in %d Jira calls, %.0f ms",
        len(worklogs),
        result.issues,
        result.incomplete_issues,
        result.jira_calls,
        (time.monotonic() - started) * 1000,
    )
    return result


def with_resolved_authors(client: JiraClient, worklogs: list[Worklog]) -> list[Worklog]:
    """``worklogs`` with each author's zone and name as ``/user/bulk`` gives them (one look-up)."""
    # The author's zone decides the day under tz=author; worklog author objects may omit it, so
    # authors are looked up in bulk, once per report. An author Jira does not return has no zone.
    users = resolve_users(client, (worklog.author_id for worklog in worklogs))
    unknown = UserFacts(None, None, None)
    resolved: list[Worklog] = []
    for worklog in worklogs:
        user = users.get(worklog.author_id, unknown)
        name = user.display_name
        if user.time_zone != worklog.author_tz or (
            name is not None and name != worklog.author_name
        ):
            worklog = replace(
                worklog, author_tz=user.time_zone, author_name=name or worklog.author_name
            )
        resolved.append(worklog)
    return resolved
