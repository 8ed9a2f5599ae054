"""Fetch a report's worklogs from Jira, acting as the viewing user, through the kit's host client.

The number of Jira calls is what makes a report fast or slow, so it is kept near the minimum: one
search page per ~100 issues (with the embedded worklogs, which hold up to 20), one paged worklog
call only for issues whose embedded list is incomplete (run side by side within the tenant's
concurrency cap), one call for the viewer, and bulk user look-ups where author zones are needed.
When the viewer gave JQL, one more call has Jira's parser check that text alone first (see
:mod:`smart_timesheet_plugin.jql`), so its errors point into the viewer's own text and never into
the report's wrapper. Nothing fetched is written anywhere: worklogs live in memory for the length
of the request.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from atlassian_connect_kit.host import (
    HostClient,
    JiraError,
    fan_out,
    iter_start_at,
    iter_token_pages,
)
from smart_timesheet_plugin.jql import parse_problems
from smart_timesheet_plugin.params import TZ_AUTHOR, TZ_VIEWER, ReportParams
from smart_timesheet_plugin.report import Worklog, adf_to_text, parse_jira_datetime

log = logging.getLogger(__name__)

SEARCH_PATH = "/rest/api/3/search/jql"
JQL_PARSE_PATH = "/rest/api/3/jql/parse"
SEARCH_FIELDS = ("summary", "issuetype", "project", "parent", "worklog")
SEARCH_PAGE_SIZE = 100  # Jira returns about 100 issues a page when the worklog field is asked for
WORKLOG_PAGE_SIZE = 5000  # the most Jira hands out per worklog page
USER_BULK_PAGE = 100
DEFAULT_ZONE = "UTC"


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


def check_jql(client: HostClient, jql: str) -> None:
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


def report_jql(params: ReportParams) -> str:
    """The bounded JQL for a report: its padded worklog dates plus its filters."""
    first, last = params.jql_worklog_bounds()
    clauses = [f'worklogDate >= "{first.isoformat()}"', f'worklogDate <= "{last.isoformat()}"']
    if params.projects:
        clauses.append("project in (" + ", ".join(f'"{key}"' for key in params.projects) + ")")
    if params.users:
        clauses.append(
            "worklogAuthor in (" + ", ".join(f'"{account}"' for account in params.users) + ")"
        )
    if params.jql:
        clauses.append(f"({params.jql})")
    return " AND ".join(clauses) + " ORDER BY key ASC"


def _started_window_ms(params: ReportParams) -> tuple[int, int]:
    # Every zone lies within UTC-12..UTC+14, so a day of [from, to] in any zone starts after
    # (from - 1 day) 00:00 UTC and ends before (to + 2 days) 00:00 UTC.
    first = dt.datetime.combine(params.date_from - dt.timedelta(days=1), dt.time(), dt.UTC)
    after_last = dt.datetime.combine(params.date_to + dt.timedelta(days=2), dt.time(), dt.UTC)
    return int(first.timestamp() * 1000), int(after_last.timestamp() * 1000)


@dataclass(frozen=True)
class _IssueFacts:
    id: str
    key: str
    summary: str
    issue_type: str
    project_key: str
    project_name: str
    parent_key: str | None
    parent_summary: str | None


def _issue_facts(issue: Mapping[str, Any]) -> _IssueFacts:
    fields = issue.get("fields") or {}
    project = fields.get("project") or {}
    parent = fields.get("parent") or None
    parent_fields = (parent or {}).get("fields") or {}
    return _IssueFacts(
        id=str(issue.get("id", "")),
        key=str(issue.get("key", "")),
        summary=str(fields.get("summary") or ""),
        issue_type=str((fields.get("issuetype") or {}).get("name") or ""),
        project_key=str(project.get("key") or ""),
        project_name=str(project.get("name") or ""),
        parent_key=str(parent["key"]) if parent and parent.get("key") else None,
        parent_summary=str(parent_fields.get("summary")) if parent_fields.get("summary") else None,
    )


def _worklog(raw: Mapping[str, Any], issue: _IssueFacts, *, with_comment: bool) -> Worklog | None:
    author = raw.get("author") or {}
    account_id = author.get("accountId")
    started = raw.get("started")
    if not isinstance(account_id, str) or not isinstance(started, str):
        return None  # an anonymised or malformed entry cannot be placed on a row or a day
    zone = author.get("timeZone")
    return Worklog(
        id=str(raw.get("id", "")),
        issue_key=issue.key,
        issue_summary=issue.summary,
        issue_type=issue.issue_type,
        project_key=issue.project_key,
        project_name=issue.project_name,
        parent_key=issue.parent_key,
        parent_summary=issue.parent_summary,
        author_id=account_id,
        author_name=str(author.get("displayName") or account_id),
        author_tz=zone if isinstance(zone, str) and zone else None,
        started_ms=parse_jira_datetime(started),
        seconds=int(raw.get("timeSpentSeconds") or 0),
        comment=adf_to_text(raw["comment"]) if with_comment and raw.get("comment") else "",
    )


def _issue_worklogs(
    client: HostClient, issue: _IssueFacts, window: tuple[int, int]
) -> list[Mapping[str, Any]]:
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


def viewer_zone(client: HostClient) -> str:
    """The viewer's Jira time zone, or UTC when Jira gives none."""
    myself = client.get("/rest/api/3/myself")
    zone = myself.get("timeZone") if isinstance(myself, Mapping) else None
    return zone if isinstance(zone, str) and zone else DEFAULT_ZONE


