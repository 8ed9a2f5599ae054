"""More dimensions over HTTP against the fake Jira site: components, fix versions, labels,
sprints and a custom field to group and filter by, and pivots (users or projects as columns)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import requests

from atlassian_connect_kit.testing.fakejira import (
    CustomField,
    Issue,
    Project,
    SiteData,
    User,
    Worklog,
)

ANN = "5b10a2844c20165700ede601"
BOB = "5b10a2844c20165700ede602"
BILLING = "customfield_10050"
WEEK = {"from": "2025-03-03", "to": "2025-03-09", "tz": "UTC"}


@pytest.fixture
def fake_jira_site() -> SiteData:
    """Four issues on two projects with components, versions, labels, sprints and a billing
    option; Ann and Bob log on them in one week."""
    both = frozenset({"ALPHA", "BETA"})
    users = [
        User(ANN, "Ann Archer", "ann@example.com", "UTC", project_keys=both),
        User(BOB, "Bob Baker", "bob@example.com", "UTC", project_keys=both),
    ]
    issues = [
        Issue(
            "20001",
            "ALPHA-1",
            "Login",
            "Story",
            "ALPHA",
            components=("Backend", "Frontend"),
            fix_versions=("1.0",),
            labels=("security",),
            sprints=("Sprint 7",),
            custom_values=((BILLING, "Billable"),),
        ),
        Issue(
            "20002",
            "ALPHA-2",
            "API",
            "Task",
            "ALPHA",
            components=("Backend",),
            fix_versions=("1.0", "1.1"),
            sprints=("Sprint 7", "Sprint 8"),
            custom_values=((BILLING, "Internal"),),
        ),
        Issue("20003", "ALPHA-3", "Chores", "Task", "ALPHA"),
        Issue(
            "20011",
            "BETA-1",
            "Beta work",
            "Bug",
            "BETA",
            components=("Frontend",),
            labels=("customer", "security"),
            sprints=("Sprint 8",),
            custom_values=((BILLING, "Billable"),),
        ),
    ]
    day = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    worklogs = [
        Worklog("30001", "20001", ANN, day, 3600),
        Worklog("30002", "20002", ANN, day, 1800),
        Worklog("30003", "20002", BOB, day.replace(day=5), 7200),
        Worklog("30004", "20003", BOB, day, 900),
        Worklog("30005", "20011", BOB, day.replace(day=6), 5400),
    ]
    return SiteData(
        users=users,
        projects=[Project("10000", "ALPHA", "Alpha"), Project("10001", "BETA", "Beta")],
        issues=issues,
        worklogs=worklogs,
        custom_fields=[CustomField(BILLING, "Billing")],
    )


def _get(ack_server, fake_jira, app, path, **params):
    token = fake_jira.context_token(app, ANN)
    return requests.get(
        f"{ack_server.base_url}{path}",
        params=params,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )


def _rows(ack_server, fake_jira, app, **params):
    response = _get(ack_server, fake_jira, app, "/timesheet/api/report", **WEEK, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    return {tuple(row["key"]): row["total"] for row in body["rows"]}, body


@pytest.mark.parametrize(
    ("group", "more", "expected"),
    [
        (
            "component",
            {},
            {("Backend",): 9000, ("Backend, Frontend",): 3600, ("Frontend",): 5400, (None,): 900},
        ),
        ("fixversion", {}, {("1.0",): 3600, ("1.0, 1.1",): 9000, (None,): 6300}),
        ("label", {}, {("security",): 3600, ("customer, security",): 5400, (None,): 9900}),
        (
            "sprint",
            {},
            {("Sprint 7",): 3600, ("Sprint 7, Sprint 8",): 9000, ("Sprint 8",): 5400, (None,): 900},
        ),
        ("field", {"field": BILLING}, {("Billable",): 9000, ("Internal",): 9000, (None,): 900}),
    ],
)
def test_group_by_components_versions_labels_sprints_and_a_custom_field(
    installed_tenant, ack_server, fake_jira, group, more, expected
):
    rows, report = _rows(ack_server, fake_jira, installed_tenant, group=group, **more)
    assert rows == expected
    # Each worklog is in one row: the rows add up to the total.
    assert sum(rows.values()) == report["total"] == 18900
    labels = {row["labels"][0] for row in report["rows"] if row["key"] == [None]}
    assert labels <= {"No component", "No fix version", "No label", "No sprint", "No value"}
    # Every cell opens its worklogs.
    for row in report["rows"]:
        detail = _get(
            ack_server,
            fake_jira,
            installed_tenant,
            "/timesheet/api/worklogs",
            **WEEK,
            group=group,
            row=str(row["key"]).replace("'", '"').replace("None", "null"),
            **more,
        )
        assert sum(w["seconds"] for w in detail.json()["worklogs"]) == row["total"]


def test_filters_by_name_keep_issues_with_any_of_them(installed_tenant, ack_server, fake_jira):
    by_component, _ = _rows(
        ack_server, fake_jira, installed_tenant, group="issue", component="Frontend"
    )
    assert set(by_component) == {("ALPHA-1",), ("BETA-1",)}
    two, _ = _rows(
        ack_server, fake_jira, installed_tenant, group="issue", label=["customer", "security"]
    )
    assert set(two) == {("ALPHA-1",), ("BETA-1",)}
    version, _ = _rows(ack_server, fake_jira, installed_tenant, group="issue", fixversion="1.1")
    assert set(version) == {("ALPHA-2",)}
    sprint, _ = _rows(ack_server, fake_jira, installed_tenant, group="user", sprint="Sprint 8")
    assert sprint == {(ANN,): 1800, (BOB,): 7200 + 5400}
    billable, _ = _rows(
        ack_server, fake_jira, installed_tenant, group="issue", field=BILLING, fieldvalue="Billable"
    )
    assert set(billable) == {("ALPHA-1",), ("BETA-1",)}
    missing = _get(
        ack_server, fake_jira, installed_tenant, "/timesheet/api/report", **WEEK, group="field"
    )
    assert missing.status_code == 400 and missing.json()["parameter"] == "field"


def test_a_pivot_makes_the_people_or_projects_the_columns(installed_tenant, ack_server, fake_jira):
    _, report = _rows(ack_server, fake_jira, installed_tenant, group="issue", pivot="user")
    assert report["columns"] == [
        {"key": ANN, "label": "Ann Archer"},
        {"key": BOB, "label": "Bob Baker"},
    ]
    alpha2 = next(row for row in report["rows"] if row["key"] == ["ALPHA-2"])
    assert alpha2["cells"] == {ANN: 1800, BOB: 7200}
    assert report["totals"] == {ANN: 5400, BOB: 13500}
    detail = _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/worklogs",
        **WEEK,
        group="issue",
        pivot="user",
        row='["ALPHA-2"]',
        column=BOB,
    )
    assert [w["seconds"] for w in detail.json()["worklogs"]] == [7200]
    _, projects = _rows(
        ack_server, fake_jira, installed_tenant, group="user", pivot="project", sort="BETA"
    )
    assert [column["key"] for column in projects["columns"]] == ["ALPHA", "BETA"]
    assert [row["key"] for row in projects["rows"]] == [[BOB], [ANN]]  # most BETA time first
    token = fake_jira.context_token(installed_tenant, ANN)
    exported = requests.get(
        f"{ack_server.base_url}/timesheet/export.csv",
        params={**WEEK, "group": "issue", "pivot": "user", "jwt": token},
        timeout=30,
    )
    header = next(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert header == ["Issue", "Ann Archer", "Bob Baker", "Total", "Level"]
    same = _get(
        ack_server, fake_jira, installed_tenant, "/timesheet/api/report", **WEEK, pivot="user"
    )
    assert same.status_code == 400 and same.json()["parameter"] == "pivot"
