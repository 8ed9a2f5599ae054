"""The report engine's typed records: what goes in (:class:`Worklog`) and what comes out.

A :class:`Report` is the whole answer to one
:class:`~smart_timesheet_plugin.params.ReportParams`: its columns (:class:`Column`), its rows
(:class:`ReportRow`) with their cells and totals, and the column totals.
:class:`WorklogDetail` is one worklog of a cell, as the cell detail shows it. Every record is
frozen, so the engine's output can be handed to any renderer (JSON, CSV, XLSX) without a copy,
and every duration is integer seconds.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from smart_timesheet_plugin.params import ReportParams

#: A row's identity: one value per grouping level (see :class:`ReportRow`).
RowKey = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class Worklog:
    """One Jira worklog with the issue facts the report groups by.

    ``started_ms`` is the instant the work started, as epoch milliseconds; ``seconds`` the time
    spent. ``author_tz`` is the author's IANA zone, or ``None`` when the profile hides it.
    ``comment`` is plain text (``""`` when there is none or it was not asked for).
    ``parent_key`` and ``parent_summary`` are ``None`` for issues without a parent. The issue's
    components, fix versions, labels, sprints and values of the report's custom field are sorted
    names, empty when the issue has none or the report did not ask for them.
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
    components: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    sprints: tuple[str, ...] = ()
    field_values: tuple[str, ...] = ()

    # A list field's row key: its names joined in order (the reader sorts them), None when empty,
    # so that an issue's worklogs land in exactly one row and totals never count them twice.
    @property
    def component_key(self) -> str | None:
        """The row key of the issue's components (``None``: none)."""
        return _joined(self.components)

    @property
    def fix_version_key(self) -> str | None:
        """The row key of the issue's fix versions (``None``: none)."""
        return _joined(self.fix_versions)

    @property
    def label_key(self) -> str | None:
        """The row key of the issue's labels (``None``: none)."""
        return _joined(self.labels)

    @property
    def sprint_key(self) -> str | None:
        """The row key of the issue's sprints (``None``: none)."""
        return _joined(self.sprints)

    @property
    def field_key(self) -> str | None:
        """The row key of the issue's values of the report's custom field (``None``: none)."""
        return _joined(self.field_values)


def _joined(names: tuple[str, ...]) -> str | None:
    return ", ".join(names) if names else None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the grid: a day, a week or a month.

    ``key`` is ``YYYY-MM-DD`` for days, the week's first day for weeks, ``YYYY-MM`` for months.
    ``first_day`` and ``last_day`` are the days of the report range the column covers (a week or
    month at either end of the range may be cut short); ``clipped`` says it was, and its label
    then names the days it holds rather than the whole period.
    """

    key: str
    label: str
    first_day: datetime.date
    last_day: datetime.date
    clipped: bool = False


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One row of the grid.

    ``key`` holds one value per grouping level: accountId for ``user``, project key, issue key,
    parent key (``None`` for no parent) or issue type name; ``labels`` the matching display texts.
    A ``subtotal`` row of a two-level report has only the first-level value and stands right
    before its children. ``cells`` maps a column key to seconds, zero cells left out; ``total``
    is the row's sum. A person's row of a report with expected hours also has ``expected``
    (seconds by column key, every column present) and ``expected_total``; other rows have
    ``None``.
    """

    key: RowKey
    labels: tuple[str, ...]
    cells: Mapping[str, int]
    total: int
    subtotal: bool = False
    expected: Mapping[str, int] | None = None
    expected_total: int | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A finished grid. ``timezone`` is the zone days were counted in, or ``"author"``.

    ``rows`` are in display order. ``column_totals`` has an entry (possibly zero) for every
    column, in column order; ``total`` is the grand total. With expected hours
    (``params.expected``), ``expected_totals`` and ``expected_total`` sum the people's expected
    seconds per column and overall; otherwise they are ``None``.
    """

    params: ReportParams
    timezone: str
    columns: tuple[Column, ...]
    rows: tuple[ReportRow, ...]
    column_totals: Mapping[str, int]
    total: int
    expected_totals: Mapping[str, int] | None = None
    expected_total: int | None = None


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
