"""The columns of a report range: their keys, labels and the days each covers."""

from __future__ import annotations

import datetime

import pytest

from smart_timesheet_plugin.params import ReportParams, WeekStart
from smart_timesheet_plugin.report.periods import report_columns

D = datetime.date


def test_day_columns_cover_every_day_with_readable_labels() -> None:
    columns = report_columns(ReportParams(D(2014, 2, 27), D(2014, 3, 3)))
    assert [(column.key, column.label) for column in columns] == [
        ("2014-02-27", "Thu 27 Feb"),
        ("2014-02-28", "Fri 28 Feb"),
        ("2014-03-01", "Sat 1 Mar"),
        ("2014-03-02", "Sun 2 Mar"),
        ("2014-03-03", "Mon 3 Mar"),
    ]
    assert all(column.first_day == column.last_day for column in columns)


@pytest.mark.parametrize(
    ("week_start", "expected_keys"),
    [
        ("monday", ["2014-02-24", "2014-03-03"]),
        ("sunday", ["2014-02-23", "2014-03-02"]),
        ("saturday", ["2014-02-22", "2014-03-01"]),
    ],
)
def test_week_columns_are_keyed_by_their_first_day(
    week_start: WeekStart, expected_keys: list[str]
) -> None:
    params = ReportParams(D(2014, 2, 26), D(2014, 3, 4), columns="week", week_start=week_start)
    assert [column.key for column in report_columns(params)] == expected_keys


def test_week_labels_use_iso_numbers_for_monday_weeks_else_the_first_day() -> None:
    monday = report_columns(ReportParams(D(2014, 2, 24), D(2014, 3, 9), columns="week"))
    sunday = report_columns(
        ReportParams(D(2014, 2, 23), D(2014, 3, 8), columns="week", week_start="sunday")
    )
    assert [column.label for column in monday] == ["W09 24 Feb", "W10 3 Mar"]
    assert [column.label for column in sunday] == ["23 Feb", "2 Mar"]


def test_iso_week_numbers_at_the_turn_of_the_year() -> None:
    columns = report_columns(ReportParams(D(2014, 12, 29), D(2015, 1, 11), columns="week"))
    assert [column.label for column in columns] == ["W01 29 Dec", "W02 5 Jan"]


def test_weeks_and_months_cut_by_the_range_are_labelled_by_the_days_they_hold() -> None:
    # November 2026 starts on a Sunday: its first Monday week holds 1 Nov alone.
    weeks = report_columns(ReportParams(D(2026, 11, 1), D(2026, 11, 30), columns="week"))
    assert (weeks[0].key, weeks[0].label, weeks[0].clipped) == ("2026-10-26", "W44 1 Nov", True)
    assert (weeks[1].label, weeks[1].clipped) == ("W45 2 Nov", False)
    assert weeks[-1].label == "W49 30 Nov"  # Monday 30 Nov alone
    across = report_columns(
        ReportParams(D(2014, 2, 26), D(2014, 3, 4), columns="week", week_start="sunday")
    )
    assert [column.label for column in across] == ["26 Feb \N{EN DASH} 1 Mar", "2\N{EN DASH}4 Mar"]
    months = report_columns(ReportParams(D(2013, 12, 15), D(2014, 2, 10), columns="month"))
    assert [column.label for column in months] == [
        "15\N{EN DASH}31 Dec 2013",
        "Jan 2014",
        "1\N{EN DASH}10 Feb 2014",
    ]
    assert [column.clipped for column in months] == [True, False, True]


def test_weeks_at_the_ends_of_the_range_are_cut_to_it() -> None:
    columns = report_columns(ReportParams(D(2014, 2, 26), D(2014, 3, 4), columns="week"))
    assert [(column.first_day, column.last_day) for column in columns] == [
        (D(2014, 2, 26), D(2014, 3, 2)),
        (D(2014, 3, 3), D(2014, 3, 4)),
    ]


def test_month_columns_span_years_with_labels() -> None:
    columns = report_columns(ReportParams(D(2013, 12, 1), D(2014, 2, 28), columns="month"))
    assert [(column.key, column.label) for column in columns] == [
        ("2013-12", "Dec 2013"),
        ("2014-01", "Jan 2014"),
        ("2014-02", "Feb 2014"),
    ]
    assert (columns[0].first_day, columns[-1].last_day) == (D(2013, 12, 1), D(2014, 2, 28))
    assert (columns[1].first_day, columns[1].last_day) == (D(2014, 1, 1), D(2014, 1, 31))


def test_a_leap_february_is_one_month_column() -> None:
    columns = report_columns(ReportParams(D(2016, 2, 1), D(2016, 3, 1), columns="month"))
    assert [(column.key, column.last_day) for column in columns] == [
        ("2016-02", D(2016, 2, 29)),
        ("2016-03", D(2016, 3, 1)),
    ]


def test_every_day_of_the_range_is_in_exactly_one_column() -> None:
    for columns in ("day", "week", "month"):
        params = ReportParams(D(2023, 1, 1), D(2023, 12, 31), columns=columns)  # type: ignore[arg-type]
        days = [
            column.first_day + datetime.timedelta(days=offset)
            for column in report_columns(params)
            for offset in range((column.last_day - column.first_day).days + 1)
        ]
        assert days == [D(2023, 1, 1) + datetime.timedelta(days=n) for n in range(365)]


def test_quarter_and_year_columns_are_keyed_like_2026_q4_and_2026() -> None:
    quarters = report_columns(ReportParams(D(2025, 11, 15), D(2026, 11, 14), columns="quarter"))
    assert [(column.key, column.label) for column in quarters] == [
        ("2025-Q4", "Q4 15 Nov \N{EN DASH} 31 Dec 2025"),
        ("2026-Q1", "Q1 2026"),
        ("2026-Q2", "Q2 2026"),
        ("2026-Q3", "Q3 2026"),
        ("2026-Q4", "Q4 1 Oct \N{EN DASH} 14 Nov 2026"),
    ]
    assert quarters[0].clipped and not quarters[1].clipped
    assert (quarters[1].first_day, quarters[1].last_day) == (D(2026, 1, 1), D(2026, 3, 31))
    years = report_columns(ReportParams(D(2025, 7, 1), D(2026, 6, 30), columns="year"))
    assert [(column.key, column.first_day, column.last_day) for column in years] == [
        ("2025", D(2025, 7, 1), D(2025, 12, 31)),
        ("2026", D(2026, 1, 1), D(2026, 6, 30)),
    ]
    whole = report_columns(ReportParams(D(2024, 1, 1), D(2024, 12, 31), columns="year"))
    assert [(column.key, column.label, column.clipped) for column in whole] == [
        ("2024", "2024", False)
    ]
