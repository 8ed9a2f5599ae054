"""Expected hours through Forge, over HTTP against the fake Jira site: the Forge page's calls
reach the same URLs with a Forge Invocation Token; the working week is a Forge app property
written with the app system token once Jira has said, as the viewer, that they administer Jira;
days off are the viewer's user property written with the app user token; and our database keeps
none of it."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from atlassian_connect_kit.testing.fakejira import SiteData
from tests.timesheet.sites import admin_site

ADA = "5b10a2844c20165700ede901"  # a Jira administrator
LEE = "5b10a2844c20165700ede902"
OLU = "5b10a2844c20165700ede903"
WORKWEEK = "/timesheet/api/workweek"
DAYSOFF = "/timesheet/api/daysoff"
WEEK_PROPERTY = "smart-timesheet-working-week"
DAYS_PROPERTY = "smart-timesheet-days-off"
HOUR = 3600
# Monday 3 to Sunday 9 March 2025, long past: every day of it counts.
WEEK = {"from": "2025-03-03", "to": "2025-03-09", "tz": "UTC"}
SHORT_FRIDAY = {"mon": 8, "tue": 8, "wed": 8, "thu": 8, "fri": 4, "sat": 0, "sun": 0}
SECRET_DAY = "2025-03-05"


LOGGED = [
    (LEE, datetime(2025, 3, 4, 9, tzinfo=UTC), 10 * HOUR),
    (LEE, datetime(2025, 3, 7, 9, tzinfo=UTC), 2 * HOUR),
    (OLU, datetime(2025, 3, 3, 9, tzinfo=UTC), 8 * HOUR),
]


@pytest.fixture
def fake_jira_site() -> SiteData:
    """Three people, one of them a Jira administrator; Lee and Olu log a little work."""
    return admin_site(ADA, LEE, OLU, LOGGED)


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def _writes(fake_jira):
    return [
        r
        for r in fake_jira.requests
        if r.direction == "received" and r.method in ("PUT", "DELETE") and "/rest/" in r.path
    ]


def _property_reads(fake_jira, key):
    return [
        r
        for r in fake_jira.requests
        if r.direction == "received" and r.method == "GET" and r.path.endswith(f"/{key}")
    ]


def test_an_administrator_sets_the_working_week_in_forges_app_property(
    forge_invoke, fake_jira, forge_installation
):
    before = _ok(forge_invoke(WORKWEEK, user=LEE))
    assert before["default"] is True and before["canEdit"] is False
    fake_jira.clear_requests()
    answer = _ok(forge_invoke(WORKWEEK, user=ADA, method="PUT", json={"hours": SHORT_FRIDAY}))
    assert answer["hours"] == SHORT_FRIDAY and answer["default"] is False
    # Jira was asked as the viewer; the app wrote Forge's app property with the system token.
    [asked] = [r for r in fake_jira.requests if r.path.endswith("/rest/api/3/mypermissions")]
    assert (asked.acting_as, asked.account_id) == ("user", ADA)
    [write] = _writes(fake_jira)
    assert write.path.endswith(f"/rest/forge/1/app/properties/{WEEK_PROPERTY}")
    assert (write.acting_as, write.account_id) == ("app", None)
    assert fake_jira.forge_app_property(forge_installation, WEEK_PROPERTY) == {
        "hours": SHORT_FRIDAY
    }
    # Everyone reads it; only the administrator is told they may change it.
    seen = _ok(forge_invoke(WORKWEEK, user=OLU))
    assert seen == {"hours": SHORT_FRIDAY, "default": False, "canEdit": False}
    assert _ok(forge_invoke(WORKWEEK, user=ADA))["canEdit"] is True


def test_someone_else_gets_403_through_forge_and_nothing_is_written(
    forge_invoke, fake_jira, forge_installation
):
    fake_jira.clear_requests()
    refused = forge_invoke(WORKWEEK, user=LEE, method="PUT", json={"hours": SHORT_FRIDAY})
    assert refused.status_code == 403, refused.text
    assert refused.json()["parameter"] == "hours"
    assert _writes(fake_jira) == []
    assert fake_jira.forge_app_property(forge_installation, WEEK_PROPERTY) is None
    assert _ok(forge_invoke(WORKWEEK, user=ADA))["default"] is True


def test_days_off_are_the_viewers_user_property_written_with_their_token(
    forge_invoke, fake_jira, forge_installation
):
    fake_jira.clear_requests()
    days = ["2025-12-26", "2025-12-24"]
    answer = _ok(forge_invoke(DAYSOFF, user=LEE, method="PUT", json={"days": days}))
    assert answer == {"days": ["2025-12-24", "2025-12-26"]}
    [write] = _writes(fake_jira)
    assert write.path.endswith(f"/rest/api/3/user/properties/{DAYS_PROPERTY}")
    assert (write.acting_as, write.account_id) == ("user", LEE)
    assert fake_jira.user_property(LEE, DAYS_PROPERTY) == answer
    assert _ok(forge_invoke(DAYSOFF, user=LEE)) == answer
    # Someone else's list is their own; nothing went to the app's properties.
    assert _ok(forge_invoke(DAYSOFF, user=OLU)) == {"days": []}
    assert fake_jira.forge_app_property(forge_installation, DAYS_PROPERTY) is None
    bad = forge_invoke(DAYSOFF, user=LEE, method="PUT", json={"days": ["5 March"]})
    assert bad.status_code == 400 and bad.json()["parameter"] == "days"


def test_the_report_through_forge_shows_expected_next_to_logged_hours(
    forge_invoke, fake_jira, forge_installation
):
    _ok(forge_invoke(WORKWEEK, user=ADA, method="PUT", json={"hours": SHORT_FRIDAY}))
    _ok(forge_invoke(DAYSOFF, user=LEE, method="PUT", json={"days": [SECRET_DAY]}))
    fake_jira.clear_requests()
    report = _ok(forge_invoke("/timesheet/api/report", user=LEE, params={**WEEK, "expected": "1"}))
    rows = {row["key"][0]: row for row in report["rows"]}
    # Lee: Mon, Tue, Thu 8 h and Fri 4 h (Wednesday off); Olu: the whole 36 h week.
    assert rows[LEE]["expected"] == {
        "2025-03-03": 8 * HOUR,
        "2025-03-04": 8 * HOUR,
        "2025-03-06": 8 * HOUR,
        "2025-03-07": 4 * HOUR,
    }
    assert rows[LEE]["expectedTotal"] == 28 * HOUR and rows[LEE]["total"] == 12 * HOUR
    assert rows[OLU]["expectedTotal"] == 36 * HOUR and rows[OLU]["total"] == 8 * HOUR
    assert report["expectedTotal"] == 64 * HOUR
    # The week came from Forge's app property; the viewer's days off were read with their own
    # token, another person's with the system token.
    [week_read] = _property_reads(fake_jira, WEEK_PROPERTY)
    assert "/rest/forge/1/app/properties/" in week_read.path and week_read.acting_as == "app"
    readers = {
        (r.acting_as, r.account_id, parse_qs(r.query)["accountId"][0])
        for r in _property_reads(fake_jira, DAYS_PROPERTY)
    }
    assert readers == {("user", LEE, LEE), ("app", None, OLU)}
    # Another viewer sees the same expected hours.
    other = _ok(forge_invoke("/timesheet/api/report", user=OLU, params={**WEEK, "expected": "1"}))
    assert other["expectedTotal"] == 64 * HOUR


def test_expected_hours_through_forge_leave_no_table_or_row_in_our_database(
    forge_invoke, tmp_path, database_inventory
):
    database = tmp_path / "ack.sqlite"
    inventory = database_inventory
    # The first invocation records the pure Forge installation (its identity); then nothing more.
    _ok(forge_invoke(WORKWEEK, user=OLU))
    before = inventory()
    _ok(forge_invoke(WORKWEEK, user=ADA, method="PUT", json={"hours": SHORT_FRIDAY}))
    _ok(forge_invoke(DAYSOFF, user=LEE, method="PUT", json={"days": [SECRET_DAY]}))
    _ok(forge_invoke("/timesheet/api/report", user=LEE, params={**WEEK, "expected": "1"}))
    assert inventory() == before
    assert SECRET_DAY.encode() not in database.read_bytes()


def test_when_jira_refuses_the_app_other_peoples_days_off_the_report_says_so(
    forge_invoke, fake_jira
):
    _ok(forge_invoke(DAYSOFF, user=OLU, method="PUT", json={"days": [SECRET_DAY]}))
    fake_jira.clear_requests()
    # Jira refuses the system token Olu's property; Lee's own token may not read it either.
    gateway = urlsplit(fake_jira.forge_api_base_url).path  # Forge calls go through it
    fake_jira.inject_failures(f"{gateway}/rest/api/3/user/properties/{DAYS_PROPERTY}", [403])
    params = {**WEEK, "expected": "1", "user": OLU}
    refused = forge_invoke("/timesheet/api/report", user=LEE, params=params)
    assert refused.status_code == 403, refused.text
    assert refused.json()["parameter"] == "expected"
    assert "days off" in refused.json()["error"] and SECRET_DAY not in refused.text
    tried = [
        (r.acting_as, r.account_id, parse_qs(r.query)["accountId"][0])
        for r in _property_reads(fake_jira, DAYS_PROPERTY)
    ]
    # The refused read (the injected answer names no caller), then Lee's own token.
    assert [account for _, _, account in tried] == [OLU, OLU]
    assert tried[1] == ("user", LEE, OLU)
    # Once Jira lets the app read it again, the same report counts Olu's day off.
    report = _ok(forge_invoke("/timesheet/api/report", user=LEE, params=params))
    assert report["expectedTotal"] == 32 * HOUR
