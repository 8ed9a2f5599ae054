"""Known answers from a peer timesheet app's test suite, run through our engine and exports.

The vectors file (``../shared/vectors/pts-pivot-cases.json``) records what the peer's tests assert
about pivoting worklogs: day assignment by the author's or the viewer's zone, week keys for a
given first weekday, and period totals. Every case is run when it maps onto our model; a case that
needs a grouping, column kind or feature we do not offer is skipped with that reason, and within a
run case each asserted value is either checked or listed in :data:`IGNORED_EXPECTATIONS` with why.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from smart_timesheet_plugin.export import report_csv
from smart_timesheet_plugin.params import (
    GroupDimension,
    ReportParams,
    WeekStart,
    preset_range,
)
from smart_timesheet_plugin.report.detail import worklogs_in_cell
from smart_timesheet_plugin.report.grid import build_report
from smart_timesheet_plugin.report.model import Worklog
from smart_timesheet_plugin.report.periods import report_columns
from smart_timesheet_plugin.report.serialize import report_to_json
from smart_timesheet_plugin.source.wire import parse_jira_datetime
from tests.shared_data import SHARED_ROOT, shared_path

CASES_FILE = ("vectors", "pts-pivot-cases.json")
D = datetime.date

# The peer's grouping names that are ours under another name.
GROUPINGS: dict[str, GroupDimension] = {
    "issue": "issue",
    "project": "project",
    "workeduser": "user",
    "issuetype": "issuetype",
}
# The peer's column kinds we have no counterpart for, and why.
UNSUPPORTED_COLUMNS = {
    "author": "columns per worklog author (a users-as-columns pivot) are not modelled",
    "statusAtWorklogTime": "columns by issue status at worklog time need the changelog",
    "worklogLabel": "columns by #hashtags in worklog comments are not modelled",
}
# Peer parameters naming features we do not offer.
UNSUPPORTED_FEATURES = {
    "pivotByField": "pivoting columns by an issue field is not modelled",
    "sumSubTasks": "rolling sub-task time up to parents is not modelled",
}
# Asserted values that describe the peer's internals rather than anything our users see.
IGNORED_EXPECTATIONS = {
    "columnsNote": "prose",
    "columnFlags": "weekend flags are the page's concern, not the engine's",
    "firstRowKey": "row order is by label (or total) here; the peer keeps insertion order",
    "perRowColumnCount": "the peer's dense row arrays; our rows omit empty cells",
    "pivotEntriesPerIssue": "the peer's internal pivot entry count",
    "firstColumnKeyName": "the peer's internal column type name",
    "rowTimespentFieldSum": "the issue's timespent field, not a worklog sum",
}
# The peer's reportingDay (moment weekday: 0 = Sunday) as our week_start.
WEEK_STARTS: dict[int, WeekStart] = {1: "monday", 0: "sunday", 6: "saturday"}
MINIMUM_CASES_RUN = 12


def _collection_ids(section: str) -> list[Any]:
    """Parameters for one section, read at collection time when the file is there.

    Without the file a single placeholder is collected; the ``peer`` fixture then skips it (or
    fails it under CI) through :func:`shared_path`.
    """
    path = SHARED_ROOT.joinpath(*CASES_FILE)
    if not path.is_file():
        return [pytest.param(-1, id="reference-file-absent")]
    data = json.loads(path.read_text(encoding="utf-8"))
    cases = data[section] if section == "cases" else data[section]["cases"]
    return [
        pytest.param(
            index,
            id=_slug(case.get("name") or case.get("fn") or case.get("assertLabel") or str(index)),
        )
        for index, case in enumerate(cases)
    ]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60]


@pytest.fixture(scope="module")
def peer() -> dict[str, Any]:
    """The peer's vectors file, read once per module (skipped, or failed under CI, when absent)."""
    return json.loads(shared_path(*CASES_FILE).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# --- mapping the peer's model onto ours -------------------------------------------------------


def unsupported_reason(case: dict[str, Any]) -> str | None:
    """Why a pivot case cannot run here, or ``None`` when it maps onto our model."""
    params = case["params"]
    for feature, reason in UNSUPPORTED_FEATURES.items():
        if feature in params:
            return reason
    columns = params["columns"]
    if columns in UNSUPPORTED_COLUMNS:
        return UNSUPPORTED_COLUMNS[columns]
    if columns not in ("day", "week", "month", "single", "worklog rows"):
        return f"{columns!r} columns are not modelled"
    for dimension in params.get("groupBy", []):
        if dimension not in GROUPINGS:
            return f"grouping by {dimension!r} is not modelled"
    if "numOfWeeks" in params and (params["numOfWeeks"], params["offset"]) != (1, -1):
        return "only 'the previous week' maps onto our presets"
    if params.get("reportingDay", 1) not in WEEK_STARTS:
        return f"weeks starting on weekday {params['reportingDay']} are not offered"
    if params.get("from") is None and "numOfWeeks" not in params:
        return "reports without a start date are not modelled"
    return None


def to_worklog(record: dict[str, Any]) -> Worklog:
    return Worklog(
        id=record["worklogId"],
        issue_key=record["issue"],
        issue_summary="",
        issue_type=record["issuetype"],
        project_key=record["project"],
        project_name=record["projectName"],
        parent_key=record["parent"],
        parent_summary=None,
        author_id=record["author"],
        author_name=record["authorDisplayName"],
        author_tz=record["authorTimeZone"],
        started_ms=parse_jira_datetime(record["started"]),
        seconds=record["seconds"],
        comment=record["comment"],
    )


def zone_choice(params: dict[str, Any]) -> tuple[str, str]:
    """Our ``tz`` and viewer zone for the peer's timezone setting."""
    timezone = params["timezone"]
    if timezone == "author":
        return "author", params["viewerTimeZone"]
    zone = timezone.removeprefix("viewer:")
    return zone, zone


def to_params(params: dict[str, Any]) -> ReportParams:
    tz, _ = zone_choice(params)
    if "numOfWeeks" in params:
        # One week back from the week of the mocked "last Monday": our last-week preset.
        today = D.fromisoformat(params["lastMondayMockedTo"])
        date_from, date_to = preset_range("last-week", today, "monday")
    else:
        date_from = D.fromisoformat(params["from"])
        # An open end ("single" total column) becomes the longest range we allow.
        date_to = (
            D.fromisoformat(params["to"])
            if params.get("to")
            else date_from + datetime.timedelta(days=365)
        )
    columns = params["columns"]
    return ReportParams(
        date_from=date_from,
        date_to=date_to,
        columns="month" if columns == "single" else "day" if columns == "worklog rows" else columns,
        week_start=WEEK_STARTS[params.get("reportingDay", 1)],
        group=tuple(GROUPINGS[name] for name in params.get("groupBy", ["issue"])),
        projects=(params["project"],) if "project" in params else (),
        users=tuple(params.get("authorFilter", ())),
        tz=tz,
    )


class Check:
    """One case's report (typed, and as the JSON API shows it) with the helpers its expectations
    need."""

    def __init__(self, case: dict[str, Any]) -> None:
        self.case = case
        self.params = to_params(case["params"])
        self.viewer_tz = zone_choice(case["params"])[1]
        self.worklogs = [to_worklog(record) for record in case["worklogs"]]
        self.built = build_report(self.worklogs, self.params, viewer_tz=self.viewer_tz)
        self.report = report_to_json(self.built)
        self.leaves = [row for row in self.report["rows"] if not row.get("subtotal")]

    def peer_row_key(self, row: dict[str, Any]) -> str:
        """The peer's name for one of our rows: issue key, or display names joined by ':'."""
        if self.params.group == ("issue",):
            return str(row["key"][0])
        names = []
        for dimension, value in zip(self.params.group, row["key"], strict=True):
            example = next(
                log
                for log in self.worklogs
                if {"project": log.project_key, "user": log.author_id, "issuetype": log.issue_type}[
                    dimension
                ]
                == value
            )
            names.append(
                {"project": example.project_name, "user": example.author_name}.get(
                    dimension, str(value)
                )
            )
        return ":".join(names)

    def row_totals(self) -> dict[str, int]:
        return {self.peer_row_key(row): row["total"] for row in self.leaves}

    def cells(self) -> dict[str, dict[str, int]]:
        return {self.peer_row_key(row): row["cells"] for row in self.leaves}

    def first_cell_entries(self, row: dict[str, Any]) -> int:
        first_column = self.report["columns"][0]["key"]
        return len(
            worklogs_in_cell(
                self.worklogs,
                self.params,
                viewer_tz=self.viewer_tz,
                row_key=row["key"],
                column_key=first_column,
            )
        )

    def csv_totals(self) -> dict[str, str]:
        data = report_csv(self.built)
        header, *_, totals = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        return dict(zip(header, totals, strict=True))


def check_expected(check: Check, expected: dict[str, Any]) -> None:
    """Assert every expectation of a case we can speak to; fail on any we do not know."""
    report = check.report
    handlers: dict[str, Callable[[Any], None]] = {
        "columnCount": lambda value: _column_count(check, value),
        "columns": lambda value: _column_totals(report, value),
        "columnWeekNumbers": lambda value: _week_numbers(report, value),
        "rowCount": lambda value: _equal(len(check.leaves), value),
        "rows": lambda value: _subset(check.row_totals(), value),
        "rows(keys)": lambda value: _equal(set(check.row_totals()), set(value)),
        "rowsAbsent": lambda value: _disjoint(check.row_totals(), value),
        "cells": lambda value: _subset(check.cells(), value),
        "total": lambda value: _equal(report["total"], value),
        "entriesInFirstCell": lambda value: _equal(
            check.first_cell_entries(check.leaves[0]), value
        ),
        "entriesInFirstCellOfTIME-4": lambda value: _equal(
            check.first_cell_entries(_row(check, "TIME-4")), value
        ),
        "visibleColumns": lambda value: _visible_columns(check, value),
        "columnsAsPrinted(h)": lambda value: _printed_hours(check, value),
        "detailRow": lambda value: _detail_row(check, value),
    }
    for name, value in expected.items():
        if name in IGNORED_EXPECTATIONS:
            continue
        assert name in handlers, f"no check for the peer's expectation {name!r}"
        handlers[name](value)


def _equal(got: object, want: object) -> None:
    assert got == want


def _subset(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert {key: got.get(key) for key in want} == want


def _disjoint(got: dict[str, Any], absent: list[str]) -> None:
    assert not set(got) & set(absent)


def _row(check: Check, peer_key: str) -> dict[str, Any]:
    return next(row for row in check.leaves if check.peer_row_key(row) == peer_key)


def _column_count(check: Check, value: int) -> None:
    if check.case["params"]["columns"] == "single":
        return  # our stand-in for one open-ended total column is a run of month columns
    assert len(check.report["columns"]) == value


def _column_totals(report: dict[str, Any], value: dict[str, int]) -> None:
    assert {key: report["totals"][key] for key in value} == value


def _week_numbers(report: dict[str, Any], value: dict[str, str]) -> None:
    labels = {column["key"]: column["label"] for column in report["columns"]}
    for key, number in value.items():
        assert labels[key].startswith(f"W{number} ")


def _visible_columns(check: Check, value: list[str]) -> None:
    # The peer hides weekends; the weekdays it shows ("24/Feb") must be columns of ours.
    labels = [column["label"] for column in check.report["columns"]]
    for shown in value:
        day, month = shown.split("/")
        assert any(label.endswith(f" {int(day)} {month}") for label in labels)


def _printed_hours(check: Check, value: dict[str, str]) -> None:
    totals = check.csv_totals()
    year = check.params.date_from.year
    for shown, hours in value.items():
        day = datetime.datetime.strptime(f"{shown}/{year}", "%d/%b/%Y").date()
        assert float(totals[day.isoformat()]) == float(hours or 0)


def _detail_row(check: Check, value: dict[str, Any]) -> None:
    row_key: list[str] = []
    if "issue" in value and check.params.group == ("issue",):
        row_key = [value["issue"]]
    details = worklogs_in_cell(
        check.worklogs,
        check.params,
        viewer_tz=check.viewer_tz,
        row_key=row_key,
        column_key=value.get("column", check.params.date_from.isoformat()),
    )
    matching = [detail for detail in details if detail.comment == value["comment"]]
    assert len(matching) == 1
    if "hours" in value:
        assert matching[0].seconds == float(value["hours"]) * 3600
    if "columns" in value:
        assert {matching[0].day: matching[0].seconds} == value["columns"]


# --- the cases --------------------------------------------------------------------------------


@pytest.mark.parametrize("index", _collection_ids("cases"))
def test_peer_pivot_case(peer: dict[str, Any], index: int) -> None:
    case = peer["cases"][index]
    reason = unsupported_reason(case)
    if reason is not None:
        pytest.skip(reason)
    if case["params"]["columns"] == "worklog rows":
        check_worklog_rows(case)
        return
    check_expected(Check(case), case["expected"])


def check_worklog_rows(case: dict[str, Any]) -> None:
    """The peer's worklog CSV: start times converted to the author's zone, and the total."""
    check = Check(case)
    details = [
        detail
        for column in check.report["columns"]
        for detail in worklogs_in_cell(
            check.worklogs,
            check.params,
            viewer_tz=check.viewer_tz,
            row_key=[],
            column_key=column["key"],
        )
    ]
    for row in case["expected"]["rows"]:
        started_ms = parse_jira_datetime(row["started"])
        detail = next(
            detail
            for detail in details
            if detail.started_ms == started_ms and detail.issue_key == row["issue"]
        )
        assert detail.started[:19].replace("T", " ") == row["dateStartedPrinted"]
        assert detail.seconds == float(row["hours"]) * 3600
        assert detail.comment == row["comment"]
    assert check.report["total"] == float(case["expected"]["totalHours"]) * 3600


@pytest.mark.parametrize("index", _collection_ids("dayAssignmentCases"))
def test_peer_day_assignment(peer: dict[str, Any], index: int) -> None:
    case = peer["dayAssignmentCases"]["cases"][index]
    try:
        started_ms = parse_jira_datetime(case["started"])
    except ValueError:
        pytest.skip("a start time without an offset: Jira always sends one, we refuse to guess")
    expected_day = D.fromisoformat(case["expectedDate(helper)"])
    assert expected_day.day == case["expectedDayOfMonth"]
    log = Worklog(
        id="1",
        issue_key="T-1",
        issue_summary="",
        issue_type="Task",
        project_key="T",
        project_name="T",
        parent_key=None,
        parent_summary=None,
        author_id="a",
        author_name="A",
        author_tz=case["timeZone"],
        started_ms=started_ms,
        seconds=60,
        comment="",
    )
    one_day = datetime.timedelta(days=1)
    params = ReportParams(expected_day - one_day, expected_day + one_day, tz="author")
    # The viewer sits in UTC so that only the author's zone can put the worklog on this day.
    report = build_report([log], params, viewer_tz="UTC")
    assert {key for key, seconds in report.column_totals.items() if seconds} == {
        expected_day.isoformat()
    }


@pytest.mark.parametrize("index", _collection_ids("weekAndPeriodCases"))
def test_peer_week_and_period(peer: dict[str, Any], index: int) -> None:
    case = peer["weekAndPeriodCases"]["cases"][index]
    function = case["fn"]
    week_start = WEEK_STARTS.get(case.get("reportingDay", 1))
    if case.get("useIsoWeek") is False and function != "WeekOfTheYear column":
        pytest.skip("locale week numbers (en: Sunday weeks counted from 1 January) are not ours")
    if function in ("getWeekNumber", "getNormalizedWeekNumber"):
        day = D.fromisoformat(case["date"])
        label = report_columns(ReportParams(day, day, columns="week"))[0].label
        assert label.startswith(f"W{int(case['expected']):02d} ")
    elif function == "WeekOfTheYear column":
        # Checked for its key only: the peer's number here is a locale week number.
        assert week_start is not None
        day = D.fromisoformat(case["date"])
        columns = report_columns(ReportParams(day, day, columns="week", week_start=week_start))
        assert columns[0].key == case["expectedWeekStart"]
    elif function == "getWeeksForMonth":
        assert week_start is not None
        params = ReportParams(
            D.fromisoformat(case["startDate"]),
            D.fromisoformat(case["endDate"]),
            columns="week",
            week_start=week_start,
        )
        columns = report_columns(params)
        assert [column.key for column in columns] == [week["date"] for week in case["expected"]]
        for column, week in zip(columns, case["expected"], strict=True):
            assert column.label.startswith(week["week"].replace("Week ", "W") + " ")
    elif function == "getPrevMonday":
        assert week_start is not None
        day = D.fromisoformat(case["date"])
        columns = report_columns(ReportParams(day, day, columns="week", week_start=week_start))
        assert columns[0].key == case["expected"]
    elif function == "getDatesForWeek":
        params = ReportParams(D.fromisoformat(case["startDate"]), D.fromisoformat(case["endDate"]))
        keys = [column.key for column in report_columns(params)]
        assert len(keys) == case["expectedLength"]
        assert [keys[0], keys[1], keys[4]] == case["expected[0,1,4]"]
    else:
        pytest.skip(f"{function}: a date helper with no counterpart in our API")


def test_a_meaningful_share_of_peer_cases_runs(peer: dict[str, Any]) -> None:
    runnable = [case["name"] for case in peer["cases"] if unsupported_reason(case) is None]
    assert len(runnable) >= MINIMUM_CASES_RUN, runnable
    # Every case in our own terms (day/week/month columns, our groupings) must be among them.
    for case in peer["cases"]:
        params = case["params"]
        ours = params["columns"] in ("day", "week", "month") and all(
            name in GROUPINGS for name in params.get("groupBy", [])
        )
        if ours and not set(UNSUPPORTED_FEATURES) & set(params):
            assert case["name"] in runnable
