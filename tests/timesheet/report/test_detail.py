"""The worklogs behind one cell: exactly those summed in it, with their local start times."""

from __future__ import annotations

import datetime

import pytest

from smart_timesheet_plugin.params import ReportParams
from smart_timesheet_plugin.report.detail import worklogs_in_cell
from smart_timesheet_plugin.report.grid import build_report
from smart_timesheet_plugin.report.model import Worklog, WorklogDetail
from tests.timesheet.builders import make_worklog, week_of

D = datetime.date
WEEK = D(2014, 2, 24)


def test_cell_detail_lists_exactly_the_worklogs_summed_in_the_cell(team: list[Worklog]) -> None:
    params = week_of(WEEK, group=("issue",))
    details = worklogs_in_cell(
        team, params, viewer_tz="UTC", row_key=["TS-2"], column_key="2014-02-24"
    )
    assert [detail.author_id for detail in details] == ["acc-ann", "acc-zoe"]  # by start time
    built = build_report(team, params, viewer_tz="UTC")
    row = next(row for row in built.rows if row.key == ("TS-2",))
    assert sum(detail.seconds for detail in details) == row.cells["2014-02-24"]


def test_cell_detail_of_a_subtotal_and_of_the_totals_row(team: list[Worklog]) -> None:
    params = week_of(WEEK, group=("project", "user"))
    subtotal = worklogs_in_cell(
        team, params, viewer_tz="UTC", row_key=["TS"], column_key="2014-02-24"
    )
    column = worklogs_in_cell(team, params, viewer_tz="UTC", row_key=[], column_key="2014-02-25")
    grand_total = worklogs_in_cell(team, params, viewer_tz="UTC", row_key=[], column_key=None)
    assert sorted(detail.comment for detail in subtotal) == ["csv", "xlsx"]
    assert [detail.issue_key for detail in column] == ["OPS-7"]
    assert sum(detail.seconds for detail in grand_total) == 13_500


def test_cell_detail_keeps_to_the_reports_filters(team: list[Worklog]) -> None:
    params = week_of(WEEK, users=("acc-zoe",), group=("project",))
    details = worklogs_in_cell(team, params, viewer_tz="UTC", row_key=[], column_key=None)
    assert [detail.worklog_id for detail in details] == ["10"]


def test_cell_detail_shows_start_time_in_the_zone_that_chose_the_day() -> None:
    log = make_worklog(
        "2014-02-24T18:03:48.589+0100",
        author_tz="Europe/Moscow",
        author_name="admin",
        comment="test 1",
        worklog_id="30000",
    )
    params = week_of(WEEK, tz="author")
    details = worklogs_in_cell(
        [log], params, viewer_tz="UTC", row_key=["acc-ann"], column_key="2014-02-24"
    )
    assert details == [
        WorklogDetail(
            worklog_id="30000",
            issue_key="TS-1",
            author_id="acc-ann",
            author_name="admin",
            started_ms=log.started_ms,
            started="2014-02-24T21:03:48.589+04:00",
            day="2014-02-24",
            seconds=3600,
            comment="test 1",
        )
    ]


def test_cell_detail_in_the_repeated_autumn_hour_keeps_its_offset() -> None:
    # 05:30 and 06:30 UTC on 2014-11-02 are both 01:30 in New York, first EDT then EST.
    logs = [
        make_worklog("2014-11-02T05:30:00.000+0000", worklog_id="a"),
        make_worklog("2014-11-02T06:30:00.000+0000", worklog_id="b"),
    ]
    params = ReportParams(D(2014, 11, 2), D(2014, 11, 2), tz="America/New_York")
    details = worklogs_in_cell(
        logs, params, viewer_tz="UTC", row_key=["acc-ann"], column_key="2014-11-02"
    )
    assert [detail.started for detail in details] == [
        "2014-11-02T01:30:00.000-04:00",
        "2014-11-02T01:30:00.000-05:00",
    ]


def test_cell_detail_rejects_unknown_cells(team: list[Worklog]) -> None:
    params = week_of(WEEK)
    with pytest.raises(ValueError, match="not a column"):
        worklogs_in_cell(
            team, params, viewer_tz="UTC", row_key=["acc-ann"], column_key="2014-03-09"
        )
    with pytest.raises(ValueError, match="more values"):
        worklogs_in_cell(
            team, params, viewer_tz="UTC", row_key=["acc-ann", "x"], column_key="2014-02-24"
        )
