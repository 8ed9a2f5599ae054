"""Expected hours' settings, kept in Jira itself and never in our database.

The site's working week is one app property (written as the app, once Jira has said the viewer
is a Jira administrator): ``{"hours": {"mon": 8, ..., "sun": 0}}``, decimal hours per weekday.
A person's days off are one user property of theirs (written as that person):
``{"days": ["2026-12-24", ...]}``, ISO dates in order. This module is pure: it checks and
builds such documents; :mod:`smart_timesheet_plugin.source.properties` reads and writes them.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Mapping
from typing import Any, Final

from smart_timesheet_plugin.params import EARLIEST_DATE, LATEST_DATE
from smart_timesheet_plugin.report.expected import (
    DAY_SECONDS,
    DEFAULT_WORKING_WEEK,
    WEEKDAYS,
    WorkingWeek,
)
from smart_timesheet_plugin.saved import PROPERTY_LIMIT

#: The app property holding the site's working week.
WORKING_WEEK_PROPERTY: Final = "smart-timesheet-working-week"
#: The user property holding a person's days off.
DAYS_OFF_PROPERTY: Final = "smart-timesheet-days-off"


class ExpectedSettingError(ValueError):
    """A working week or a list of days off is not acceptable; ``parameter`` names the field."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


def week_to_json(week: WorkingWeek) -> dict[str, Any]:
    """The stored (and answered) form of a working week: decimal hours by weekday."""
    return {"hours": {name: _hours(s) for name, s in zip(WEEKDAYS, week.seconds, strict=True)}}


def _hours(seconds: int) -> int | float:
    hours = seconds / 3600
    return int(hours) if hours.is_integer() else round(hours, 4)


def week_from_body(body: object) -> WorkingWeek:
    """The working week a request body ``{"hours": {"mon": 8, ...}}`` asks for.

    Every weekday must be given, as a number of hours from 0 to 24 (whole minutes are kept).
    Raises :class:`ExpectedSettingError`.
    """
    hours = body.get("hours") if isinstance(body, Mapping) else None
    if not isinstance(hours, Mapping):
        raise ExpectedSettingError("hours", "must map each weekday (mon to sun) to hours")
    unknown = [str(name) for name in hours if name not in WEEKDAYS]
    if unknown:
        raise ExpectedSettingError("hours", f"weekdays are {', '.join(WEEKDAYS)}")
    seconds: list[int] = []
    for name in WEEKDAYS:
        value = hours.get(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= 24
        ):
            raise ExpectedSettingError("hours", f"{name} must be a number of hours from 0 to 24")
        seconds.append(min(DAY_SECONDS, round(value * 60) * 60))
    return WorkingWeek(tuple(seconds))


def read_week(value: object) -> WorkingWeek | None:
    """The working week of a stored document; ``None`` when there is none (or it is unusable)."""
    try:
        return week_from_body(value)
    except ExpectedSettingError:
        return None


def week_or_default(value: object) -> WorkingWeek:
    """The stored working week, else the default (Monday to Friday, 8 hours)."""
    return read_week(value) or DEFAULT_WORKING_WEEK


def days_off_from_body(body: object) -> tuple[datetime.date, ...]:
    """The days off a request body ``{"days": ["2026-12-24", ...]}`` asks for, sorted, each once.

    Raises :class:`ExpectedSettingError` for anything but ISO dates from 1900 to 2999, or when
    the list is longer than Jira keeps in one property (32 KB).
    """
    days = body.get("days") if isinstance(body, Mapping) else None
    if not isinstance(days, list):
        raise ExpectedSettingError("days", "must be a list of dates (YYYY-MM-DD)")
    parsed: set[datetime.date] = set()
    for text in days:
        try:
            day = datetime.date.fromisoformat(text) if isinstance(text, str) else None
        except ValueError:
            day = None
        if day is None or len(text) != 10 or not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ExpectedSettingError("days", "each day must be a date such as 2026-12-24")
        parsed.add(day)
    ordered = tuple(sorted(parsed))
    days_off_document(ordered)  # the size check
    return ordered


def days_off_document(days: tuple[datetime.date, ...]) -> dict[str, Any]:
    """The document to store; raises :class:`ExpectedSettingError` beyond Jira's 32 KB."""
    document = {"days": [day.isoformat() for day in days]}
    size = len(json.dumps(document, separators=(",", ":")).encode("utf-8"))
    if size > PROPERTY_LIMIT:
        raise ExpectedSettingError(
            "days",
            f"Jira keeps at most {PROPERTY_LIMIT // 1024} KB of days off "
            "(about 2,400 days); remove past ones to add more",
        )
    return document


def read_days_off(value: object) -> frozenset[datetime.date]:
    """The days off of a stored document; entries that are not dates are skipped."""
    days = value.get("days") if isinstance(value, Mapping) else None
    found: set[datetime.date] = set()
    for text in days if isinstance(days, list) else []:
        if isinstance(text, str):
            try:
                found.add(datetime.date.fromisoformat(text))
            except ValueError:
                continue
    return frozenset(found)
