"""The day rule: which day, and so which column, a worklog lands on in the zone that counts."""

from __future__ import annotations

import calendar
import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smart_timesheet_plugin.params import ReportParams
from smart_timesheet_plugin.report.grid import build_report
from smart_timesheet_plugin.report.locator import CONVERT_EXACTLY, ColumnLocator
from smart_timesheet_plugin.report.model import Report, Worklog
from tests.timesheet.builders import make_worklog, week_of
from tests.timesheet.report.strategies import (
    ZONES,
    around,
    instants_near_boundaries,
    local_date,
    offset_changes,
)

D = datetime.date
MOSCOW_AUTHOR_STARTED = "2014-02-24T23:03:00.000+0000"


def report(worklogs: list[Worklog], params: ReportParams, viewer_tz: str = "UTC") -> Report:
    return build_report(worklogs, params, viewer_tz=viewer_tz)


def days_with_time(built: Report) -> dict[str, int]:
    return {key: seconds for key, seconds in built.column_totals.items() if seconds}


def test_known_answer_moscow_author_late_evening_utc() -> None:
    log = make_worklog(MOSCOW_AUTHOR_STARTED, author_tz="Europe/Moscow")
    by_author = report([log], week_of(D(2014, 2, 24), tz="author"))
    by_utc = report([log], week_of(D(2014, 2, 24), tz="UTC"), viewer_tz="Europe/Moscow")
    assert days_with_time(by_author) == {"2014-02-25": 3600}
    assert days_with_time(by_utc) == {"2014-02-24": 3600}
    assert by_author.timezone == "author"
    assert by_utc.timezone == "UTC"


def test_known_answer_week_and_month_keys() -> None:
    log = make_worklog(MOSCOW_AUTHOR_STARTED, author_tz="Europe/Moscow")
    weeks = report([log], week_of(D(2014, 2, 24), columns="week", tz="author"))
    months = report([log], week_of(D(2014, 2, 24), columns="month", tz="author"))
    assert [column.key for column in weeks.columns] == ["2014-02-24"]
    assert weeks.column_totals == {"2014-02-24": 3600}
    assert [column.key for column in months.columns] == ["2014-02", "2014-03"]
    assert months.column_totals == {"2014-02": 3600, "2014-03": 0}


def test_viewer_zone_counts_for_tz_viewer() -> None:
    log = make_worklog(MOSCOW_AUTHOR_STARTED, author_tz="Europe/Moscow")
    in_new_york = report([log], week_of(D(2014, 2, 24)), viewer_tz="America/New_York")
    in_tokyo = report([log], week_of(D(2014, 2, 24)), viewer_tz="Asia/Tokyo")
    assert days_with_time(in_new_york) == {"2014-02-24": 3600}
    assert days_with_time(in_tokyo) == {"2014-02-25": 3600}
    assert in_tokyo.timezone == "Asia/Tokyo"


@pytest.mark.parametrize("hidden_zone", [None, "Not/A_Zone"])
def test_author_mode_falls_back_to_the_viewer_zone(hidden_zone: str | None) -> None:
    log = make_worklog(MOSCOW_AUTHOR_STARTED, author_tz=hidden_zone)
    params = week_of(D(2014, 2, 24), tz="author")
    assert days_with_time(report([log], params, viewer_tz="UTC")) == {"2014-02-24": 3600}
    assert days_with_time(report([log], params, viewer_tz="Asia/Tokyo")) == {"2014-02-25": 3600}


def test_an_explicit_zone_ignores_viewer_and_author() -> None:
    log = make_worklog("2014-02-24T20:00:00.000+0000", author_tz="America/Los_Angeles")
    params = week_of(D(2014, 2, 24), tz="Asia/Kathmandu")
    assert days_with_time(report([log], params, viewer_tz="America/New_York")) == {
        "2014-02-25": 3600
    }


