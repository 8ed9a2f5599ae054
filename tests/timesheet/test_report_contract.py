"""The Timesheet's public output, byte for byte: JSON API, cell detail, CSV and XLSX.

``data/report_contract.json`` holds what the report path answered for :func:`contract_site`
before its engine was split into typed modules (captured from that code, then committed). Every
case is asked again over HTTP and must come back identical: the same bytes of JSON (key order
and number formatting included), the same CSV bytes, the same workbook parts. A change here is a
change of the public contract (docs/timesheet-api.md) and needs a migration note, not a new file.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests

from atlassian_connect_kit.testing.fakejira import SiteData
from tests.timesheet.sites import CONTRACT_OUTSIDER, CONTRACT_VIEWER

GOLDEN = Path(__file__).parent / "data" / "report_contract.json"
REPORT = "/timesheet/api/report"
WORKLOGS = "/timesheet/api/worklogs"
CSV = "/timesheet/export.csv"
XLSX = "/timesheet/export.xlsx"
MARIA = "5b10a2844c20165700ede301"
HOWE = "5b10a2844c20165700ede307"
# The workbook's creation time is the one part that changes from run to run.
XLSX_VOLATILE_PARTS = frozenset({"docProps/core.xml"})

TWO_WEEKS = {"from": "2014-02-24", "to": "2014-03-09"}
SEVEN_WEEKS = {"from": "2014-02-20", "to": "2014-04-10"}
THREE_MONTHS = {"from": "2014-02-01", "to": "2014-04-30"}
CASES: dict[str, tuple[str, str, dict[str, str]]] = {
    "day-user-viewer": (REPORT, CONTRACT_VIEWER, {**TWO_WEEKS}),
    "day-user-author": (REPORT, CONTRACT_VIEWER, {**TWO_WEEKS, "tz": "author"}),
    "day-user-outsider": (REPORT, CONTRACT_OUTSIDER, {**TWO_WEEKS}),
    "week-project-user-kolkata": (
        REPORT,
        CONTRACT_VIEWER,
        {**SEVEN_WEEKS, "columns": "week", "group": "project,user", "tz": "Asia/Kolkata"},
    ),
    "week-sunday-parent-chatham": (
        REPORT,
        CONTRACT_VIEWER,
        {
            **SEVEN_WEEKS,
            "columns": "week",
            "week_start": "sunday",
            "group": "parent",
            "tz": "Pacific/Chatham",
        },
    ),
    "week-saturday-parent-issuetype-total": (
        REPORT,
        CONTRACT_VIEWER,
        {
            **SEVEN_WEEKS,
            "columns": "week",
            "week_start": "saturday",
            "group": "parent,issuetype",
            "sort": "total",
        },
    ),
    "month-issue-total-new-york": (
        REPORT,
        CONTRACT_VIEWER,
        {
            **THREE_MONTHS,
            "columns": "month",
            "group": "issue",
            "sort": "total",
            "tz": "America/New_York",
        },
    ),
    "month-issuetype-user-author-outsider": (
        REPORT,
        CONTRACT_OUTSIDER,
        {**THREE_MONTHS, "columns": "month", "group": "issuetype,user", "tz": "author"},
    ),
    "day-user-issue-filtered-moscow": (
        REPORT,
        CONTRACT_VIEWER,
        {
            "from": "2014-03-25",
            "to": "2014-04-02",
            "group": "user,issue",
            "project": "ALPHA",
            "user": f"{MARIA},5b10a2844c20165700ede302",
            "tz": "Europe/Moscow",
        },
    ),
    "day-project-jql": (
        REPORT,
        CONTRACT_VIEWER,
        {**TWO_WEEKS, "group": "project", "jql": "parent = ALPHA-1 OR summary ~ beta"},
    ),
    "day-user-project-author-lord-howe": (
        REPORT,
        CONTRACT_VIEWER,
        {"from": "2014-04-01", "to": "2014-04-10", "group": "user,project", "tz": "author"},
    ),
    "empty-range": (REPORT, CONTRACT_VIEWER, {"from": "2015-01-01", "to": "2015-01-07"}),
    "cell-user-day": (
        WORKLOGS,
        CONTRACT_VIEWER,
        {**TWO_WEEKS, "row": json.dumps([MARIA]), "column": "2014-03-01"},
    ),
    "cell-subtotal-week": (
        WORKLOGS,
        CONTRACT_VIEWER,
        {
            **SEVEN_WEEKS,
            "columns": "week",
            "group": "project,user",
            "row": json.dumps(["ALPHA"]),
            "column": "2014-03-10",
        },
    ),
    "cell-grand-total": (WORKLOGS, CONTRACT_VIEWER, {**TWO_WEEKS, "row": "[]"}),
    "cell-author-row-total": (
        WORKLOGS,
        CONTRACT_VIEWER,
        {"from": "2014-04-01", "to": "2014-04-10", "tz": "author", "row": json.dumps([HOWE])},
    ),
    "cell-no-parent": (
        WORKLOGS,
        CONTRACT_VIEWER,
        {**TWO_WEEKS, "group": "parent", "row": "[null]", "column": "2014-03-03"},
    ),
    "csv-day-user": (CSV, CONTRACT_VIEWER, {**TWO_WEEKS}),
    "csv-week-project-user-total": (
        CSV,
        CONTRACT_VIEWER,
        {**SEVEN_WEEKS, "columns": "week", "group": "project,user", "sort": "total"},
    ),
    "xlsx-day-user": (XLSX, CONTRACT_VIEWER, {**TWO_WEEKS}),
    "xlsx-month-parent-issue": (
        XLSX,
        CONTRACT_VIEWER,
        {**THREE_MONTHS, "columns": "month", "group": "parent,issue", "tz": "author"},
    ),
}


@pytest.fixture
def fake_jira_site(contract_site: SiteData) -> SiteData:
    """The fake Jira serves the contract site."""
    return contract_site


def answer(response: requests.Response) -> dict[str, Any]:
    """What a client sees of one response: status, type, download name and body."""
    seen: dict[str, Any] = {
        "status": response.status_code,
        "content_type": response.headers.get("Content-Type"),
        "content_disposition": response.headers.get("Content-Disposition"),
    }
    if response.headers.get("Content-Type", "").startswith("application/vnd.openxml"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as workbook:
            seen["parts"] = {
                name: workbook.read(name).decode("utf-8")
                for name in sorted(workbook.namelist())
                if name not in XLSX_VOLATILE_PARTS
            }
    else:
        seen["body"] = response.content.decode("utf-8")
    return seen


def test_the_report_path_answers_exactly_as_before(
    installed_tenant: Any, ack_server: Any, fake_jira: Any, tmp_path: Path
) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = {}
    for name, (path, viewer, query) in CASES.items():
        token = fake_jira.context_token(installed_tenant, viewer)
        response = requests.get(
            f"{ack_server.base_url}{path}",
            params=query,
            headers={"Authorization": f"JWT {token}"},
            timeout=30,
        )
        assert response.status_code == 200, (name, response.text)
        got[name] = answer(response)
    differing = [name for name in sorted({*CASES, *golden}) if got.get(name) != golden.get(name)]
    if differing:
        written = tmp_path / "report_contract.json"
        written.write_text(json.dumps(got, indent=1, ensure_ascii=False), encoding="utf-8")
        pytest.fail(f"answers differ from {GOLDEN.name} for {differing}; got: {written}")
