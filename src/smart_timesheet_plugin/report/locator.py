"""Which column a worklog falls in: the day rule, applied in constant time per worklog.

The day rule
    A worklog belongs to the calendar day on which its ``started`` instant falls in the zone that
    counts: the zone named by ``tz``; the viewer's zone for ``tz=viewer``; for ``tz=author`` the
    author's zone, or the viewer's when the author hides it (or Jira names a zone the database does
    not know). It is counted when that day lies in the report range. Its whole duration counts on
    that day, even when the work ran past midnight, as in Jira itself.

Why it is fast
    Converting every worklog with zoneinfo would cost microseconds each. Instead
    :class:`ColumnLocator` builds, per zone, a table with one entry per 15-minute slice of epoch
    time across the report range, holding the column that slice belongs to. Every offset in use
    today is a multiple of 15 minutes and zones change offset on quarter hours, so a slice never
    straddles a local midnight or a transition; the rare slice that does (historic offsets such as
    Monrovia's -0:44:30) is marked and its worklogs are converted exactly. A worklog then costs one
    integer division and one list lookup.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator
from typing import Final

from smart_timesheet_plugin.params import TZ_AUTHOR, TZ_VIEWER, ReportParams, is_known_zone
from smart_timesheet_plugin.report.periods import report_columns

#: Length of one slice of a slice table, in epoch milliseconds.
SLICE_MS: Final = 900_000
#: Slice table entry of a slice outside the report range.
OUTSIDE: Final = -1
#: Slice table entry of a slice only an exact conversion can place
#: (see :meth:`ColumnLocator.slice_table`).
CONVERT_EXACTLY: Final = -2

_SECONDS_PER_DAY: Final = 86_400
_SLICE_SECONDS: Final = SLICE_MS // 1000
_SLICES_PER_DAY: Final = _SECONDS_PER_DAY // _SLICE_SECONDS
# Offsets stay within UTC-12..UTC+14 (historic local mean times within about 16 hours), so two days
# of margin around the range hold every instant that any zone places inside it.
_MARGIN_DAYS: Final = 2
# Zone offsets are sampled hourly and each change is then located to the second; no zone changes
# its offset twice within one hour.
_OFFSET_SAMPLE_SECONDS: Final = 3600
_EPOCH_ORDINAL: Final = datetime.date(1970, 1, 1).toordinal()
_ONE_SECOND: Final = datetime.timedelta(seconds=1)


class _ZoneTables(dict[str | None, list[int]]):
    """Slice tables by author zone, built on first use; every key maps to one table unless the
    report counts days in each author's zone."""

    def __init__(self, locator: ColumnLocator) -> None:
        super().__init__()
        self._locator = locator

    def __missing__(self, author_tz: str | None) -> list[int]:
        table = self._locator.slice_table(self._locator.zone_name(author_tz))
        self[author_tz] = table
        return table


