"""The cell detail fetches only what its cell needs, over HTTP against the fake Jira site.

A year's report with every issue heavier than a search embeds: opening one cell must not fetch
the year again. An issue row asks for that issue's worklogs of the cell's days only; any other
row searches with the row's values and the cell's days.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests

from atlassian_connect_kit.testing.fakejira import SiteData
from tests.timesheet import sites

YEAR = {"from": "2025-01-01", "to": "2025-12-31", "tz": "UTC"}


@pytest.fixture
def fake_jira_site() -> SiteData:
    """A year of work on twelve heavy issues (:func:`sites.year_site`)."""
    return sites.year_site()


def _get(ack_server, fake_jira, app, path, **params):
    token = fake_jira.context_token(app, sites.YEAR_ANN)
    response = requests.get(
        f"{ack_server.base_url}{path}",
        params=params,
        headers={"Authorization": f"JWT {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _rest_calls(fake_jira):
    return [record for record in fake_jira.requests if record.path.startswith("/rest/")]


def _cell(report, row_key, column):
    row = next(row for row in report["rows"] if row["key"] == row_key)
    return row["cells"].get(column, 0) if column else row["total"]


def test_an_issue_cell_fetches_that_issues_worklogs_of_that_day_only(
    installed_tenant, ack_server, fake_jira
):
    params = {**YEAR, "group": "issue", "tz": "viewer"}
    report = _get(ack_server, fake_jira, installed_tenant, "/timesheet/api/report", **params)
    column = "2025-03-10"
    row_key = next(row["key"] for row in report["rows"] if row["cells"].get(column))
    fake_jira.clear_requests()
    detail = _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/worklogs",
        row=f'["{row_key[0]}"]',
        column=column,
        **params,
    )
    assert sum(worklog["seconds"] for worklog in detail["worklogs"]) == _cell(
        report, row_key, column
    )
    assert {worklog["issue"] for worklog in detail["worklogs"]} == {row_key[0]}
    calls = _rest_calls(fake_jira)
    assert len(calls) <= 3, [f"{c.method} {c.path}" for c in calls]
    [worklog_call] = [c for c in calls if c.path.endswith("/worklog")]
    query = parse_qs(worklog_call.query)
    after, before = int(query["startedAfter"][0]), int(query["startedBefore"][0])
    # The window covers the cell's day in every zone (UTC-12..UTC+14) and not much more.
    assert before - after <= 4 * 86_400_000


def test_a_user_cell_searches_that_users_issues_around_that_day(
    installed_tenant, ack_server, fake_jira
):
    params = {**YEAR, "group": "user,project"}
    report = _get(ack_server, fake_jira, installed_tenant, "/timesheet/api/report", **params)
    fake_jira.clear_requests()
    _get(ack_server, fake_jira, installed_tenant, "/timesheet/api/report", **params)
    whole_year = len(_rest_calls(fake_jira))
    column = "2025-06-15"
    for row_key in ([sites.YEAR_BEN], [sites.YEAR_BEN, "BETA"], []):
        fake_jira.clear_requests()
        detail = _get(
            ack_server,
            fake_jira,
            installed_tenant,
            "/timesheet/api/worklogs",
            row=str(row_key).replace("'", '"'),
            column=column,
            **params,
        )
        expected = _cell(report, row_key, column) if row_key else report["totals"].get(column, 0)
        assert sum(worklog["seconds"] for worklog in detail["worklogs"]) == expected
        calls = _rest_calls(fake_jira)
        paged = [c for c in calls if c.path.endswith("/worklog")]
        # Only the few issues with work near that day are paged, each for those days only.
        assert len(paged) <= 5 < 12, [c.path for c in paged]
        assert len(calls) < whole_year
        for call in paged:
            query = parse_qs(call.query)
            assert int(query["startedBefore"][0]) - int(query["startedAfter"][0]) <= 4 * 86_400_000


def test_a_row_total_of_an_issue_searches_the_whole_period_for_that_issue(
    installed_tenant, ack_server, fake_jira
):
    params = {**YEAR, "group": "parent,issue"}
    report = _get(ack_server, fake_jira, installed_tenant, "/timesheet/api/report", **params)
    fake_jira.clear_requests()
    detail = _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/worklogs",
        row='["ALPHA-1", "ALPHA-3"]',
        **params,
    )
    assert sum(w["seconds"] for w in detail["worklogs"]) == _cell(
        report, ["ALPHA-1", "ALPHA-3"], None
    )
    assert len(_rest_calls(fake_jira)) <= 3
    # A row without a parent is searched as "parent IS EMPTY"; an issue type row by its name.
    no_parent = _get(
        ack_server, fake_jira, installed_tenant, "/timesheet/api/worklogs", row="[null]", **params
    )
    assert sum(w["seconds"] for w in no_parent["worklogs"]) == _cell(report, [None], None)
    by_type = {**YEAR, "group": "issuetype"}
    typed = _get(ack_server, fake_jira, installed_tenant, "/timesheet/api/report", **by_type)
    bugs = _get(
        ack_server, fake_jira, installed_tenant, "/timesheet/api/worklogs", row='["Bug"]', **by_type
    )
    assert sum(w["seconds"] for w in bugs["worklogs"]) == _cell(typed, ["Bug"], None)
    assert {w["issue"].split("-")[0] for w in bugs["worklogs"]} == {"BETA"}
