"""Expected hours: a site's working week and a person's days off, as seconds per column.

Everything is passed in: the working week (seconds per weekday), each person's days off, the
report's columns, the current instant and the zones that decide what "today" is. Expected hours
count only the days up to today, in the report's zone (each author's own zone with
``tz=author``): a week or month still under way expects what its elapsed days ask for, so nobody
shows as behind for days that have not happened yet, and a future period expects nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Final
from zoneinfo import ZoneInfo

from smart_timesheet_plugin.params import TZ_AUTHOR, is_known_zone
from smart_timesheet_plugin.report.model import Column, Report, ReportRow

#: The weekdays' short names, Monday first (the working week's order).
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Seconds in a day: the most a weekday may expect.
DAY_SECONDS: Final = 86_400
_ONE_DAY: Final = datetime.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class WorkingWeek:
    """Seconds of work expected on each weekday, Monday first (seven whole numbers of seconds,
    each from 0 to a day)."""

    seconds: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.seconds) != len(WEEKDAYS):
            raise ValueError("a working week has seven days")
        if not all(isinstance(s, int) and 0 <= s <= DAY_SECONDS for s in self.seconds):
            raise ValueError("a weekday expects 0 to 24 hours")

    def on(self, day: datetime.date) -> int:
        """The seconds expected on ``day``'s weekday."""
        return self.seconds[day.weekday()]


#: The working week of a site that has not set one: Monday to Friday, 8 hours a day.
DEFAULT_WORKING_WEEK: Final = WorkingWeek((8 * 3600,) * 5 + (0, 0))


def expected_by_column(
    columns: Iterable[Column],
    week: WorkingWeek,
    days_off: Collection[datetime.date],
    *,
    until: datetime.date | None = None,
) -> dict[str, int]:
    """Expected seconds per column key, zero columns included, in column order.

    A column expects its days' working hours (only the days it holds, so a clipped week or month
    expects less), less the ``days_off``; days after ``until`` (today) expect nothing.
    """
    expected: dict[str, int] = {}
    for column in columns:
        seconds = 0
        last = column.last_day if until is None else min(column.last_day, until)
        day = column.first_day
        while day <= last:
            if day not in days_off:
                seconds += week.on(day)
            day += _ONE_DAY
        expected[column.key] = seconds
    return expected


def local_today(now_ms: int, zone: str) -> datetime.date:
    """The date at the instant ``now_ms`` (epoch milliseconds) in the IANA ``zone``."""
    instant = datetime.datetime.fromtimestamp(now_ms / 1000, tz=datetime.UTC)
    return instant.astimezone(ZoneInfo(zone)).date()


def add_expected(
    report: Report,
    week: WorkingWeek,
    days_off: Mapping[str, Collection[datetime.date]],
    *,
    now_ms: int,
    viewer_tz: str,
    user_zones: Mapping[str, str | None] | None = None,
) -> Report:
    """``report`` with each person's expected seconds next to their logged ones.

    The person rows are those keyed by one accountId: the rows of a ``group=user`` report, or
    the first-level subtotals of ``group=user,...``. ``days_off`` maps an accountId to their
    days off (absent: none). Today is taken in the report's zone, or with ``tz=author`` in each
    person's ``user_zones`` entry (``viewer_tz`` when unknown). The column totals sum the
    people's expected seconds.
    """
    params = report.params
    if params.group[0] != "user" or params.pivot is not None:
        raise ValueError("expected hours need rows grouped by user first and no pivot")
    zones = user_zones or {}
    column_keys = [column.key for column in report.columns]
    totals = dict.fromkeys(column_keys, 0)
    rows: list[ReportRow] = []
    for row in report.rows:
        account_id = row.key[0] if len(row.key) == 1 else None
        if account_id is None:
            rows.append(row)
            continue
        zone = report.timezone
        if zone == TZ_AUTHOR:
            zone = zones.get(account_id) or viewer_tz
            if not is_known_zone(zone):
                zone = viewer_tz
        expected = expected_by_column(
            report.columns,
            week,
            days_off.get(account_id, ()),
            until=local_today(now_ms, zone),
        )
        for key, seconds in expected.items():
            totals[key] += seconds
        rows.append(replace(row, expected=expected, expected_total=sum(expected.values())))
    return replace(
        report,
        rows=tuple(rows),
        expected_totals=totals,
        expected_total=sum(totals.values()),
    )
