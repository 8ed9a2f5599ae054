"""The timesheet report engine: worklogs and parameters in, a grid of seconds out.

Everything here is pure: no I/O, no clock. The fetcher turns Jira's JSON into :class:`Worklog`
records (with :func:`parse_jira_datetime` and :func:`adf_to_text`), then the views call
:func:`build_report` / :func:`report_to_json` for the grid and :func:`worklogs_in_cell` /
:func:`detail_to_json` for the worklogs behind one cell.

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
import operator
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from smart_timesheet_plugin.params import (
    TZ_AUTHOR,
    TZ_VIEWER,
    GroupDimension,
    ReportParams,
    is_known_zone,
    week_start_of,
)

_SECONDS_PER_DAY: Final = 86_400
_SLICE_SECONDS: Final = 900
_SLICE_MS: Final = _SLICE_SECONDS * 1000
_SLICES_PER_DAY: Final = _SECONDS_PER_DAY // _SLICE_SECONDS
# Offsets stay within UTC-12..UTC+14 (historic local mean times within about 16 hours), so two days
# of margin around the range hold every instant that any zone places inside it.
_MARGIN_DAYS: Final = 2
# Zone offsets are sampled hourly and each change is then located to the second; no zone changes
# its offset twice within one hour.
_OFFSET_SAMPLE_SECONDS: Final = 3600
_EPOCH_ORDINAL: Final = datetime.date(1970, 1, 1).toordinal()
_EPOCH_UTC: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_ONE_MS: Final = datetime.timedelta(milliseconds=1)
_ONE_SECOND: Final = datetime.timedelta(seconds=1)

# Table entries besides column indexes.
_OUTSIDE: Final = -1
_CONVERT_EXACTLY: Final = -2

_WEEKDAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip

#: Label of the row holding worklogs of issues without a parent.
NO_PARENT_LABEL: Final = "No parent"

RowKey = tuple[str | None, ...]


# ---------------------------------------------------------------------------------------------
# Input records and their parsing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Worklog:
    """One Jira worklog with the issue facts the report groups by.

    ``started_ms`` is Jira's ``started`` as epoch milliseconds (see :func:`parse_jira_datetime`),
    ``seconds`` is ``timeSpentSeconds``, ``author_tz`` the author's IANA zone or ``None`` when the
    profile hides it, ``comment`` plain text (see :func:`adf_to_text`). ``parent_key`` and
    ``parent_summary`` are ``None`` for issues without a parent.
    """

    id: str
    issue_key: str
    issue_summary: str
    issue_type: str
    project_key: str
    project_name: str
    parent_key: str | None
    parent_summary: str | None
    author_id: str
    author_name: str
    author_tz: str | None
    started_ms: int
    seconds: int
    comment: str


def parse_jira_datetime(value: str) -> int:
    """Epoch milliseconds of a Jira timestamp such as ``2021-01-17T12:34:00.000+0000``.

    Offsets written ``+0000``, ``+00:00`` or ``Z`` are accepted. A timestamp without an offset is
    ambiguous and raises :class:`ValueError`, as does anything that is not a timestamp.
    """
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a UTC offset: {value!r}")
    return (moment - _EPOCH_UTC) // _ONE_MS


# Inline ADF nodes that stand for a piece of text, and the attribute holding it.
_ADF_INLINE_TEXT_ATTRIBUTES: Final[Mapping[str, tuple[str, ...]]] = {
    "mention": ("text",),
    "emoji": ("text", "shortName"),
    "status": ("text",),
    "inlineCard": ("url",),
    "blockCard": ("url",),
    "embedCard": ("url",),
}
_ADF_BLOCK_END: Final = object()


def adf_to_text(doc: object) -> str:
    """Plain text of an Atlassian Document Format document (API v3 worklog comments).

    Block nodes (paragraphs, headings, list items, code blocks...) become lines joined with a
    newline; ``hardBreak`` is a newline; mentions, emoji, statuses and cards give their text;
    ``date`` nodes give their ISO date. Unknown nodes are read through their content, malformed
    parts are skipped. A plain string (API v2) is returned as it is, ``None`` as ``""``.
    """
    if isinstance(doc, str):
        return doc
    lines: list[str] = []
    line: list[str] = []
    # Depth-first walk with an explicit stack, so deeply nested documents cannot exhaust recursion.
    stack: list[object] = [doc]
    while stack:
        node = stack.pop()
        if node is _ADF_BLOCK_END:
            if line:
                lines.append("".join(line))
                line.clear()
            continue
        if not isinstance(node, Mapping):
            continue
        node_type = node.get("type")
        if node_type == "text":
            text = node.get("text")
            if isinstance(text, str):
                line.append(text)
        elif node_type == "hardBreak":
            line.append("\n")
        elif node_type == "date":
            line.append(_adf_date(node.get("attrs")))
        elif isinstance(node_type, str) and node_type in _ADF_INLINE_TEXT_ATTRIBUTES:
            line.append(_adf_attribute(node.get("attrs"), _ADF_INLINE_TEXT_ATTRIBUTES[node_type]))
        else:
            content = node.get("content")
            if isinstance(content, list):
                # Any other node with content is treated as a block: it ends the current line.
                stack.append(_ADF_BLOCK_END)
                stack.extend(reversed(content))
                stack.append(_ADF_BLOCK_END)
    if line:
        lines.append("".join(line))
    return "\n".join(lines)


def _adf_attribute(attrs: object, names: tuple[str, ...]) -> str:
    if isinstance(attrs, Mapping):
        for name in names:
            value = attrs.get(name)
            if isinstance(value, str) and value:
                return value
    return ""


def _adf_date(attrs: object) -> str:
    timestamp = attrs.get("timestamp") if isinstance(attrs, Mapping) else None
    try:
        milliseconds = int(str(timestamp))
        return (_EPOCH_UTC + milliseconds * _ONE_MS).date().isoformat()
    except (ValueError, OverflowError):
        return ""


# ---------------------------------------------------------------------------------------------
# Columns and the zone-aware column lookup
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the grid: a day, a week or a month.

    ``key`` is ``YYYY-MM-DD`` for days, the week's first day for weeks, ``YYYY-MM`` for months.
    ``first_day`` and ``last_day`` are the days of the report range the column covers (a week or
    month at either end of the range may be cut short).
    """

    key: str
    label: str
    first_day: datetime.date
    last_day: datetime.date


