"""The columns of a report range: days, weeks, months, quarters or years, with keys and labels.

Keys: ``YYYY-MM-DD`` for a day, the first day for a week, ``YYYY-MM`` for a month, ``YYYY-Qn``
for a quarter (``2026-Q4``) and ``YYYY`` for a year.

A column covers only days inside the range, so a week or month at either end may be cut short;
its key stays that of the whole week (its first day) or month (``YYYY-MM``), while its label
names the days it holds (``W44 1 Nov``; ``20-28 Feb 2014`` with an en dash): a week labelled by
a start the report does not hold would misstate what its cells sum. Weeks begin on the report's
``week_start``; a week of Monday weeks is labelled with its ISO number.
"""

from __future__ import annotations

import datetime
from typing import Final

from smart_timesheet_plugin.params import ReportParams, week_start_of
from smart_timesheet_plugin.report.model import Column

_ONE_DAY: Final = datetime.timedelta(days=1)
_EN_DASH: Final = "\N{EN DASH}"
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
            last = min(end, params.date_to)
            if start == day and end == last:
                label = week_label(start, iso_numbering=params.week_start == "monday")
                column = Column(start.isoformat(), label, day, last)
            else:
                label = range_label(day, last)
                if params.week_start == "monday":
                    label = f"W{start.isocalendar().week:02d} {label}"
                column = Column(start.isoformat(), label, day, last, True)
        elif params.columns == "month":
            start = day.replace(day=1)
            end = (start + datetime.timedelta(days=32)).replace(day=1) - _ONE_DAY
            last = min(end, params.date_to)
            if start == day and end == last:
                column = Column(month_key(start), month_label(start), day, last)
            else:
                label = f"{range_label(day, last)} {start.year}"
                column = Column(month_key(start), label, day, last, True)
        elif params.columns == "quarter":
            quarter = (day.month - 1) // 3 + 1
            start = datetime.date(day.year, quarter * 3 - 2, 1)
            end = datetime.date(day.year + (quarter == 4), quarter * 3 % 12 + 1, 1) - _ONE_DAY
            last = min(end, params.date_to)
            key = f"{day.year:04d}-Q{quarter}"
            whole = start == day and end == last
            label = f"Q{quarter} {day.year}"
            if not whole:
                label = f"Q{quarter} {range_label(day, last)} {day.year}"
            column = Column(key, label, day, last, not whole)
        else:
            start = datetime.date(day.year, 1, 1)
            end = datetime.date(day.year, 12, 31)
            last = min(end, params.date_to)
            whole = start == day and end == last
            label = str(day.year) if whole else f"{range_label(day, last)} {day.year}"
            column = Column(f"{day.year:04d}", label, day, last, not whole)
        columns.append(column)
        day = end + _ONE_DAY
    return tuple(columns)


def day_label(day: datetime.date) -> str:
    """A day column's label, e.g. ``Mon 24 Feb``."""
    return f"{_WEEKDAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"


def range_label(first: datetime.date, last: datetime.date) -> str:
    """The days of a clipped column: ``1 Nov``, ``1-3 Nov`` or ``30 Oct - 1 Nov`` (en dashes)."""
    if first == last:
        return f"{first.day} {_MONTH_NAMES[first.month - 1]}"
    if first.month == last.month:
        return f"{first.day}{_EN_DASH}{last.day} {_MONTH_NAMES[first.month - 1]}"
    start = f"{first.day} {_MONTH_NAMES[first.month - 1]}"
    return f"{start} {_EN_DASH} {last.day} {_MONTH_NAMES[last.month - 1]}"


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
