"""The worklogs behind one cell of a report, as the cell detail lists them.

A cell is picked by a row key and a column key, exactly as the grid names them; the worklogs are
chosen with the grid's own filters, row keys and column locator
(:class:`~smart_timesheet_plugin.report.locator.ColumnLocator`), so they always add up to the
number shown in the cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smart_timesheet_plugin.params import ReportParams
from smart_timesheet_plugin.report.grouping import KEY_ATTRIBUTES, apply_filters, group_key
from smart_timesheet_plugin.report.locator import ColumnLocator
from smart_timesheet_plugin.report.model import Worklog, WorklogDetail


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
    # A pivot's column is a value of its dimension (any value may be asked for: a value with no
    # worklogs has none to list); a period's column must be one of the report's.
    pivot_attribute = KEY_ATTRIBUTES[params.pivot] if params.pivot is not None else None
    column_index = next(
        (index for index, column in enumerate(locator.columns) if column.key == column_key), None
    )
    if column_key is not None and column_index is None and pivot_attribute is None:
        raise ValueError(f"{column_key!r} is not a column of this report")
    wanted = tuple(row_key)
    if len(wanted) > len(params.group):
        raise ValueError(f"row key {list(wanted)!r} has more values than the report has levels")
    details: list[WorklogDetail] = []
    for worklog in apply_filters(worklogs, params):
        if group_key(params, worklog)[: len(wanted)] != wanted:
            continue
        found = locator.column_index(worklog.started_ms, worklog.author_tz)
        if found is None:
            continue
        if pivot_attribute is not None:
            if column_key is not None and getattr(worklog, pivot_attribute) != column_key:
                continue
        elif column_index is not None and found != column_index:
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
