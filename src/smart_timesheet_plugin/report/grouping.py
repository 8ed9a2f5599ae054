"""Which worklogs a report counts, and which row each goes in.

A row is keyed by one value per grouping level (accountId, project key, issue key, parent key,
issue type name, or for components, fix versions, labels, sprints and a custom field the issue's
names joined with ``, ``) and labelled with the matching display text. An issue with two
components is one row ``Backend, Frontend``, never two: every worklog is in exactly one row.
The ``project`` and ``user`` filters are applied per worklog: Jira's search selects issues, not
worklogs, so an issue matched by ``worklogAuthor = X`` brings every author's worklogs along.
Filters by name (component, version, label, sprint, custom field) are Jira's: they select issues,
and every worklog of a selected issue counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from smart_timesheet_plugin.params import GroupDimension, ReportParams
from smart_timesheet_plugin.report.model import RowKey, Worklog

#: Label of the row holding worklogs of issues without a parent.
NO_PARENT_LABEL: Final = "No parent"

#: The :class:`~smart_timesheet_plugin.report.model.Worklog` field holding each dimension's key.
KEY_ATTRIBUTES: Final[Mapping[GroupDimension, str]] = {
    "user": "author_id",
    "project": "project_key",
    "issue": "issue_key",
    "parent": "parent_key",
    "issuetype": "issue_type",
    "component": "component_key",
    "fixversion": "fix_version_key",
    "label": "label_key",
    "sprint": "sprint_key",
    "field": "field_key",
}
#: Labels of the rows of issues without a value, for the list dimensions.
NO_VALUE_LABELS: Final[Mapping[GroupDimension, str]] = {
    "component": "No component",
    "fixversion": "No fix version",
    "label": "No label",
    "sprint": "No sprint",
    "field": "No value",
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
    if dimension in NO_VALUE_LABELS:
        value: str | None = getattr(worklog, KEY_ATTRIBUTES[dimension])
        return NO_VALUE_LABELS[dimension] if value is None else value
    return worklog.issue_type


def group_key(params: ReportParams, worklog: Worklog) -> RowKey:
    """The row key of ``worklog``: one value per grouping level of ``params``."""
    return tuple(getattr(worklog, KEY_ATTRIBUTES[dimension]) for dimension in params.group)


def apply_filters(worklogs: Iterable[Worklog], params: ReportParams) -> Iterable[Worklog]:
    """The worklogs that pass the report's ``project`` and ``user`` filters, lazily."""
    if params.projects:
        projects = frozenset(params.projects)
        worklogs = (worklog for worklog in worklogs if worklog.project_key in projects)
    if params.users:
        users = frozenset(params.users)
        worklogs = (worklog for worklog in worklogs if worklog.author_id in users)
    return worklogs
