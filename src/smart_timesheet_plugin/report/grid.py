"""The grid: worklogs summed into rows and columns, with subtotals, totals and row order.

:func:`build_report` places each worklog with the
:class:`~smart_timesheet_plugin.report.locator.ColumnLocator` (the day rule), adds its seconds to
its row's cell, then makes the rows: one level sorted by label or total, or two levels with each
first-level subtotal right before its sorted children. Column totals count each worklog once.
With a ``pivot`` the columns are that dimension's values (users or projects) over the whole range.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import Any

from smart_timesheet_plugin.params import ReportParams
from smart_timesheet_plugin.report.grouping import (
    KEY_ATTRIBUTES,
    apply_filters,
    group_key,
    group_label,
)
from smart_timesheet_plugin.report.locator import OUTSIDE, SLICE_MS, ColumnLocator
from smart_timesheet_plugin.report.model import Column, Report, ReportRow, RowKey, Worklog


def build_report(worklogs: Iterable[Worklog], params: ReportParams, *, viewer_tz: str) -> Report:
    """Sum worklogs into the grid ``params`` asks for.

    ``viewer_tz`` is the viewer's IANA zone (the caller substitutes ``"UTC"`` when Jira gives
    none). Worklogs outside the range or the ``project``/``user`` filters are left out, so the
    fetcher may hand over more than needed. Raises :class:`ValueError` for an unknown
    ``viewer_tz``.
    """
    locator = ColumnLocator(params, viewer_tz=viewer_tz)
    if params.pivot is not None:
        columns, sums, examples = _sum_pivot(apply_filters(worklogs, params), params, locator)
    else:
        columns = locator.columns
        sums, examples = _sum_cells(apply_filters(worklogs, params), params, locator)
    column_keys = [column.key for column in columns]
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
        columns=columns,
        rows=tuple(rows),
        column_totals=dict(zip(column_keys, column_sums, strict=True)),
        total=sum(column_sums),
    )


def _sum_pivot(
    worklogs: Iterable[Worklog], params: ReportParams, locator: ColumnLocator
) -> tuple[tuple[Column, ...], dict[RowKey, list[int]], dict[RowKey, Worklog]]:
    """A pivot's columns (the pivot dimension's values in label order) and each row's seconds
    per value, over the whole range: the day rule still decides what lies in the range."""
    assert params.pivot is not None
    pivot = params.pivot
    attribute = KEY_ATTRIBUTES[pivot]
    placed: list[tuple[Worklog, str]] = []
    value_examples: dict[str, Worklog] = {}
    for worklog in worklogs:
        if locator.column_index(worklog.started_ms, worklog.author_tz) is None:
            continue
        value = getattr(worklog, attribute)
        value_examples.setdefault(value, worklog)
        placed.append((worklog, value))
    ordered = sorted(
        value_examples,
        key=lambda value: (group_label(pivot, value_examples[value]).casefold(), value),
    )
    columns = tuple(
        Column(value, group_label(pivot, value_examples[value]), params.date_from, params.date_to)
        for value in ordered
    )
    index = {value: position for position, value in enumerate(ordered)}
    sums: dict[RowKey, list[int]] = {}
    examples: dict[RowKey, Worklog] = {}
    for worklog, value in placed:
        key = group_key(params, worklog)
        values = sums.get(key)
        if values is None:
            values = sums[key] = [0] * len(ordered)
            examples[key] = worklog
        values[index[value]] += worklog.seconds
    return columns, sums, examples


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


def _sum_cells(
    worklogs: Iterable[Worklog], params: ReportParams, locator: ColumnLocator
) -> tuple[dict[RowKey, list[int]], dict[RowKey, Worklog]]:
    """Seconds per column for each row key, and the first worklog seen per key (for labels).

    This loop is the engine's hot path: it stays flat, with everything it needs bound locally.
    """
    key_of = operator.attrgetter(*(KEY_ATTRIBUTES[dimension] for dimension in params.group))
    single_level = len(params.group) == 1
    column_count = len(locator.columns)
    first_slice = locator.first_slice
    slice_count = locator.slice_count
    tables = locator.tables
    exact_column_index = locator.exact_column_index
    slice_ms = SLICE_MS
    outside = OUTSIDE
    sums: dict[Any, list[int]] = {}
    examples: dict[Any, Worklog] = {}
    for worklog in worklogs:
        slice_index = worklog.started_ms // slice_ms - first_slice
        if not 0 <= slice_index < slice_count:
            continue
        column = tables[worklog.author_tz][slice_index]
        if column < 0:
            if column == outside:
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
    """Rows in the report's order: by label, by total or by one column's value.

    Equal values keep label order (A to Z) whichever way the numbers run, as the page sorts.
    """

    def by_label(row: ReportRow) -> tuple[str, str, tuple[str, ...]]:
        label = row.labels[-1]
        return label.casefold(), label, tuple(part or "" for part in row.key)

    if params.sort == "label":
        return sorted(rows, key=by_label, reverse=params.descending)
    ordered = sorted(rows, key=by_label)
    column = params.sort

    def value(row: ReportRow) -> int:
        return row.total if column == "total" else row.cells.get(column, 0)

    # A stable sort (also with reverse=True) keeps label order among equal values.
    ordered.sort(key=value, reverse=params.descending)
    return ordered
