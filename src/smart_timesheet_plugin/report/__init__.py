"""The timesheet report engine: worklogs and parameters in, a typed grid out.

Everything here is pure: no I/O, no clock, nothing from Jira's wire format. The source
(:mod:`smart_timesheet_plugin.source`) hands over :class:`Worklog` records; the views call
:func:`build_report` and :func:`worklogs_in_cell`, then render the typed results as JSON
(:mod:`~smart_timesheet_plugin.report.serialize`) or as files
(:mod:`smart_timesheet_plugin.export`).

One idea per module:

- :mod:`~smart_timesheet_plugin.report.model`: the typed records (worklog in; report, rows,
  columns, cells, totals and worklog detail out)
- :mod:`~smart_timesheet_plugin.report.periods`: the columns of a range, their keys and labels
- :mod:`~smart_timesheet_plugin.report.locator`: the day rule, which column a worklog falls in
- :mod:`~smart_timesheet_plugin.report.grouping`: filters, row keys and row labels
- :mod:`~smart_timesheet_plugin.report.grid`: the grid with subtotals, totals and row order
- :mod:`~smart_timesheet_plugin.report.detail`: the worklogs behind one cell
- :mod:`~smart_timesheet_plugin.report.expected`: expected hours from a working week and days off
- :mod:`~smart_timesheet_plugin.report.serialize`: the JSON of the public contract
"""

from __future__ import annotations

from smart_timesheet_plugin.report.detail import worklogs_in_cell
from smart_timesheet_plugin.report.grid import build_report
from smart_timesheet_plugin.report.grouping import NO_PARENT_LABEL
from smart_timesheet_plugin.report.locator import ColumnLocator
from smart_timesheet_plugin.report.model import (
    Column,
    Report,
    ReportRow,
    RowKey,
    Worklog,
    WorklogDetail,
)
from smart_timesheet_plugin.report.periods import report_columns
from smart_timesheet_plugin.report.serialize import (
    DetailJson,
    ReportJson,
    detail_to_json,
    report_to_json,
)

__all__ = (
    "NO_PARENT_LABEL",
    "Column",
    "ColumnLocator",
    "DetailJson",
    "Report",
    "ReportJson",
    "ReportRow",
    "RowKey",
    "Worklog",
    "WorklogDetail",
    "build_report",
    "detail_to_json",
    "report_columns",
    "report_to_json",
    "worklogs_in_cell",
)