def test_range_ends_are_local_midnights() -> None:
    params = ReportParams(D(2014, 2, 24), D(2014, 2, 25), tz="Asia/Kolkata")
    logs = [
        make_worklog("2014-02-23T18:29:59.999+0000", seconds=1),  # 23:59:59.999 on the 23rd
        make_worklog("2014-02-23T18:30:00.000+0000", seconds=10),  # 00:00 on the 24th
        make_worklog("2014-02-25T18:29:59.000+0000", seconds=100),  # 23:59:59 on the 25th
        make_worklog("2014-02-25T18:30:00.000+0000", seconds=1000),  # 00:00 on the 26th
    ]
    built = report(logs, params)
    assert built.column_totals == {"2014-02-24": 10, "2014-02-25": 100}
    assert built.total == 110


def test_the_whole_duration_counts_on_the_day_work_started() -> None:
    log = make_worklog("2014-02-24T22:00:00.000+0000", seconds=4 * 3600)
    assert days_with_time(report([log], week_of(D(2014, 2, 24)))) == {"2014-02-24": 14400}


def test_an_unknown_viewer_zone_is_an_error() -> None:
    with pytest.raises(ValueError, match="viewer time zone"):
        build_report([], week_of(D(2014, 2, 24)), viewer_tz="Nowhere/Land")


def test_historic_offsets_off_the_quarter_hour_are_converted_exactly() -> None:
    # Monrovia ran on UTC-0:44:30 until 1972-01-07, so its midnights fall inside 15-minute slices.
    params = ReportParams(D(1972, 1, 1), D(1972, 1, 14), tz="Africa/Monrovia")
    locator = ColumnLocator(params, viewer_tz="UTC")
    assert CONVERT_EXACTLY in locator.slice_table("Africa/Monrovia")
    midnight = calendar.timegm((1972, 1, 3, 0, 44, 30)) * 1000
    assert locator.column_index(midnight - 1, None) == 1  # 23:59:59.999 on 2 January
    assert locator.column_index(midnight, None) == 2  # 00:00 on 3 January


def test_the_boundary_strategy_knows_real_transitions() -> None:
    assert len(offset_changes("America/New_York")) > 100
    assert len(offset_changes("Australia/Lord_Howe")) > 50
    assert offset_changes("UTC") == ()
    # Moscow moved to UTC+3 for good on 2014-10-26 at 02:00 local (22:00 UTC the day before).
    assert calendar.timegm((2014, 10, 25, 22, 0, 0)) in offset_changes("Europe/Moscow")


@settings(max_examples=400, deadline=None)
@given(data=st.data(), zone=st.sampled_from(ZONES))
def test_column_lookup_matches_zoneinfo_at_boundaries(data: st.DataObject, zone: str) -> None:
    started_ms = data.draw(instants_near_boundaries(zone))
    day = local_date(started_ms, zone)
    first, last = around(data.draw, day)
    locator = ColumnLocator(ReportParams(first, last, tz=zone), viewer_tz="UTC")
    expected = (day - first).days if first <= day <= last else None
    assert locator.column_index(started_ms, None) == expected


def test_the_detail_start_keeps_the_offset_of_a_repeated_hour() -> None:
    # 05:30 and 06:30 UTC on 2014-11-02 are both 01:30 in New York, first EDT then EST.
    locator = ColumnLocator(
        ReportParams(D(2014, 11, 2), D(2014, 11, 2), tz="America/New_York"), viewer_tz="UTC"
    )
    first = locator.local_start(calendar.timegm((2014, 11, 2, 5, 30, 0)) * 1000 + 7, None)
    second = locator.local_start(calendar.timegm((2014, 11, 2, 6, 30, 0)) * 1000, None)
    assert first.isoformat(timespec="milliseconds") == "2014-11-02T01:30:00.007-04:00"
    assert second.isoformat(timespec="milliseconds") == "2014-11-02T01:30:00.000-05:00"
