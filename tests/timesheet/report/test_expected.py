"""Expected hours in the pure engine: weekends, days off, clipped columns, today and its zone."""

from __future__ import annotations

import datetime

import pytest

from smart_timesheet_plugin.params import ParameterError, ReportParams
from smart_timesheet_plugin.report import build_report, report_columns, report_to_json
from smart_timesheet_plugin.report.expected import (
    DEFAULT_WORKING_WEEK,
    WorkingWeek,
    add_expected,
    expected_by_column,
    local_today,
)
from tests.timesheet.builders import epoch_ms, make_worklog

HOUR = 3600
# Monday 2 November 2026 to Sunday 29 November 2026 and beyond: long after every test's range.
LATER = epoch_ms("2030-01-01T00:00:00+00:00")


def _params(first: str, last: str, **changes: object) -> ReportParams:
    return ReportParams(
        date_from=datetime.date.fromisoformat(first),
        date_to=datetime.date.fromisoformat(last),
        **changes,  # type: ignore[arg-type]
    )


def test_the_default_week_expects_eight_hours_on_weekdays_and_nothing_at_weekends():
    # Friday 6 to Monday 9 November 2026.
    columns = report_columns(_params("2026-11-06", "2026-11-09"))
    expected = expected_by_column(columns, DEFAULT_WORKING_WEEK, ())
    assert expected == {
        "2026-11-06": 8 * HOUR,
        "2026-11-07": 0,
        "2026-11-08": 0,
        "2026-11-09": 8 * HOUR,
    }