def report_columns(params: ReportParams) -> tuple[Column, ...]:
    """Every column of the report range in order, empty ones included."""
    columns: list[Column] = []
    day = params.date_from
    one_day = datetime.timedelta(days=1)
    while day <= params.date_to:
        if params.columns == "day":
            end = day
            column = Column(day.isoformat(), _day_label(day), day, day)
        elif params.columns == "week":
            start = week_start_of(day, params.week_start)
            end = start + datetime.timedelta(days=6)
            label = _week_label(start, iso_numbering=params.week_start == "monday")
            column = Column(start.isoformat(), label, day, min(end, params.date_to))
        else:
            start = day.replace(day=1)
            end = (start + datetime.timedelta(days=32)).replace(day=1) - one_day
            label = f"{_MONTH_NAMES[start.month - 1]} {start.year}"
            column = Column(
                f"{start.year:04d}-{start.month:02d}", label, day, min(end, params.date_to)
            )
        columns.append(column)
        day = end + one_day
    return tuple(columns)


def _day_label(day: datetime.date) -> str:
    return f"{_WEEKDAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"


def _week_label(first_day: datetime.date, *, iso_numbering: bool) -> str:
    day_and_month = f"{first_day.day} {_MONTH_NAMES[first_day.month - 1]}"
    if iso_numbering:
        return f"W{first_day.isocalendar().week:02d} {day_and_month}"
    return day_and_month


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

    Shared by :func:`build_report` and :func:`worklogs_in_cell`, so a cell's detail always lists
    exactly the worklogs summed in it.
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
        self.first_slice = (self._first_day - _MARGIN_DAYS) * _SLICES_PER_DAY
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
        slice_index = started_ms // _SLICE_MS - self.first_slice
        if not 0 <= slice_index < self.slice_count:
            return None
        index = self.tables[author_tz][slice_index]
        if index == _CONVERT_EXACTLY:
            index = self.exact_column_index(started_ms, author_tz)
        return None if index == _OUTSIDE else index

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
        a column index, ``-1`` when the slice lies outside the range, or ``-2`` when a local
        midnight or an offset change falls inside the slice and only an exact conversion can tell.
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
        return _OUTSIDE

    def _build_slice_table(self, zone: zoneinfo.ZoneInfo) -> list[int]:
        table = [_CONVERT_EXACTLY] * self.slice_count
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


