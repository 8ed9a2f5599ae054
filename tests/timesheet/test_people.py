"""People picker and groups as a filter, over HTTP against the fake Jira site.

The picker finds people as Jira lets the viewer find them and shows names while the report is
sent account ids; a group filters the report to its members, listed by Jira as the viewer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from atlassian_connect_kit.testing.fakejira import (
    Group,
    Issue,
    Project,
    SiteData,
    User,
    Worklog,
)

ADMIN = "5b10a2844c20165700ede501"  # Ada Admin, a Jira administrator
LEAD = "5b10a2844c20165700ede502"  # Lee Lead, not an administrator
DEV = "5b10a2844c20165700ede503"  # Dev Duarte
QA = "5b10a2844c20165700ede504"  # Quinn Ashe
GONE = "5b10a2844c20165700ede505"  # Gone Gray, inactive
DEVS = "7c0e4e5a-1111-4aaa-8bbb-000000000001"
EMPTY = "7c0e4e5a-1111-4aaa-8bbb-000000000002"
WEEK = {"from": "2025-03-03", "to": "2025-03-09", "tz": "UTC"}


@pytest.fixture
def fake_jira_site() -> SiteData:
    """Five people (one an administrator, one inactive), a developers group and an empty one."""
    everything = frozenset({"ALPHA"})
    users = [
        User(
            ADMIN,
            "Ada Admin",
            "ada@example.com",
            "UTC",
            project_keys=everything,
            administrator=True,
        ),
        User(LEAD, "Lee Lead", "lee@example.com", "UTC", project_keys=everything),
        User(DEV, "Dev Duarte", "dev@example.com", "UTC", project_keys=everything),
        User(QA, "Quinn Ashe", "quinn@example.com", "UTC", project_keys=everything),
        User(GONE, "Gone Gray", "gone@example.com", "UTC", active=False, project_keys=everything),
    ]
    issues = [Issue("20001", "ALPHA-1", "Work", "Task", "ALPHA")]
    day = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    worklogs = [
        Worklog(str(30000 + n), "20001", author, day, 3600 * (n + 1))
        for n, author in enumerate([LEAD, DEV, QA, GONE])
    ]
    groups = [
        Group(DEVS, "developers", frozenset({DEV, LEAD, GONE})),
        Group(EMPTY, "nobody-here", frozenset()),
    ]
    return SiteData(
        users=users,
        projects=[Project("10000", "ALPHA", "Alpha")],
        issues=issues,
        worklogs=worklogs,
        groups=groups,
    )


def _get(ack_server, fake_jira, app, path, viewer=ADMIN, **params):
    token = fake_jira.context_token(app, viewer)
    return requests.get(
        f"{ack_server.base_url}{path}",
        params=params,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )


def test_the_picker_finds_people_by_name_as_the_viewer(installed_tenant, ack_server, fake_jira):
    fake_jira.clear_requests()
    response = _get(
        ack_server, fake_jira, installed_tenant, "/timesheet/api/users", LEAD, query="qu"
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"users": [{"accountId": QA, "displayName": "Quinn Ashe"}]}
    [call] = [r for r in fake_jira.requests if r.path == "/rest/api/3/user/search"]
    assert call.acting_as == "user" and call.account_id == LEAD
    # Ids restored from a URL are shown by name.
    named = _get(
        ack_server, fake_jira, installed_tenant, "/timesheet/api/users", LEAD, accountId=[DEV, QA]
    )
    assert {user["displayName"] for user in named.json()["users"]} == {"Dev Duarte", "Quinn Ashe"}
    empty = _get(ack_server, fake_jira, installed_tenant, "/timesheet/api/users", LEAD, query="")
    assert empty.json() == {"users": []}
    bad = _get(
        ack_server, fake_jira, installed_tenant, "/timesheet/api/users", LEAD, accountId="a b"
    )
    assert bad.status_code == 400 and bad.json()["parameter"] == "accountId"


def test_the_group_picker_and_a_group_as_a_filter(installed_tenant, ack_server, fake_jira):
    groups = _get(ack_server, fake_jira, installed_tenant, "/timesheet/api/groups", query="DEV")
    assert groups.json() == {"groups": [{"groupId": DEVS, "name": "developers"}]}
    fake_jira.clear_requests()
    report = _get(
        ack_server, fake_jira, installed_tenant, "/timesheet/api/report", usergroup=DEVS, **WEEK
    )
    assert report.status_code == 200, report.text
    # Active members only (Jira lists no inactive ones by default): Lee and Dev, not Quinn.
    assert {row["key"][0] for row in report.json()["rows"]} == {LEAD, DEV}
    [call] = [r for r in fake_jira.requests if r.path == "/rest/api/3/group/member"]
    assert call.acting_as == "user" and call.account_id == ADMIN
    # A group and a person: either.
    both = _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/report",
        usergroup=DEVS,
        user=QA,
        **WEEK,
    )
    assert {row["key"][0] for row in both.json()["rows"]} == {LEAD, DEV, QA}
    # The cell detail applies the same filter.
    detail = _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/worklogs",
        usergroup=DEVS,
        row="[]",
        **WEEK,
    )
    assert {w["author"] for w in detail.json()["worklogs"]} == {LEAD, DEV}
    csv = _get(
        ack_server, fake_jira, installed_tenant, "/timesheet/export.csv", usergroup=DEVS, **WEEK
    )
    assert "Quinn" not in csv.content.decode("utf-8-sig") and "Dev Duarte" in csv.content.decode(
        "utf-8-sig"
    )


@pytest.mark.parametrize(
    ("viewer", "group", "status"),
    [
        (LEAD, DEVS, 403),  # Jira lets only administrators list members
        (ADMIN, EMPTY, 400),
        (ADMIN, "7c0e4e5a-1111-4aaa-8bbb-00000000dead", 400),
        (ADMIN, "not a group!", 400),
    ],
)
def test_a_group_that_cannot_filter_says_why(
    installed_tenant, ack_server, fake_jira, viewer, group, status
):
    response = _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/report",
        viewer,
        usergroup=group,
        **WEEK,
    )
    assert response.status_code == status, response.text
    assert response.json()["parameter"] == "usergroup"
    assert response.json()["error"].startswith("usergroup: ")
