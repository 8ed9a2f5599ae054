"""Hypothesis strategies for the engine's tests: instants at zone boundaries, ranges, scenarios.

Also the brute-force zone facts they draw from (offset changes, local dates and midnights),
computed with plain zoneinfo so the engine's fast paths are checked against the obvious answer.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import zoneinfo

from hypothesis import strategies as st

from smart_timesheet_plugin.params import (
    COLUMN_UNITS,
    GROUP_DIMENSIONS,
    MAX_RANGE_DAYS,
    WEEK_STARTS,
    ReportParams,
)
from smart_timesheet_plugin.report.model import Worklog

D = datetime.date

#: Zones with odd offsets, clock changes at midnight, or historic offsets off the quarter hour.
ZONES = (
    "Europe/Moscow",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "UTC",
    "Africa/Monrovia",
    # Zones that change their clocks at midnight, so the changed day itself starts differently.
    "America/Sao_Paulo",
    "Asia/Beirut",
)


def local_date(started_ms: int, zone: str) -> datetime.date:
    """The date of an epoch-millisecond instant in ``zone``, by zoneinfo."""
    return datetime.datetime.fromtimestamp(started_ms // 1000, zoneinfo.ZoneInfo(zone)).date()


@functools.cache
def offset_changes(zone: str) -> tuple[int, ...]:
    """Epoch seconds at which ``zone`` changed its UTC offset from 1970 to 2030, found by brute
    force: compare offsets a day apart, then step through the changed day minute by minute."""
    tz = zoneinfo.ZoneInfo(zone)

    def offset(seconds: int) -> datetime.timedelta | None:
        return datetime.datetime.fromtimestamp(seconds, tz).utcoffset()

    changes = []
    day = 86_400
    for start in range(0, calendar.timegm((2030, 1, 1, 0, 0, 0)), day):
        if offset(start) != offset(start + day):
            minute = next(
                m for m in range(start, start + day + 60, 60) if offset(m) != offset(start)
            )
            second = next(s for s in range(minute - 60, minute + 1) if offset(s) != offset(start))
            changes.append(second)
    return tuple(changes)


def local_midnight(day: datetime.date, zone: str) -> int:
    """Epoch seconds of the start of ``day`` in ``zone``."""
    moment = datetime.datetime.combine(day, datetime.time(), zoneinfo.ZoneInfo(zone))
    return int(moment.timestamp())


@st.composite
def instants_near_boundaries(draw: st.DrawFn, zone: str) -> int:
    """Epoch milliseconds close to an offset change, a local midnight of a day near an offset
    change (where a wrong offset moves work to the wrong day), or any local midnight of ``zone``."""
    changes = offset_changes(zone)
    kind = draw(st.sampled_from(["change", "midnight near a change", "midnight"]))
    if changes and kind == "change":
        anchor = draw(st.sampled_from(changes))
    elif changes and kind == "midnight near a change":
        change_day = local_date(draw(st.sampled_from(changes)) * 1000, zone)
        anchor = local_midnight(
            change_day + datetime.timedelta(days=draw(st.integers(-3, 3))), zone
        )
    else:
        anchor = local_midnight(draw(st.dates(D(1970, 1, 2), D(2029, 12, 30))), zone)
    delta = draw(
        st.one_of(
            st.integers(-2000, 2000),  # milliseconds right at the boundary
            st.integers(-3 * 3_600_000, 3 * 3_600_000),  # within the hours around it
        )
    )
    return anchor * 1000 + delta


def around(draw: st.DrawFn, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """A report range near ``day``: short or up to a year, holding it or just missing it."""
    length = draw(st.one_of(st.integers(0, 4), st.integers(5, MAX_RANGE_DAYS - 1)))
    first = day - datetime.timedelta(days=draw(st.integers(-2, length + 2)))
    return first, first + datetime.timedelta(days=length)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Worklog], ReportParams, str]:
    """Up to 25 worklogs by four authors (zones drawn, some hidden) around one boundary instant,
    any report parameters over a range near it, and the viewer's zone."""
    anchor_zone = draw(st.sampled_from(ZONES))
    anchor_ms = draw(instants_near_boundaries(anchor_zone))
    anchor_day = local_date(anchor_ms, anchor_zone)
    first, last = around(draw, anchor_day)
    authors = [(f"acc-{index}", draw(st.sampled_from((*ZONES, None)))) for index in range(4)]
    worklogs = []
    for index in range(draw(st.integers(0, 25))):
        author_id, author_tz = draw(st.sampled_from(authors))
        issue_number = draw(st.integers(1, 4))
        parent = draw(st.sampled_from([None, "TS-100", "TS-200"]))
        worklogs.append(
            Worklog(
                id=str(index),
                issue_key=f"TS-{issue_number}",
                issue_summary=f"Issue {issue_number}",
                issue_type=draw(st.sampled_from(["Bug", "Task"])),
                project_key=draw(st.sampled_from(["TS", "OPS"])),
                project_name="Project",
                parent_key=parent,
                parent_summary=None if parent is None else "Parent",
                author_id=author_id,
                author_name=author_id.upper(),
                author_tz=author_tz,
                started_ms=anchor_ms
                + draw(st.integers(-3, 3)) * 86_400_000
                + draw(st.integers(-7_200_000, 7_200_000)),
                seconds=draw(st.integers(1, 36_000)),
                comment="",
                components=draw(st.sampled_from([(), ("Backend",), ("Backend", "Frontend")])),
                labels=draw(st.sampled_from([(), ("urgent",)])),
                sprints=draw(st.sampled_from([(), ("Sprint 1",), ("Sprint 1", "Sprint 2")])),
                field_values=draw(st.sampled_from([(), ("Billable",)])),
            )
        )
    params = ReportParams(
        date_from=first,
        date_to=last,
        columns=draw(st.sampled_from(COLUMN_UNITS)),
        week_start=draw(st.sampled_from(WEEK_STARTS)),
        group=tuple(
            draw(st.lists(st.sampled_from(GROUP_DIMENSIONS), min_size=1, max_size=2, unique=True))
        ),
        projects=tuple(draw(st.sampled_from([(), ("TS",)]))),
        users=tuple(draw(st.sampled_from([(), ("acc-0", "acc-1")]))),
        tz=draw(st.sampled_from(["viewer", "author", *ZONES])),
        sort=draw(st.sampled_from(["label", "total"])),
        field="customfield_10050",
    )
    return worklogs, params, draw(st.sampled_from(ZONES))
