"""Saved reports: named report parameters, kept in Jira itself and never in our database.

A viewer's own reports are one user property of theirs (written as the viewer); reports shared
with the site are one app property (written as the app, once Jira has said the viewer may:
the report's creator, or a Jira administrator). Both hold the same JSON document,
``{"reports": [{"id", "name", "query", "owner"}]}``, where ``query`` maps report parameter names
to lists of values exactly as the page sends them. This module is pure: it checks and edits such
documents; :mod:`smart_timesheet_plugin.source.properties` reads and writes them.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from smart_timesheet_plugin.params import ParameterError, parse_report_params

#: The user property holding a viewer's own reports.
USER_PROPERTY: Final = "smart-timesheet-reports"
#: The app property holding the reports shared with the site.
APP_PROPERTY: Final = "smart-timesheet-shared-reports"
#: Jira's limit on a property's value, in bytes of JSON.
PROPERTY_LIMIT: Final = 32_768
#: Longest report name, in characters.
MAX_NAME_LENGTH: Final = 80
#: The report parameters a saved report may hold (dates, a preset, layout and filters).
SAVED_PARAMETERS: Final = frozenset(
    {
        "from",
        "to",
        "preset",
        "columns",
        "week_start",
        "group",
        "project",
        "user",
        "usergroup",
        "field",
        "component",
        "fixversion",
        "label",
        "sprint",
        "fieldvalue",
        "pivot",
        "jql",
        "tz",
        "sort",
        "order",
        "expected",
    }
)


class SavedReportError(ValueError):
    """A saved report or its document is not acceptable; ``parameter`` names the field at fault."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class SavedReport:
    """One saved report: an id, its name, its parameters and its creator's accountId."""

    id: str
    name: str
    query: Mapping[str, list[str]]
    owner: str

    def to_json(self) -> dict[str, Any]:
        """The report as stored in Jira and as the API answers it."""
        return {"id": self.id, "name": self.name, "query": dict(self.query), "owner": self.owner}


def new_report(body: object, *, owner: str) -> SavedReport:
    """A report to save from a request body ``{"name", "query"}``, checked.

    The query must be a report the API would accept (checked with any date: presets stay
    presets); unknown parameters are dropped. Raises :class:`SavedReportError`.
    """
    if not isinstance(body, Mapping):
        raise SavedReportError("body", "must be a JSON object with a name and a query")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME_LENGTH:
        raise SavedReportError("name", f"must be 1 to {MAX_NAME_LENGTH} characters")
    query = _query(body.get("query"))
    try:
        parse_report_params(query, today=datetime.date(2000, 1, 1))
    except ParameterError as error:
        raise SavedReportError(error.parameter, str(error).partition(": ")[2]) from None
    return SavedReport(secrets.token_hex(6), " ".join(name.split()), query, owner)


def _query(value: object) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        raise SavedReportError("query", "must map parameter names to lists of values")
    query: dict[str, list[str]] = {}
    for name, values in value.items():
        if name not in SAVED_PARAMETERS:
            continue
        items = [values] if isinstance(values, str) else values
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise SavedReportError("query", f"{name} must be a text or a list of texts")
        if items:
            query[str(name)] = list(items)
    return query


def read_document(value: object) -> list[SavedReport]:
    """The reports of a stored document; entries that are not reports are skipped."""
    reports = value.get("reports") if isinstance(value, Mapping) else None
    found: list[SavedReport] = []
    for entry in reports if isinstance(reports, list) else []:
        if not isinstance(entry, Mapping):
            continue
        report_id, name, owner = entry.get("id"), entry.get("name"), entry.get("owner")
        try:
            query = _query(entry.get("query"))
        except SavedReportError:
            continue
        if isinstance(report_id, str) and isinstance(name, str) and isinstance(owner, str):
            found.append(SavedReport(report_id, name, query, owner))
    return found


def write_document(reports: list[SavedReport]) -> dict[str, Any]:
    """The document to store; raises :class:`SavedReportError` beyond Jira's 32 KB."""
    document = {"reports": [report.to_json() for report in reports]}
    # Measured as the kit's host client sends it (json.dumps' defaults), which is what Jira
    # counts: a compact measure would let a nearly full list through to Jira's own refusal.
    size = len(json.dumps(document).encode("utf-8"))
    if size > PROPERTY_LIMIT:
        raise SavedReportError(
            "name",
            f"Jira keeps at most {PROPERTY_LIMIT // 1024} KB of saved reports here; "
            "delete some to save more",
        )
    return document
