"""Builders for the engine's inputs, shared by the Timesheet's unit tests."""

from __future__ import annotations

import datetime
from typing import Any

from smart_timesheet_plugin.params import ReportParams
from smart_timesheet_plugin.report.model import Worklog

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_ONE_MS = datetime.timedelta(milliseconds=1)


def epoch_ms(started: str) -> int:
    """Epoch milliseconds of an ISO 8601 instant with an offset (``2014-02-24T23:03:00+0000``)."""
    moment = datetime.datetime.fromisoformat(started)
    assert moment.tzinfo is not None, started
    return (moment - _EPOCH) // _ONE_MS


def make_worklog(
    started: str,
    *,
    seconds: int = 3600,
    author: str = "acc-ann",
    author_name: str = "Ann",
    author_tz: str | None = "UTC",
    issue: str = "TS-1",
    summary: str = "Build the grid",
    issue_type: str = "Task",
    project: str = "TS",
    project_name: str = "Timesheet",
    parent: str | None = None,
    parent_summary: str | None = None,
    comment: str = "",
    worklog_id: str = "1",
) -> Worklog:
    """A worklog started at ``started`` (ISO 8601, with offset); every other fact has a default."""
    return Worklog(
        id=worklog_id,
        issue_key=issue,
        issue_summary=summary,
        issue_type=issue_type,
        project_key=project,
        project_name=project_name,
        parent_key=parent,
        parent_summary=parent_summary,
        author_id=author,
        author_name=author_name,
        author_tz=author_tz,
        started_ms=epoch_ms(started),
        seconds=seconds,
        comment=comment,
    )


def week_of(first: datetime.date, **changes: Any) -> ReportParams:
    """Report parameters for the seven days from ``first``, with ``changes`` to the defaults."""
    values: dict[str, Any] = {"date_from": first, "date_to": first + datetime.timedelta(days=6)}
    values.update(changes)
    return ReportParams(**values)


def team_worklogs() -> list[Worklog]:
    """Four worklogs of three people on two projects in the week of Monday 24 February 2014.

    Ann logs 1800 s on TS-2 (a story under epic TS-1) and 7200 s on OPS-7 (a bug without parent),
    zoë 3600 s on TS-2, Bob 900 s on TS-3 (a task without parent): 13,500 s in all.
    """
    return [
        make_worklog(
            "2014-02-24T09:00:00.000+0000",
            seconds=3600,
            author="acc-zoe",
            author_name="zoë",
            issue="TS-2",
            summary="Export",
            issue_type="Story",
            parent="TS-1",
            parent_summary="Epic work",
            comment="csv",
            worklog_id="10",
        ),
        make_worklog(
            "2014-02-24T08:00:00.000+0000",
            seconds=1800,
            author="acc-ann",
            author_name="Ann",
            issue="TS-2",
            summary="Export",
            issue_type="Story",
            parent="TS-1",
            parent_summary="Epic work",
            comment="xlsx",
            worklog_id="11",
        ),
        make_worklog(
            "2014-02-25T09:00:00.000+0000",
            seconds=7200,
            author="acc-ann",
            author_name="Ann",
            issue="OPS-7",
            summary="Deploy",
            issue_type="Bug",
            project="OPS",
            project_name="Operations",
            worklog_id="12",
        ),
        make_worklog(
            "2014-02-26T09:00:00.000+0000",
            seconds=900,
            author="acc-bob",
            author_name="Bob",
            issue="TS-3",
            summary="Tests",
            worklog_id="13",
        ),
    ]
