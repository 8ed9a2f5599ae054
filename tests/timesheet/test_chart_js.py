"""timesheet-chart.js under node: the chart's numbers from reports the engine builds.

The chart stacks each column by the report's first grouping level. Its series must add up to the
report's column totals whatever the grouping: one level or two (then the subtotal rows are the
series), few groups (each its own series) or many (the largest eight, the rest as one "Other").
Its value axis must reach the largest bar in round steps.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from smart_timesheet_plugin.report import build_report
from smart_timesheet_plugin.report.serialize import report_to_json
from tests.timesheet.builders import make_worklog, week_of

CHART = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "smart_timesheet_plugin"
    / "static"
    / "timesheet-chart.js"
)
HARNESS = r"""
const fs = require("fs");
globalThis.window = globalThis;
eval(fs.readFileSync(process.argv[1], "utf8"));
const input = JSON.parse(process.argv[2]);
const chart = window.SmartTimesheetChart;
const out = {
  limit: chart.SERIES_LIMIT,
  charts: input.reports.map((report) => chart.aggregate(report)),
  scales: input.seconds.map((seconds) => chart.scale(seconds)),
};
process.stdout.write(JSON.stringify(out));
"""
MONDAY = datetime.date(2014, 2, 24)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("node is needed to run the page's chart script", pytrace=False)
        pytest.skip("node is not installed")
    return node


def _run(reports: list[dict[str, Any]], seconds: list[int]) -> dict[str, Any]:
    payload = json.dumps({"reports": reports, "seconds": seconds})
    result = subprocess.run(
        [_node(), "-e", HARNESS, str(CHART), payload],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def _worklogs(issues: int) -> list[Any]:
    """``issues`` issues over two projects, each with work on a few days of the week, no two
    issues with the same total."""
    worklogs = []
    for number in range(1, issues + 1):
        for day in range(number % 3, 7, 2):
            started = MONDAY + datetime.timedelta(days=day)
            worklogs.append(
                make_worklog(
                    f"{started.isoformat()}T10:00:00+00:00",
                    seconds=600 * number + 60 * day,
                    issue=f"{'TS' if number % 2 else 'OPS'}-{number}",
                    project="TS" if number % 2 else "OPS",
                    project_name="Timesheet" if number % 2 else "Operations",
                    summary=f"Task {number}",
                    worklog_id=f"{number}-{day}",
                )
            )
    return worklogs


def _report(issues: int, group: tuple[str, ...]) -> dict[str, Any]:
    params = week_of(MONDAY, group=group)
    return dict(report_to_json(build_report(_worklogs(issues), params, viewer_tz="UTC")))


def test_each_bar_adds_up_to_its_column_and_the_smallest_groups_share_other() -> None:
    few = _report(5, ("issue",))
    nine = _report(9, ("issue",))
    many = _report(14, ("issue",))
    nested = _report(14, ("project", "issue"))
    out = _run([few, nine, many, nested], [])
    limit = out["limit"]
    assert limit == 8
    for report, chart in zip([few, nine, many, nested], out["charts"], strict=True):
        keys = [column["key"] for column in report["columns"]]
        assert [column["key"] for column in chart["columns"]] == keys
        # Every bar is its column's total, and the series hold every second of the report.
        assert chart["totals"] == [report["totals"][key] for key in keys]
        assert sum(item["total"] for item in chart["series"]) == report["total"]
        for item in chart["series"]:
            assert sum(item["values"]) == item["total"]
        totals = [item["total"] for item in chart["series"] if not item["other"]]
        assert totals == sorted(totals, reverse=True)

    few_chart, nine_chart, many_chart, nested_chart = out["charts"]
    # Up to nine groups each have a series: an "Other" of one would hide a name for nothing.
    assert [item["label"] for item in few_chart["series"]] == sorted(
        (row["labels"][0] for row in few["rows"]),
        key=lambda label: -next(r["total"] for r in few["rows"] if r["labels"][0] == label),
    )
    assert len(nine_chart["series"]) == 9 and not any(i["other"] for i in nine_chart["series"])
    # Fourteen issues: the eight largest, then the six others together.
    largest = sorted(many["rows"], key=lambda row: -row["total"])
    assert [item["label"] for item in many_chart["series"][:limit]] == [
        row["labels"][0] for row in largest[:limit]
    ]
    other = many_chart["series"][-1]
    assert other["other"] and other["label"] == "Other (6)"
    assert other["total"] == sum(row["total"] for row in largest[limit:])
    # Two levels: the first level's subtotals are the series, not the issues under them.
    assert sorted(item["label"] for item in nested_chart["series"]) == sorted(
        row["labels"][0] for row in nested["rows"] if row.get("subtotal")
    )
    assert len(nested_chart["series"]) == 2


def test_the_value_axis_reaches_the_largest_bar_in_round_steps() -> None:
    seconds = [1, 900, 7 * 3600 + 1800, 47 * 3600, 713 * 3600 + 28 * 60]
    out = _run([], seconds)
    for largest, axis in zip(seconds, out["scales"], strict=True):
        step_hours = axis["step"] / 3600
        assert axis["top"] >= largest
        assert axis["top"] % axis["step"] == 0
        assert axis["top"] / axis["step"] <= 5  # a few gridlines, not dozens
        mantissa = step_hours / 10 ** int(f"{step_hours:e}".split("e")[1])
        assert step_hours in (0.25, 0.5) or mantissa in (1, 2, 2.5, 5)


def test_every_series_the_chart_can_draw_has_a_colour() -> None:
    # Up to SERIES_LIMIT + 1 groups are drawn each in its own colour (nine groups have no
    # "Other"); a series class without a rule would be drawn black.
    out = _run([], [])
    css = (CHART.parent / "timesheet.css").read_text(encoding="utf-8")
    for index in range(out["limit"] + 1):
        assert f".ts-series-{index} {{ fill:" in css, index
    assert ".ts-series-other { fill:" in css