def resolve_users(client: HostClient, account_ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    """Look users up in bulk (``/user/bulk``), a page of ids per call."""
    wanted = sorted(set(account_ids))
    found: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(wanted), USER_BULK_PAGE):
        chunk = wanted[start : start + USER_BULK_PAGE]
        params = [("accountId", account) for account in chunk]
        for page in iter_start_at(
            client, "/rest/api/3/user/bulk", params=params, items_key="values", page_size=len(chunk)
        ):
            for user in page:
                if isinstance(user, Mapping) and isinstance(user.get("accountId"), str):
                    found[user["accountId"]] = user
    return found


def fetch_worklogs(
    client: HostClient, params: ReportParams, *, max_workers: int, with_comments: bool = False
) -> FetchResult:
    """Fetch every worklog that may fall in the report's period, as Jira lets the viewer see it.

    The viewer's JQL, if any, is checked by Jira's parser first (:func:`check_jql`, counted in
    ``jira_calls``), so a bad clause costs one call and no search. Comments are turned into text
    only when asked (``with_comments``): a grid never shows them.
    """
    started = time.monotonic()
    calls_before = client.calls
    if params.jql:
        check_jql(client, params.jql)
    viewer_tz = viewer_zone(client) if params.tz in (TZ_VIEWER, TZ_AUTHOR) else params.tz
    window = _started_window_ms(params)
    body = {
        "jql": report_jql(params),
        "fields": list(SEARCH_FIELDS),
        "maxResults": SEARCH_PAGE_SIZE,
    }
    complete: list[tuple[_IssueFacts, Sequence[Mapping[str, Any]]]] = []

    def incomplete_issues() -> Iterator[_IssueFacts]:
        # Pages the search in this thread while the issues it yields are already being fetched.
        for page in iter_token_pages(client, SEARCH_PATH, body=body):
            for issue in page:
                facts = _issue_facts(issue)
                embedded = ((issue.get("fields") or {}).get("worklog")) or {}
                entries = embedded.get("worklogs") or []
                total = embedded.get("total")
                if isinstance(total, int) and total > len(entries):
                    yield facts
                else:
                    complete.append((facts, entries))

    fetched = fan_out(
        lambda facts: (facts, _issue_worklogs(client, facts, window)),
        incomplete_issues(),
        max_workers=max_workers,
    )
    worklogs: list[Worklog] = []
    low, high = window
    for facts, entries in [*complete, *fetched]:
        for raw in entries:
            worklog = _worklog(raw, facts, with_comment=with_comments)
            if worklog is not None and low <= worklog.started_ms < high:
                worklogs.append(worklog)
    if params.tz == TZ_AUTHOR and worklogs:
        worklogs = _with_resolved_authors(client, worklogs)
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


def _with_resolved_authors(client: HostClient, worklogs: list[Worklog]) -> list[Worklog]:
    # The author's zone decides the day under tz=author; worklog author objects may omit it, so
    # authors are looked up in bulk, once per report.
    from dataclasses import replace

    users = resolve_users(client, (worklog.author_id for worklog in worklogs))
    resolved: list[Worklog] = []
    for worklog in worklogs:
        user = users.get(worklog.author_id)
        zone = user.get("timeZone") if user else None
        name = user.get("displayName") if user else None
        if (zone or None) != worklog.author_tz or (name and name != worklog.author_name):
            worklog = replace(
                worklog,
                author_tz=zone if isinstance(zone, str) and zone else None,
                author_name=str(name or worklog.author_name),
            )
        resolved.append(worklog)
    return resolved