# ---------------------------------------------------------------------------------------------
# The grid
# ---------------------------------------------------------------------------------------------

_KEY_ATTRIBUTES: Final[Mapping[GroupDimension, str]] = {
    "user": "author_id",
    "project": "project_key",
    "issue": "issue_key",
    "parent": "parent_key",
    "issuetype": "issue_type",
}


def group_label(dimension: GroupDimension, worklog: Worklog) -> str:
    """The display text of ``worklog``'s value for one grouping dimension."""
    if dimension == "user":
        return worklog.author_name or worklog.author_id
    if dimension == "project":
        if worklog.project_name:
            return f"{worklog.project_key}: {worklog.project_name}"
        return worklog.project_key
    if dimension == "issue":
        return f"{worklog.issue_key} {worklog.issue_summary}".rstrip()
    if dimension == "parent":
        if worklog.parent_key is None:
            return NO_PARENT_LABEL
        return f"{worklog.parent_key} {worklog.parent_summary or ''}".rstrip()
    return worklog.issue_type


def group_key(params: ReportParams, worklog: Worklog) -> RowKey:
    """The row key of ``worklog``: one value per grouping level (see :class:`ReportRow`)."""
    return tuple(getattr(worklog, _KEY_ATTRIBUTES[dimension]) for dimension in params.group)


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One row of the grid.

    ``key`` holds one value per grouping level: accountId for ``user``, project key, issue key,
    parent key (``None`` for no parent) or issue type name. A ``subtotal`` row of a two-level
    report has only the first-level value and stands right before its children. ``cells`` maps a
    column key to seconds, zero cells left out.
    """

    key: RowKey
    labels: tuple[str, ...]
    cells: Mapping[str, int]
    total: int
    subtotal: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """A finished grid. ``timezone`` is the zone days were counted in, or ``"author"``.

    ``column_totals`` has an entry (possibly zero) for every column; ``total`` is the grand total.
    All durations are integer seconds.
    """

    params: ReportParams
    timezone: str
    columns: tuple[Column, ...]
    rows: tuple[ReportRow, ...]
    column_totals: Mapping[str, int]
    total: int


def build_report(worklogs: Iterable[Worklog], params: ReportParams, *, viewer_tz: str) -> Report:
    """Sum worklogs into the grid ``params`` asks for.

    ``viewer_tz`` is the viewer's IANA zone (the caller substitutes ``"UTC"`` when Jira gives
    none). Worklogs outside the range or the ``project``/``user`` filters are left out, so the
    fetcher may hand over more than needed. Raises :class:`ValueError` for an unknown
    ``viewer_tz``.
    """
    locator = ColumnLocator(params, viewer_tz=viewer_tz)
    sums, examples = _sum_cells(_apply_filters(worklogs, params), params, locator)
    column_keys = [column.key for column in locator.columns]
    # Column-wise sums through zip keep this pass over rows x columns in C.
    column_sums = [sum(column) for column in zip(*sums.values(), strict=True)]
    if not column_sums:
        column_sums = [0] * len(column_keys)
    leaf_rows = [
        _make_row(key, values, params, column_keys, examples[key]) for key, values in sums.items()
    ]
    if len(params.group) == 1:
        rows = _sorted_rows(leaf_rows, params)
    else:
        rows = _nest_under_subtotals(leaf_rows, list(sums.values()), params, column_keys, examples)
    return Report(
        params=params,
        timezone=locator.timezone,
        columns=locator.columns,
        rows=tuple(rows),
        column_totals=dict(zip(column_keys, column_sums, strict=True)),
        total=sum(column_sums),
    )


def _make_row(
    key: RowKey,
    values: list[int],
    params: ReportParams,
    column_keys: list[str],
    example: Worklog,
    *,
    subtotal: bool = False,
) -> ReportRow:
    """A row from its seconds per column; ``example`` is any worklog of the row, for labels."""
    labels = tuple(group_label(dimension, example) for dimension in params.group[: len(key)])
    cells = {
        column: seconds for column, seconds in zip(column_keys, values, strict=True) if seconds
    }
    return ReportRow(key, labels, cells, sum(values), subtotal)


def _nest_under_subtotals(
    leaf_rows: list[ReportRow],
    leaf_values: list[list[int]],
    params: ReportParams,
    column_keys: list[str],
    examples: Mapping[RowKey, Worklog],
) -> list[ReportRow]:
    """Two-level rows: each first-level subtotal followed by its children, both sorted."""
    children: dict[RowKey, list[ReportRow]] = {}
    subtotal_values: dict[RowKey, list[int]] = {}
    subtotal_examples: dict[RowKey, Worklog] = {}
    for row, values in zip(leaf_rows, leaf_values, strict=True):
        parent_key = row.key[:1]
        children.setdefault(parent_key, []).append(row)
        accumulated = subtotal_values.get(parent_key)
        if accumulated is None:
            subtotal_values[parent_key] = list(values)
            subtotal_examples[parent_key] = examples[row.key]
        else:
            accumulated[:] = map(operator.add, accumulated, values)
    subtotals = [
        _make_row(key, values, params, column_keys, subtotal_examples[key], subtotal=True)
        for key, values in subtotal_values.items()
    ]
    rows: list[ReportRow] = []
    for subtotal in _sorted_rows(subtotals, params):
        rows.append(subtotal)
        rows.extend(_sorted_rows(children[subtotal.key], params))
    return rows


def _apply_filters(worklogs: Iterable[Worklog], params: ReportParams) -> Iterable[Worklog]:
    # Jira's search selects issues, not worklogs: an issue matched by "worklogAuthor = X" brings
    # every author's worklogs along, so the filters are applied again here, per worklog.
    if params.projects:
        projects = frozenset(params.projects)
        worklogs = (worklog for worklog in worklogs if worklog.project_key in projects)
    if params.users:
        users = frozenset(params.users)
        worklogs = (worklog for worklog in worklogs if worklog.author_id in users)
    return worklogs


def _sum_cells(
    worklogs: Iterable[Worklog], params: ReportParams, locator: ColumnLocator
) -> tuple[dict[RowKey, list[int]], dict[RowKey, Worklog]]:
    """Seconds per column for each row key, and the first worklog seen per key (for labels).

    This loop is the engine's hot path: it stays flat, with everything it needs bound locally.
    """
    key_of = operator.attrgetter(*(_KEY_ATTRIBUTES[dimension] for dimension in params.group))
    single_level = len(params.group) == 1
    column_count = len(locator.columns)
    first_slice = locator.first_slice
    slice_count = locator.slice_count
    tables = locator.tables
    exact_column_index = locator.exact_column_index
    sums: dict[Any, list[int]] = {}
    examples: dict[Any, Worklog] = {}
    for worklog in worklogs:
        slice_index = worklog.started_ms // _SLICE_MS - first_slice
        if not 0 <= slice_index < slice_count:
            continue
        column = tables[worklog.author_tz][slice_index]
        if column < 0:
            if column == _OUTSIDE:
                continue
            column = exact_column_index(worklog.started_ms, worklog.author_tz)
            if column < 0:
                continue
        key = key_of(worklog)
        values = sums.get(key)
        if values is None:
            values = sums[key] = [0] * column_count
            examples[key] = worklog
        values[column] += worklog.seconds
    if single_level:
        # attrgetter with one name gives the bare value; row keys are always tuples.
        return (
            {(key,): values for key, values in sums.items()},
            {(key,): worklog for key, worklog in examples.items()},
        )
    return sums, examples


def _sorted_rows(rows: list[ReportRow], params: ReportParams) -> list[ReportRow]:
    def by_label(row: ReportRow) -> tuple[str, str, tuple[str, ...]]:
        label = row.labels[-1]
        return label.casefold(), label, tuple(part or "" for part in row.key)

    ordered = sorted(rows, key=by_label)
    if params.sort == "total":
        # A stable sort on the total keeps label order among equal totals.
        ordered.sort(key=lambda row: row.total, reverse=True)
    return ordered


def report_to_json(report: Report) -> dict[str, Any]:
    """The report as the JSON API returns it (and as the exports read it).

    Shape: ``{"from", "to", "timezone", "columns": [{"key", "label"}], "rows": [{"key", "labels",
    "cells", "total"}], "totals", "total"}``; subtotal rows of two-level reports also carry
    ``"subtotal": true``.
    """
    rows: list[dict[str, Any]] = []
    for row in report.rows:
        item: dict[str, Any] = {
            "key": list(row.key),
            "labels": list(row.labels),
            "cells": dict(row.cells),
            "total": row.total,
        }
        if row.subtotal:
            item["subtotal"] = True
        rows.append(item)
    return {
        "from": report.params.date_from.isoformat(),
        "to": report.params.date_to.isoformat(),
        "timezone": report.timezone,
        "columns": [{"key": column.key, "label": column.label} for column in report.columns],
        "rows": rows,
        "totals": dict(report.column_totals),
        "total": report.total,
    }


# ---------------------------------------------------------------------------------------------
# The worklogs behind one cell
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorklogDetail:
    """A worklog as the cell detail shows it.

    ``started`` is ISO 8601 with the offset of the zone that decided its ``day``.
    """

    worklog_id: str
    issue_key: str
    author_id: str
    author_name: str
    started_ms: int
    started: str
    day: str
    seconds: int
    comment: str


def worklogs_in_cell(
    worklogs: Iterable[Worklog],
    params: ReportParams,
    *,
    viewer_tz: str,
    row_key: Sequence[str | None],
    column_key: str | None,
) -> list[WorklogDetail]:
    """The worklogs summed in one cell of the report ``params`` describes, oldest first.

    ``row_key`` is a row's ``key``; on a two-level report a one-value key means that subtotal row,
    and an empty key means the column totals row. ``column_key`` ``None`` means every column (a
    row's total). Raises :class:`ValueError` when ``column_key`` is not a column of the report or
    ``row_key`` has more values than the report has levels.
    """
    locator = ColumnLocator(params, viewer_tz=viewer_tz)
    column_index = next(
        (index for index, column in enumerate(locator.columns) if column.key == column_key), None
    )
    if column_key is not None and column_index is None:
        raise ValueError(f"{column_key!r} is not a column of this report")
    wanted = tuple(row_key)
    if len(wanted) > len(params.group):
        raise ValueError(f"row key {list(wanted)!r} has more values than the report has levels")
    details: list[WorklogDetail] = []
    for worklog in _apply_filters(worklogs, params):
        if group_key(params, worklog)[: len(wanted)] != wanted:
            continue
        found = locator.column_index(worklog.started_ms, worklog.author_tz)
        if found is None or (column_index is not None and found != column_index):
            continue
        local = locator.local_start(worklog.started_ms, worklog.author_tz)
        details.append(
            WorklogDetail(
                worklog_id=worklog.id,
                issue_key=worklog.issue_key,
                author_id=worklog.author_id,
                author_name=worklog.author_name,
                started_ms=worklog.started_ms,
                started=local.isoformat(timespec="milliseconds"),
                day=local.date().isoformat(),
                seconds=worklog.seconds,
                comment=worklog.comment,
            )
        )
    details.sort(key=lambda detail: (detail.started_ms, detail.issue_key, detail.worklog_id))
    return details


def detail_to_json(details: Sequence[WorklogDetail]) -> dict[str, Any]:
    """The cell detail as the JSON API returns it: ``{"worklogs": [{"issue", "author",
    "authorName", "started", "day", "seconds", "comment"}]}`` in the given order."""
    return {
        "worklogs": [
            {
                "issue": detail.issue_key,
                "author": detail.author_id,
                "authorName": detail.author_name,
                "started": detail.started,
                "day": detail.day,
                "seconds": detail.seconds,
                "comment": detail.comment,
            }
            for detail in details
        ]
    }