class ColumnLocator:
    """Finds the report column a worklog falls in, from its started instant and author's zone.

    Shared by the grid and the cell detail, so a cell's detail always lists exactly the worklogs
    summed in it.
    """

    def __init__(self, params: ReportParams, *, viewer_tz: str) -> None:
        """Prepare lookups for ``params``; ``viewer_tz`` is the viewer's IANA zone.

        Raises :class:`ValueError` when ``viewer_tz`` is not a known zone.
        """
        if not is_known_zone(viewer_tz):
            raise ValueError(f"unknown viewer time zone: {viewer_tz!r}")
        self.params = params
        self.viewer_tz = viewer_tz
        self.columns = report_columns(params)
        self._first_day = params.date_from.toordinal() - _EPOCH_ORDINAL
        self._day_columns: list[int] = []
        for index, column in enumerate(self.columns):
            span = (column.last_day - column.first_day).days + 1
            self._day_columns.extend([index] * span)
        #: Index of the first slice of the tables, counted in slices from the epoch.
        self.first_slice = (self._first_day - _MARGIN_DAYS) * _SLICES_PER_DAY
        #: Number of entries of every slice table.
        self.slice_count = (params.day_count + 2 * _MARGIN_DAYS) * _SLICES_PER_DAY
        self._tables_by_zone: dict[str, list[int]] = {}
        #: Slice table per author zone (``None`` for hidden zones); see :meth:`slice_table`.
        self.tables = _ZoneTables(self)

    @property
    def timezone(self) -> str:
        """The zone the report counts days in, or ``"author"`` when each author's zone counts."""
        if self.params.tz == TZ_AUTHOR:
            return TZ_AUTHOR
        if self.params.tz == TZ_VIEWER:
            return self.viewer_tz
        return self.params.tz

    def zone_name(self, author_tz: str | None) -> str:
        """The zone whose calendar decides the day of a worklog written by an author in
        ``author_tz``."""
        if self.params.tz != TZ_AUTHOR:
            return self.timezone
        if author_tz is not None and is_known_zone(author_tz):
            return author_tz
        return self.viewer_tz

    def column_index(self, started_ms: int, author_tz: str | None) -> int | None:
        """Index in :attr:`columns` of the day a worklog started on, ``None`` outside the range."""
        slice_index = started_ms // SLICE_MS - self.first_slice
        if not 0 <= slice_index < self.slice_count:
            return None
        index = self.tables[author_tz][slice_index]
        if index == CONVERT_EXACTLY:
            index = self.exact_column_index(started_ms, author_tz)
        return None if index == OUTSIDE else index

    def exact_column_index(self, started_ms: int, author_tz: str | None) -> int:
        """Column index by a full zoneinfo conversion; ``-1`` outside the range."""
        zone = zoneinfo.ZoneInfo(self.zone_name(author_tz))
        local = datetime.datetime.fromtimestamp(started_ms // 1000, zone)
        return self._column_of_day(local.toordinal() - _EPOCH_ORDINAL)

    def local_start(self, started_ms: int, author_tz: str | None) -> datetime.datetime:
        """The started instant as an aware datetime in the zone that decides its day."""
        zone = zoneinfo.ZoneInfo(self.zone_name(author_tz))
        whole_seconds = datetime.datetime.fromtimestamp(started_ms // 1000, zone)
        # replace() keeps `fold`, which tells the two occurrences of a repeated hour apart;
        # adding a timedelta would reset it.
        return whole_seconds.replace(microsecond=started_ms % 1000 * 1000)

    def slice_table(self, zone_name: str) -> list[int]:
        """Column index per 15-minute slice of the report window in ``zone_name``.

        Entry ``i`` covers epoch seconds from ``(first_slice + i) * 900`` for 900 seconds and holds
        a column index, :data:`OUTSIDE` when the slice lies outside the range, or
        :data:`CONVERT_EXACTLY` when a local midnight or an offset change falls inside the slice
        and only an exact conversion can tell.
        """
        table = self._tables_by_zone.get(zone_name)
        if table is None:
            table = self._build_slice_table(zoneinfo.ZoneInfo(zone_name))
            self._tables_by_zone[zone_name] = table
        return table

    def _column_of_day(self, day_number: int) -> int:
        offset = day_number - self._first_day
        if 0 <= offset < len(self._day_columns):
            return self._day_columns[offset]
        return OUTSIDE

    def _build_slice_table(self, zone: zoneinfo.ZoneInfo) -> list[int]:
        table = [CONVERT_EXACTLY] * self.slice_count
        window_start = self.first_slice * _SLICE_SECONDS
        window_end = window_start + self.slice_count * _SLICE_SECONDS
        for segment_start, segment_end, offset in _constant_offset_segments(
            zone, window_start, window_end
        ):
            first_day = (segment_start + offset) // _SECONDS_PER_DAY
            last_day = (segment_end - 1 + offset) // _SECONDS_PER_DAY
            for day_number in range(first_day, last_day + 1):
                # The UTC seconds during which this zone is on this day within this segment;
                # only slices lying wholly inside get a column.
                start = max(segment_start, day_number * _SECONDS_PER_DAY - offset)
                end = min(segment_end, (day_number + 1) * _SECONDS_PER_DAY - offset)
                low = -(-start // _SLICE_SECONDS) - self.first_slice
                high = end // _SLICE_SECONDS - self.first_slice
                if high > low:
                    table[low:high] = [self._column_of_day(day_number)] * (high - low)
        return table


def _utc_offset_seconds(zone: zoneinfo.ZoneInfo, epoch_seconds: int) -> int:
    offset = datetime.datetime.fromtimestamp(epoch_seconds, zone).utcoffset()
    assert offset is not None
    return offset // _ONE_SECOND


def _constant_offset_segments(
    zone: zoneinfo.ZoneInfo, start: int, end: int
) -> Iterator[tuple[int, int, int]]:
    """Split epoch seconds ``[start, end)`` into ``(segment_start, segment_end, offset)`` runs."""
    segment_start = position = start
    offset = _utc_offset_seconds(zone, start)
    while position < end - 1:
        sample = min(position + _OFFSET_SAMPLE_SECONDS, end - 1)
        if _utc_offset_seconds(zone, sample) == offset:
            position = sample
            continue
        # The offset changed after `position`: bisect to the first second on another offset, end
        # the segment there and go on from it (a second change before `sample` is found next).
        low, high = position, sample
        while high - low > 1:
            middle = (low + high) // 2
            if _utc_offset_seconds(zone, middle) == offset:
                low = middle
            else:
                high = middle
        yield segment_start, high, offset
        segment_start = position = high
        offset = _utc_offset_seconds(zone, high)
    yield segment_start, end, offset
