"""The JSON of the public contract (docs/timesheet-api.md), rendered from the typed records.

Byte-for-byte equality with what the API answered before the engine was split is checked over
HTTP by ``tests/timesheet/test_report_contract.py``; these tests pin the shape itself.
"""

from __future__ import annotations

import datetime
import json

from smart_timesheet_plugin.params import ReportParams
from smart_timesheet_plugin.report.detail import worklogs_in_cell
from smart_timesheet_plugin.report.grid import build_report
from smart_timesheet_plugin.report.model import Worklog
from smart_timesheet_plugin.report.serialize import detail_to_json, report_to_json
from tests.timesheet.builders import make_worklog, week_of

D = datetime.date
WEEK = D(2014, 2, 24)
REPORT_KEYS = ["from", "to", "timezone", "columns", "rows", "totals", "total"]


def test_json_has_exactly_the_documented_shape(team: list[Worklog]) -> None:
    data = report_to_json(
        build_report(team, week_of(WEEK, group=("project", "issue")), viewer_tz="UTC")
    )
    assert list(data) == REPORT_KEYS
    assert (data["from"], data["to"], data["timezone"]) == ("2014-02-24", "2014-03-02", "UTC")
    assert data["columns"][0] == {"key": "2014-02-24", "label": "Mon 24 Feb"}
    for row in data["rows"]:
        expected_keys = ["key", "labels", "cells", "total"]
        if len(row["key"]) == 1:
            expected_keys.append("subtotal")
            assert row["subtotal"] is True
        assert list(row) == expected_keys
        assert len(row["labels"]) == len(row["key"])


def test_a_report_renders_as_the_documented_json() -> None:
    log = make_worklog("2014-02-24T09:00:00.000+0000", seconds=5400, parent=None)
    params = ReportParams(D(2014, 2, 24), D(2014, 2, 25), group=("parent", "user"))
    data = report_to_json(build_report([log], params, viewer_tz="Europe/Berlin"))
    assert json.dumps(data, separators=(",", ":")) == (
        '{"from":"2014-02-24","to":"2014-02-25","timezone":"Europe/Berlin",'
        '"columns":[{"key":"2014-02-24","label":"Mon 24 Feb"},'
        '{"key":"2014-02-25","label":"Tue 25 Feb"}],'
        '"rows":[{"key":[null],"labels":["No parent"],"cells":{"2014-02-24":5400},'
        '"total":5400,"subtotal":true},'
        '{"key":[null,"acc-ann"],"labels":["No parent","Ann"],"cells":{"2014-02-24":5400},'
        '"total":5400}],'
        '"totals":{"2014-02-24":5400,"2014-02-25":0},"total":5400}'
    )


def test_the_cell_detail_renders_as_the_documented_json() -> None:
    log = make_worklog(
        "2014-02-24T18:03:48.589+0100",
        author_tz="Europe/Moscow",
        author_name="admin",
        comment="test 1",
    )
    details = worklogs_in_cell(
        [log],
        week_of(WEEK, tz="author"),
        viewer_tz="UTC",
        row_key=["acc-ann"],
        column_key="2014-02-24",
    )
    assert detail_to_json(details) == {
        "worklogs": [
            {
                "issue": "TS-1",
                "author": "acc-ann",
                "authorName": "admin",
                "started": "2014-02-24T21:03:48.589+04:00",
                "day": "2014-02-24",
                "seconds": 3600,
                "comment": "test 1",
            }
        ]
    }
    assert detail_to_json([]) == {"worklogs": []}
