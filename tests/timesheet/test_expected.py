"""Expected hours over HTTP against the fake Jira site: the working week as an app property an
administrator sets, days off as the viewer's own user property, expected next to logged hours in
the JSON and both exports, and not a row of it in our database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
import requests

from atlassian_connect_kit.testing.fakejira import SiteData
from tests.timesheet.sites import admin_site

ADA = "5b10a2844c20165700ede711"  # a Jira administrator
LEE = "5b10a2844c20165700ede712"
OLU = "5b10a2844c20165700ede713"
WORKWEEK = "/timesheet/api/workweek"
DAYSOFF = "/timesheet/api/daysoff"
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


def _call(method, ack_server, fake_jira, app, viewer, path, *, params=None, body=None):
    token = fake_jira.context_token(app, viewer)
    return requests.request(
        method,
        f"{ack_server.base_url}{path}",
        params=params,
        json=body,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def _setup_week_and_days_off(ack_server, fake_jira, app):
    _ok(_call("PUT", ack_server, fake_jira, app, ADA, WORKWEEK, body={"hours": SHORT_FRIDAY}))
    _ok(_call("PUT", ack_server, fake_jira, app, LEE, DAYSOFF, body={"days": [SECRET_DAY]}))


def test_an_administrator_sets_the_sites_working_week_as_the_app(
    installed_tenant, ack_server, fake_jira
):
    before = _ok(_call("GET", ack_server, fake_jira, installed_tenant, LEE, WORKWEEK))
    assert before == {
        "hours": {"mon": 8, "tue": 8, "wed": 8, "thu": 8, "fri": 8, "sat": 0, "sun": 0},
        "default": True,
        "canEdit": False,
    }
    fake_jira.clear_requests()
    answer = _ok(
        _call(
            "PUT",
            ack_server,
            fake_jira,
            installed_tenant,
            ADA,
            WORKWEEK,
            body={"hours": {**SHORT_FRIDAY, "fri": 4.5}},
        )
    )
    assert answer["hours"]["fri"] == 4.5 and answer["default"] is False
    [asked] = [r for r in fake_jira.requests if r.path == "/rest/api/3/mypermissions"]
    assert (asked.acting_as, asked.account_id) == ("user", ADA)
    [write] = [r for r in fake_jira.requests if r.method == "PUT"]
    assert write.path.endswith("/properties/smart-timesheet-working-week")
    assert write.acting_as == "app"
    # Everyone reads it; only the administrator is told they may change it.
    seen = _ok(_call("GET", ack_server, fake_jira, installed_tenant, LEE, WORKWEEK))
    assert seen["hours"]["fri"] == 4.5 and seen["default"] is False and seen["canEdit"] is False
    assert _ok(_call("GET", ack_server, fake_jira, installed_tenant, ADA, WORKWEEK))["canEdit"]


def test_someone_else_gets_403_and_nothing_is_written(installed_tenant, ack_server, fake_jira):
    fake_jira.clear_requests()
    refused = _call(
        "PUT",
        ack_server,
        fake_jira,
        installed_tenant,
        LEE,
        WORKWEEK,
        body={"hours": SHORT_FRIDAY},
    )
    assert refused.status_code == 403 and refused.json()["parameter"] == "hours"
    assert not [r for r in fake_jira.requests if r.method in ("PUT", "DELETE")]
    assert _ok(_call("GET", ack_server, fake_jira, installed_tenant, ADA, WORKWEEK))["default"]


@pytest.mark.parametrize(
    ("path", "body", "parameter"),
    [
        (WORKWEEK, {"hours": {**SHORT_FRIDAY, "mon": 25}}, "hours"),
        (WORKWEEK, {"hours": {**SHORT_FRIDAY, "mon": "8"}}, "hours"),
        (WORKWEEK, {"hours": {**SHORT_FRIDAY, "mon": True}}, "hours"),
        (WORKWEEK, {"hours": {"mon": 8}}, "hours"),
        (WORKWEEK, {"hours": {**SHORT_FRIDAY, "someday": 1}}, "hours"),
        (WORKWEEK, [8, 8, 8, 8, 8, 0, 0], "hours"),
        (DAYSOFF, {"days": ["2025-02-30"]}, "days"),
        (DAYSOFF, {"days": ["5 March"]}, "days"),
        (DAYSOFF, {"days": "2025-03-05"}, "days"),
    ],
)
def test_bad_settings_are_refused_naming_their_field(
    installed_tenant, ack_server, fake_jira, path, body, parameter
):
    fake_jira.clear_requests()
    response = _call("PUT", ack_server, fake_jira, installed_tenant, ADA, path, body=body)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter
    assert not [r for r in fake_jira.requests if r.method == "PUT"]


def test_a_person_sets_their_own_days_off_as_themselves(installed_tenant, ack_server, fake_jira):
    fake_jira.clear_requests()
    days = ["2025-12-26", "2025-12-24", "2025-12-24"]
    answer = _ok(
        _call("PUT", ack_server, fake_jira, installed_tenant, LEE, DAYSOFF, body={"days": days})
    )
    assert answer == {"days": ["2025-12-24", "2025-12-26"]}
    [write] = [r for r in fake_jira.requests if r.method == "PUT"]
    assert write.path == "/rest/api/3/user/properties/smart-timesheet-days-off"
    assert (write.acting_as, write.account_id) == ("user", LEE)
    assert fake_jira.user_property(LEE, "smart-timesheet-days-off") == answer
    assert _ok(_call("GET", ack_server, fake_jira, installed_tenant, LEE, DAYSOFF)) == answer
    # Someone else's list is their own.
    assert _ok(_call("GET", ack_server, fake_jira, installed_tenant, OLU, DAYSOFF)) == {"days": []}


def test_jiras_32_kb_limit_on_days_off_gives_a_clear_error(installed_tenant, ack_server, fake_jira):
    days = [f"{year}-{month:02d}-{day:02d}" for year in range(2000, 2010) for month in range(1, 13)
            for day in range(1, 29)]  # fmt: skip
    response = _call(
        "PUT", ack_server, fake_jira, installed_tenant, LEE, DAYSOFF, body={"days": days}
    )
    assert response.status_code == 400 and response.json()["parameter"] == "days"
    assert "32 KB" in response.json()["error"]
    assert fake_jira.user_property(LEE, "smart-timesheet-days-off") is None


def test_the_report_shows_expected_next_to_logged_hours(installed_tenant, ack_server, fake_jira):
    _setup_week_and_days_off(ack_server, fake_jira, installed_tenant)
    report = _ok(
        _call(
            "GET",
            ack_server,
            fake_jira,
            installed_tenant,
            LEE,
            "/timesheet/api/report",
            params={**WEEK, "expected": "1"},
        )
    )
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
    assert report["expectedTotals"]["2025-03-05"] == 8 * HOUR
    assert report["expectedTotal"] == 64 * HOUR
    # Without the parameter the report is as before.
    plain = _ok(
        _call(
            "GET",
            ack_server,
            fake_jira,
            installed_tenant,
            LEE,
            "/timesheet/api/report",
            params=WEEK,
        )
    )
    assert "expectedTotal" not in plain and "expected" not in plain["rows"][0]
    # Weekly columns sum the same days.
    weekly = _ok(
        _call(
            "GET",
            ack_server,
            fake_jira,
            installed_tenant,
            LEE,
            "/timesheet/api/report",
            params={**WEEK, "expected": "1", "columns": "week"},
        )
    )
    assert weekly["expectedTotals"] == {"2025-03-03": 64 * HOUR}


@pytest.mark.parametrize(
    "params",
    [
        {"expected": "1", "group": "project"},
        {"expected": "maybe"},
        {"expected": "1", "pivot": "project"},
    ],
)
def test_expected_needs_rows_of_people(installed_tenant, ack_server, fake_jira, params):
    response = _call(
        "GET",
        ack_server,
        fake_jira,
        installed_tenant,
        LEE,
        "/timesheet/api/report",
        params={**WEEK, **params},
    )
    assert response.status_code == 400 and response.json()["parameter"] == "expected"


def test_both_exports_carry_expected_and_logged_hours(installed_tenant, ack_server, fake_jira):
    _setup_week_and_days_off(ack_server, fake_jira, installed_tenant)
    params = {**WEEK, "expected": "1"}
    token = fake_jira.context_token(installed_tenant, LEE)
    csv_response = requests.get(
        f"{ack_server.base_url}/timesheet/export.csv", params={**params, "jwt": token}, timeout=30
    )
    assert csv_response.status_code == 200
    lines = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    header = lines[0]
    by_level = {}
    for line in lines[1:]:
        by_level.setdefault(line[-1], []).append(line)
    assert [line[0] for line in by_level["row"]] == ["Lee Lead", "Olu Other"]
    assert [line[0] for line in by_level["expected"]] == ["Lee Lead", "Olu Other"]
    lee_logged, lee_expected = by_level["row"][0], by_level["expected"][0]
    # The expected line follows its person's line; numbers stay plain decimals.
    assert lines.index(lee_expected) == lines.index(lee_logged) + 1
    assert lee_expected[header.index("2025-03-07")] == "4.00"
    assert lee_expected[header.index("2025-03-05")] == ""
    assert lee_expected[header.index("Total")] == "28.00"
    assert lee_logged[header.index("Total")] == "12.00"
    [expected_total] = by_level["expected-total"]
    assert expected_total[header.index("Total")] == "64.00"
    assert by_level["total"][0][header.index("Total")] == "20.00"

    xlsx_response = requests.get(
        f"{ack_server.base_url}/timesheet/export.xlsx",
        params=params,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert xlsx_response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    heading = list(values[0])
    assert heading[-2:] == ["Total", "Hours"]
    lines_by_kind = {(row[0], row[-1]): row for row in values[1:]}
    lee = lines_by_kind["Lee Lead", "expected"]
    assert lee[heading.index("Total")] == pytest.approx(28)
    assert lee[heading.index("2025-03-07")] == pytest.approx(4)
    assert isinstance(lee[heading.index("2025-03-03")], float | int)
    assert lines_by_kind["Lee Lead", "logged"][heading.index("Total")] == pytest.approx(12)
    assert lines_by_kind["Total", "expected"][heading.index("Total")] == pytest.approx(64)
    assert lines_by_kind["Total", "logged"][heading.index("Total")] == pytest.approx(20)


def test_expected_hours_leave_no_table_or_row_in_our_database(
    installed_tenant, ack_server, fake_jira, tmp_path, database_inventory
):
    database = tmp_path / "ack.sqlite"
    inventory = database_inventory
    before = inventory()
    _setup_week_and_days_off(ack_server, fake_jira, installed_tenant)
    _ok(
        _call(
            "GET",
            ack_server,
            fake_jira,
            installed_tenant,
            LEE,
            "/timesheet/api/report",
            params={**WEEK, "expected": "1"},
        )
    )
    assert inventory() == before
    assert SECRET_DAY.encode() not in database.read_bytes()
