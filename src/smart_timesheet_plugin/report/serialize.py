"""The report and the cell detail as the JSON API returns them (docs/timesheet-api.md).

The shapes here are a public contract: keys, their order and their values stay as documented.
The exports do not read this JSON back; they render the typed
:class:`~smart_timesheet_plugin.report.model.Report` themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

from smart_timesheet_plugin.report.model import Report, ReportRow, WorklogDetail


class ColumnJson(TypedDict):
    """A column: ``key`` (``YYYY-MM-DD`` or ``YYYY-MM``) and ``label``."""

    key: str
    label: str


class RowJson(TypedDict):
    """A row: ``key`` and ``labels`` per grouping level, non-zero ``cells`` by column key and
    ``total``; a subtotal row of a two-level report also has ``"subtotal": true``."""

    key: list[str | None]
    labels: list[str]
    cells: dict[str, int]
    total: int
    subtotal: NotRequired[bool]
    expected: NotRequired[dict[str, int]]
    expectedTotal: NotRequired[int]


#: The body of ``GET /timesheet/api/report`` (written functionally: ``from`` is a keyword).
ReportJson = TypedDict(
    "ReportJson",
    {
        "from": str,
        "to": str,
        "timezone": str,
        "columns": list[ColumnJson],
        "rows": list[RowJson],
        "totals": dict[str, int],
        "total": int,
        "expectedTotals": NotRequired[dict[str, int]],
        "expectedTotal": NotRequired[int],
    },
)


class WorklogJson(TypedDict):
    """One worklog of a cell: issue key, author accountId and name, ``started`` (ISO 8601 with
    the offset of the zone that chose its day), that ``day``, seconds and comment text."""

    issue: str
    author: str
    authorName: str
    started: str
    day: str
    seconds: int
    comment: str


class DetailJson(TypedDict):
    """The body of ``GET /timesheet/api/worklogs``."""

    worklogs: list[WorklogJson]


def report_to_json(report: Report) -> ReportJson:
    """The report as the JSON API returns it.

    Shape: ``{"from", "to", "timezone", "columns": [{"key", "label"}], "rows": [{"key", "labels",
    "cells", "total"}], "totals", "total"}``; subtotal rows of two-level reports also carry
    ``"subtotal": true``. With expected hours, each person's row also has ``"expected"`` (seconds
    by column key, zero columns left out) and ``"expectedTotal"``, and the report ends with
    ``"expectedTotals"`` and ``"expectedTotal"``.
    """
    body: ReportJson = {
        "from": report.params.date_from.isoformat(),
        "to": report.params.date_to.isoformat(),
        "timezone": report.timezone,
        "columns": [{"key": column.key, "label": column.label} for column in report.columns],
        "rows": [_row_to_json(row) for row in report.rows],
        "totals": dict(report.column_totals),
        "total": report.total,
    }
    if report.expected_totals is not None and report.expected_total is not None:
        body["expectedTotals"] = _non_zero(report.expected_totals)
        body["expectedTotal"] = report.expected_total
    return body


def _non_zero(seconds: Mapping[str, int]) -> dict[str, int]:
    return {key: value for key, value in seconds.items() if value}


def _row_to_json(row: ReportRow) -> RowJson:
    item: RowJson = {
        "key": list(row.key),
        "labels": list(row.labels),
        "cells": dict(row.cells),
        "total": row.total,
    }
    if row.subtotal:
        item["subtotal"] = True
    if row.expected is not None and row.expected_total is not None:
        item["expected"] = _non_zero(row.expected)
        item["expectedTotal"] = row.expected_total
    return item


def detail_to_json(details: Sequence[WorklogDetail]) -> DetailJson:
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