def test_days_off_expect_nothing():
    columns = report_columns(_params("2026-11-02", "2026-11-06"))
    off = {datetime.date(2026, 11, 3), datetime.date(2026, 11, 5)}
    expected = expected_by_column(columns, DEFAULT_WORKING_WEEK, off)
    assert [expected[c.key] // HOUR for c in columns] == [8, 0, 8, 0, 8]


def test_a_custom_week_with_a_short_friday_and_a_saturday():
    week = WorkingWeek((8 * HOUR,) * 4 + (4 * HOUR, 2 * HOUR, 0))
    columns = report_columns(_params("2026-11-02", "2026-11-08", columns="week"))
    assert expected_by_column(columns, week, ()) == {"2026-11-02": 38 * HOUR}


def test_clipped_weeks_and_months_expect_only_the_days_they_hold():
    # Sunday 1 November to Tuesday 3 November, in Monday weeks: a clipped week of one Sunday,
    # then a week holding Monday and Tuesday.
    weeks = report_columns(_params("2026-11-01", "2026-11-03", columns="week"))
    assert expected_by_column(weeks, DEFAULT_WORKING_WEEK, ()) == {
        "2026-10-26": 0,
        "2026-11-02": 16 * HOUR,
    }
    # 20 October to 4 November: 9 working days of October, 3 of November (2, 3, 4).
    months = report_columns(_params("2026-10-20", "2026-11-04", columns="month"))
    assert expected_by_column(months, DEFAULT_WORKING_WEEK, ()) == {
        "2026-10": 9 * 8 * HOUR,
        "2026-11": 3 * 8 * HOUR,
    }
    # November 2026 whole: 21 working days, one of them off.
    month = report_columns(_params("2026-11-01", "2026-11-30", columns="month"))
    off = {datetime.date(2026, 11, 11), datetime.date(2026, 11, 14)}  # a Wednesday, a Saturday
    assert expected_by_column(month, DEFAULT_WORKING_WEEK, off) == {"2026-11": 20 * 8 * HOUR}


def test_days_after_today_expect_nothing():
    columns = report_columns(_params("2026-11-02", "2026-11-08"))
    expected = expected_by_column(
        columns, DEFAULT_WORKING_WEEK, (), until=datetime.date(2026, 11, 4)
    )
    assert [expected[c.key] // HOUR for c in columns] == [8, 8, 8, 0, 0, 0, 0]


def test_today_is_taken_in_the_reports_zone():
    # 22:30 UTC on Tuesday 3 November is already Wednesday in Tokyo.
    now = epoch_ms("2026-11-03T22:30:00+00:00")
    assert local_today(now, "UTC") == datetime.date(2026, 11, 3)
    assert local_today(now, "Asia/Tokyo") == datetime.date(2026, 11, 4)
    worklog = make_worklog("2026-11-02T10:00:00+00:00", seconds=5 * HOUR)
    for zone, days in (("UTC", 2), ("Asia/Tokyo", 3)):
        params = _params("2026-11-02", "2026-11-08", columns="week", tz=zone, expected=True)
        report = build_report([worklog], params, viewer_tz="UTC")
        [row] = add_expected(report, DEFAULT_WORKING_WEEK, {}, now_ms=now, viewer_tz="UTC").rows
        assert row.expected == {"2026-11-02": days * 8 * HOUR}


def test_with_author_zones_each_person_has_their_own_today():
    now = epoch_ms("2026-11-03T22:30:00+00:00")
    worklogs = [
        make_worklog("2026-11-02T10:00:00+00:00", author="acc-ann", author_tz="Asia/Tokyo"),
        make_worklog(
            "2026-11-02T10:00:00+00:00", author="acc-bob", author_name="Bob", author_tz="UTC"
        ),
    ]
    params = _params("2026-11-02", "2026-11-08", columns="week", tz="author", expected=True)
    report = build_report(worklogs, params, viewer_tz="UTC")
    zones = {"acc-ann": "Asia/Tokyo", "acc-bob": "UTC"}
    with_expected = add_expected(
        report, DEFAULT_WORKING_WEEK, {}, now_ms=now, viewer_tz="UTC", user_zones=zones
    )
    by_person = {row.key[0]: row.expected_total for row in with_expected.rows}
    assert by_person == {"acc-ann": 24 * HOUR, "acc-bob": 16 * HOUR}
    assert with_expected.expected_total == 40 * HOUR


def test_expected_sits_on_person_rows_and_the_totals_sum_the_people():
    worklogs = [
        make_worklog("2026-11-02T10:00:00+00:00", seconds=9 * HOUR, author="acc-ann"),
        make_worklog("2026-11-03T10:00:00+00:00", seconds=2 * HOUR, author="acc-ann"),
        make_worklog(
            "2026-11-02T10:00:00+00:00",
            seconds=HOUR,
            author="acc-bob",
            author_name="Bob",
            project="OPS",
            project_name="Operations",
        ),
    ]
    params = _params("2026-11-02", "2026-11-03", group=("user", "project"), expected=True)
    report = build_report(worklogs, params, viewer_tz="UTC")
    off = {"acc-bob": {datetime.date(2026, 11, 3)}}
    result = add_expected(report, DEFAULT_WORKING_WEEK, off, now_ms=LATER, viewer_tz="UTC")
    people = {row.key[0]: row for row in result.rows if row.subtotal}
    assert people["acc-ann"].expected == {"2026-11-02": 8 * HOUR, "2026-11-03": 8 * HOUR}
    assert people["acc-bob"].expected == {"2026-11-02": 8 * HOUR, "2026-11-03": 0}
    assert all(row.expected is None for row in result.rows if not row.subtotal)
    assert result.expected_totals == {"2026-11-02": 16 * HOUR, "2026-11-03": 8 * HOUR}
    body = report_to_json(result)
    assert body["expectedTotal"] == 24 * HOUR
    assert body["expectedTotals"] == {"2026-11-02": 16 * HOUR, "2026-11-03": 8 * HOUR}
    bob = next(row for row in body["rows"] if row["key"] == ["acc-bob"])
    # Zero columns are left out, as for logged cells.
    assert bob["expected"] == {"2026-11-02": 8 * HOUR} and bob["expectedTotal"] == 8 * HOUR
    # Without expected=1 the JSON keeps its usual shape.
    plain = report_to_json(report)
    assert "expectedTotal" not in plain and all("expected" not in row for row in plain["rows"])


@pytest.mark.parametrize(
    "changes",
    [{"group": ("project",)}, {"group": ("project", "user")}, {"pivot": "project"}],
)
def test_expected_needs_person_rows(changes):
    with pytest.raises(ParameterError) as raised:
        _params("2026-11-02", "2026-11-03", expected=True, **changes)
    assert raised.value.parameter == "expected"


def test_a_working_week_has_seven_days_of_at_most_a_day_each():
    with pytest.raises(ValueError):
        WorkingWeek((8 * HOUR,) * 5)
    with pytest.raises(ValueError):
        WorkingWeek((25 * HOUR,) + (0,) * 6)
