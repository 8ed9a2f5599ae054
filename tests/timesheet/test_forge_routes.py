"""Every route the Forge page calls, invoked as Forge invokes it: a FIT and the viewer's token.

Each API and export route answers 200 as the invoking user (Jira sees that user's token, so
Jira's permissions apply); without the user token it answers 403 before Jira is called; the
Connect page route refuses a FIT with 401. Exports come back as JSON carrying the very file a
Connect download gives (see docs/timesheet-api.md).
"""

from __future__ import annotations

import base64
import csv
import io

import pytest
import requests

from tests.timesheet.sites import CONTRACT_OUTSIDER, CONTRACT_VIEWER

PERIOD = {"from": "2014-02-20", "to": "2014-04-10", "group": "project", "tz": "UTC"}
ROUTES = {
    "/timesheet/api/report": PERIOD,
    "/timesheet/api/worklogs": {**PERIOD, "row": "[]"},
    "/timesheet/export.csv": PERIOD,
    "/timesheet/export.xlsx": PERIOD,
}


@pytest.fixture
def fake_jira_site(contract_site):
    """The contract site: Lee browses ALPHA and BETA, Olu ALPHA only."""
    return contract_site


def _jira_calls(fake_jira):
    return [r for r in fake_jira.requests if r.direction == "received" and "/rest/" in r.path]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_route_answers_the_invoking_user(route, forge_invoke, fake_jira) -> None:
    fake_jira.clear_requests()
    response = forge_invoke(route, user=CONTRACT_VIEWER, params=ROUTES[route])
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    calls = _jira_calls(fake_jira)
    assert calls and {call.account_id for call in calls} == {CONTRACT_VIEWER}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_without_the_user_token_each_route_answers_403_and_calls_nothing(
    route, forge_invoke, fake_jira
) -> None:
    fake_jira.clear_requests()
    response = forge_invoke(
        route, user=CONTRACT_VIEWER, params=ROUTES[route], headers={"x-forge-oauth-user": None}
    )
    assert response.status_code == 403
    assert "error" in response.json()
    assert _jira_calls(fake_jira) == []


def test_the_connect_page_refuses_a_fit_with_401(forge_invoke, fake_jira) -> None:
    fake_jira.clear_requests()
    response = forge_invoke("/timesheet", user=CONTRACT_VIEWER)
    assert response.status_code == 401
    assert "error" in response.json()
    assert _jira_calls(fake_jira) == []


@pytest.mark.parametrize(
    ("suffix", "media_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_a_forge_export_is_the_connect_download_as_json(
    suffix, media_type, forge_invoke, installed_tenant, ack_server, fake_jira
) -> None:
    route = f"/timesheet/export.{suffix}"
    answer = forge_invoke(route, user=CONTRACT_VIEWER, params=PERIOD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert sorted(body) == ["content", "filename", "mediaType"]
    assert body["mediaType"] == media_type
    token = fake_jira.context_token(installed_tenant, CONTRACT_VIEWER)
    download = requests.get(
        ack_server.base_url + route, params={**PERIOD, "jwt": token}, timeout=30
    )
    assert download.status_code == 200
    assert f'filename="{body["filename"]}"' in download.headers["Content-Disposition"]
    content = base64.b64decode(body["content"], validate=True)
    if suffix == "csv":
        assert content == download.content
    else:
        assert content[:2] == b"PK" and abs(len(content) - len(download.content)) < 64


def test_a_viewer_without_access_gets_none_of_that_project_through_forge(forge_invoke) -> None:
    answer = forge_invoke("/timesheet/export.csv", user=CONTRACT_OUTSIDER, params=PERIOD)
    text = base64.b64decode(answer.json()["content"]).decode("utf-8-sig")
    labels = [row[0] for row in csv.reader(io.StringIO(text))]
    assert labels == ["Project", "ALPHA: Alpha", "Total"]
    report = forge_invoke("/timesheet/api/report", user=CONTRACT_OUTSIDER, params=PERIOD).json()
    assert [row["key"] for row in report["rows"]] == [["ALPHA"]]
