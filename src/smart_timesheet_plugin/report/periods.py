"""The columns of a report range: days, weeks or months, with their keys and labels.

A column covers only days inside the range, so a week or month at either end may be cut short;
its key stays that of the whole week (its first day) or month (``YYYY-MM``). Weeks begin on the
report's ``week_start``; a week of Monday weeks is labelled with its ISO number.
"""

from __future__ import annotations

import datetime
from typing import Final

from smart_timesheet_plugin.params import ReportParams, week_start_of
from smart_timesheet_plugin.report.model import Column

_ONE_DAY: Final = datetime.timedelta(days=1)
_WEEKDAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def report_columns(params: ReportParams) -> tuple[Column, ...]:
    """Every column of the report range in order, empty ones included."""
    columns: list[Column] = []
    day = params.date_from
    while day <= params.date_to:
        if params.columns == "day":
            end = day
            column = Column(day.isoformat(), day_label(day), day, day)
        elif params.columns == "week":
            start = week_start_of(day, params.week_start)
            end = start + datetime.timedelta(days=6)
            label = week_label(start, iso_numbering=params.week_start == "monday")
            column = Column(start.isoformat(), label, day, min(end, params.date_to))
        else:
            start = day.replace(day=1)
            end = (start + datetime.timedelta(days=32)).replace(day=1) - _ONE_DAY
            column = Column(month_key(start), month_label(start), day, min(end, params.date_to))
        columns.append(column)
        day = end + _ONE_DAY
    return tuple(columns)


def day_label(day: datetime.date) -> str:
    """A day column's label, e.g. ``Mon 24 Feb``."""
    return f"{_WEEKDAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"


def week_label(first_day: datetime.date, *, iso_numbering: bool) -> str:
    """A week column's label from its first day: ``W09 24 Feb`` with ISO numbers, or ``23 Feb``."""
    day_and_month = f"{first_day.day} {_MONTH_NAMES[first_day.month - 1]}"
    if iso_numbering:
        return f"W{first_day.isocalendar().week:02d} {day_and_month}"
    return day_and_month


def month_key(day: datetime.date) -> str:
    """The key of the month column holding ``day``, e.g. ``2014-02``."""
    return f"{day.year:04d}-{day.month:02d}"


def month_label(day: datetime.date) -> str:
    """The label of the month column holding ``day``, e.g. ``Feb 2014``."""
    return f"{_MONTH_NAMES[day.month - 1]} {day.year}"
