"""Where a report's worklogs come from: Jira, asked as the viewing user through the kit's client.

- :mod:`~smart_timesheet_plugin.source.fetch`: which calls to make (JQL check, search with
  embedded worklogs, worklog paging side by side, the viewer, authors in bulk) and their cost
- :mod:`~smart_timesheet_plugin.source.cell`: the worklogs of one cell only (a row's values, a
  column's days), for the cell detail
- :mod:`~smart_timesheet_plugin.source.wire`: Jira's wire format, read into typed values
  (timestamps, ADF comments, issue, worklog and user fields)

The source hands the engine (:mod:`smart_timesheet_plugin.report`) its
:class:`~smart_timesheet_plugin.report.model.Worklog` records and never sees a report.
"""

from __future__ import annotations

from smart_timesheet_plugin.source.cell import fetch_cell_worklogs
from smart_timesheet_plugin.source.fetch import (
    FetchResult,
    JqlRejected,
    check_jql,
    fetch_worklogs,
    report_jql,
    resolve_users,
    viewer_zone,
)

__all__ = (
    "FetchResult",
    "JqlRejected",
    "check_jql",
    "fetch_cell_worklogs",
    "fetch_worklogs",
    "report_jql",
    "resolve_users",
    "viewer_zone",
)
