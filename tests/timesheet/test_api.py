"""The Timesheet's JSON API and exports, served by the kit against the fake Jira site."""

import csv
import io
import logging
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
import requests
import time_machine

from atlassian_connect_kit.testing.fakejira import Issue, Project, SiteData, User, Worklog

MOSCOW = "5b10a2844c20165700ede21a"  # author in Europe/Moscow
HIDDEN = "5b10ac8d82e05b22cc7d4ef5"  # author whose zone is hidden
LEAD = "5b109f2e9729b51b54dc274d"  # viewer in ALPHA and BETA
OUTSIDER = "5b10a0effa615349cb016cd8"  # viewer in ALPHA only
SECRET_COMMENT = "Pairing on the confidential payroll migration"


@pytest.fixture
def ack_plugins():
    return ["smart_timesheet"]


@pytest.fixture
def fake_jira_site():
    users = [
        User(
            MOSCOW,
            "Мария Иванова",
            "maria@example.com",
            "Europe/Moscow",
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
        User(
            HIDDEN,
            "Zoë Ångström",
            "zoe@example.com",
            None,
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
        User(LEAD, "Lee Lead", "lee@example.com", "UTC", project_keys=frozenset({"ALPHA", "BETA"})),
        User(
            OUTSIDER,
            "Olu Outside",
            "olu@example.com",
            "America/New_York",
            project_keys=frozenset({"ALPHA"}),
        ),
    ]
    projects = [Project("10000", "ALPHA", "Alpha"), Project("10001", "BETA", "Beta")]
    issues = [
        Issue("20000", "ALPHA-1", "Epic of alpha", "Epic", "ALPHA"),
        Issue("20001", "ALPHA-2", "Build the thing", "Story", "ALPHA", parent_key="ALPHA-1"),
        Issue("20002", "BETA-1", "Secret beta work", "Task", "BETA"),
    ]
    worklogs = [
        # The known answer: 23:03 UTC on 24 Feb 2014 is 25 Feb in Moscow (UTC+4 then).
        Worklog(
            "30000",
            "20001",
            MOSCOW,
            datetime(2014, 2, 24, 23, 3, tzinfo=UTC),
            3600,
            comment=SECRET_COMMENT,
        ),
        Worklog("30001", "20001", HIDDEN, datetime(2014, 2, 26, 12, 0, tzinfo=UTC), 5400),
        Worklog("30002", "20002", MOSCOW, datetime(2014, 2, 27, 8, 0, tzinfo=UTC), 7200),
    ]
    # An issue with more worklogs than Jira embeds in a search result (20).
    start = datetime(2014, 2, 3, 9, 0, tzinfo=UTC)
    worklogs += [
        Worklog(str(31000 + n), "20000", HIDDEN, start + timedelta(hours=n * 5), 900)
        for n in range(30)
    ]
    return SiteData(users=users, projects=projects, issues=issues, worklogs=worklogs)


def _get(ack_server, fake_jira, app, path, viewer=LEAD, **params):
    token = fake_jira.context_token(app, viewer)
    return requests.get(
        f"{ack_server.base_url}{path}",
        params=params,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )


def _report(ack_server, fake_jira, app, viewer=LEAD, **params):
    response = _get(ack_server, fake_jira, app, "/timesheet/api/report", viewer, **params)
    assert response.status_code == 200, response.text
    return response.json()


def _cell(report, row_key, column):
    for row in report["rows"]:
        if row["key"] == row_key:
            return row["cells"].get(column, 0)
    return 0


def test_a_worklog_falls_on_the_day_of_its_zone(installed_tenant, ack_server, fake_jira):
    period = {"from": "2014-02-24", "to": "2014-02-28", "group": "user"}
    by_author = _report(ack_server, fake_jira, installed_tenant, tz="author", **period)
    assert by_author["timezone"] == "author"
    assert _cell(by_author, [MOSCOW], "2014-02-25") == 3600
    in_utc = _report(ack_server, fake_jira, installed_tenant, tz="UTC", **period)
    assert in_utc["timezone"] == "UTC"
    assert _cell(in_utc, [MOSCOW], "2014-02-24") == 3600
    assert _cell(in_utc, [MOSCOW], "2014-02-25") == 0
    viewer = _report(ack_server, fake_jira, installed_tenant, **period)
    assert viewer["timezone"] == "UTC"  # the lead's Jira zone


def test_week_and_month_keys(installed_tenant, ack_server, fake_jira):
    weeks = _report(
        ack_server,
        fake_jira,
        installed_tenant,
        columns="week",
        week_start="monday",
        **{"from": "2014-02-24", "to": "2014-03-02"},
    )
    assert [c["key"] for c in weeks["columns"]] == ["2014-02-24"]
    months = _report(
        ack_server,
        fake_jira,
        installed_tenant,
        columns="month",
        **{"from": "2014-02-01", "to": "2014-03-31"},
    )
    assert [c["key"] for c in months["columns"]] == ["2014-02", "2014-03"]


def test_the_report_shape_and_totals(installed_tenant, ack_server, fake_jira):
    report = _report(
        ack_server,
        fake_jira,
        installed_tenant,
        group="project,user",
        tz="UTC",
        **{"from": "2014-02-01", "to": "2014-02-28"},
    )
    assert set(report) == {"from", "to", "timezone", "columns", "rows", "totals", "total"}
    assert len(report["columns"]) == 28
    assert report["total"] == 3600 + 5400 + 7200 + 30 * 900
    assert sum(report["totals"].values()) == report["total"]
    first = report["rows"][0]
    assert first["key"] == ["ALPHA"] and first["subtotal"] is True
    children = [r for r in report["rows"] if len(r["key"]) == 2 and r["key"][0] == "ALPHA"]
    assert sum(r["total"] for r in children) == first["total"]


def test_an_issue_beyond_the_embedded_twenty_worklogs_is_paged(
    installed_tenant, ack_server, fake_jira
):
    fake_jira.clear_requests()
    report = _report(
        ack_server,
        fake_jira,
        installed_tenant,
        group="issue",
        tz="UTC",
        **{"from": "2014-02-01", "to": "2014-02-28"},
    )
    alpha1 = next(r for r in report["rows"] if r["key"] == ["ALPHA-1"])
    assert alpha1["total"] == 30 * 900
    counts = fake_jira.request_counts()
    assert counts["GET /rest/api/3/issue/20000/worklog"] == 1
    assert counts["GET /rest/api/3/issue/20001/worklog"] == 0  # its embedded list was complete


def test_a_user_sees_only_projects_they_may_browse(installed_tenant, ack_server, fake_jira):
    period = {"from": "2014-02-01", "to": "2014-02-28", "group": "project", "tz": "UTC"}
    lead = _report(ack_server, fake_jira, installed_tenant, LEAD, **period)
    outsider = _report(ack_server, fake_jira, installed_tenant, OUTSIDER, **period)
    assert [r["key"] for r in lead["rows"]] == [["ALPHA"], ["BETA"]]
    assert [r["key"] for r in outsider["rows"]] == [["ALPHA"]]
    named = _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/report",
        OUTSIDER,
        project="BETA",
        **period,
    )
    assert named.status_code == 400
    assert named.json()["parameter"] == "project"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"from": "2014-02-30"}, "from"),
        ({"from": "2014-03-01", "to": "2014-02-01"}, "to"),
        ({"from": "2013-01-01", "to": "2014-02-01"}, "to"),
        ({"group": "mood"}, "group"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"jql": "summary ~~ nonsense"}, "jql"),
    ],
)
def test_bad_parameters_get_400_naming_them(
    installed_tenant, ack_server, fake_jira, params, parameter
):
    response = _get(ack_server, fake_jira, installed_tenant, "/timesheet/api/report", **params)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter
    assert parameter in response.json()["error"]


def test_the_worklogs_behind_a_cell(installed_tenant, ack_server, fake_jira):
    response = _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/worklogs",
        tz="author",
        row=f'["{MOSCOW}"]',
        column="2014-02-25",
        **{"from": "2014-02-24", "to": "2014-02-28"},
    )
    assert response.status_code == 200, response.text
    [worklog] = response.json()["worklogs"]
    assert worklog["issue"] == "ALPHA-2"
    assert worklog["author"] == MOSCOW
    assert worklog["authorName"] == "Мария Иванова"
    assert worklog["day"] == "2014-02-25"
    started = datetime.fromisoformat(worklog["started"])
    assert started == datetime(2014, 2, 24, 23, 3, tzinfo=UTC)
    assert started.utcoffset() == timedelta(hours=4)  # shown in the author's zone
    assert worklog["seconds"] == 3600
    assert worklog["comment"] == SECRET_COMMENT


def _worklogs(ack_server, fake_jira, app, **params):
    response = _get(ack_server, fake_jira, app, "/timesheet/api/worklogs", **params)
    assert response.status_code == 200, response.text
    return response.json()["worklogs"]


def test_the_total_row_and_the_grand_total_open_their_worklogs(
    installed_tenant, ack_server, fake_jira
):
    period = {"from": "2014-02-01", "to": "2014-02-28", "tz": "UTC", "group": "project,user"}
    report = _report(ack_server, fake_jira, installed_tenant, **period)
    # A cell of the Total row: every row's worklogs on that day.
    column = next(key for key, seconds in report["totals"].items() if seconds)
    in_column = _worklogs(
        ack_server, fake_jira, installed_tenant, row="[]", column=column, **period
    )
    assert in_column and {worklog["day"] for worklog in in_column} == {column}
    assert sum(worklog["seconds"] for worklog in in_column) == report["totals"][column]
    # The grand total: no column, every row.
    everything = _worklogs(ack_server, fake_jira, installed_tenant, row="[]", **period)
    assert sum(worklog["seconds"] for worklog in everything) == report["total"]
    assert len(everything) == 3 + 30
    # A row's total: that row over the whole period.
    beta = next(row for row in report["rows"] if row["key"] == ["BETA"])
    in_row = _worklogs(ack_server, fake_jira, installed_tenant, row='["BETA"]', **period)
    assert sum(worklog["seconds"] for worklog in in_row) == beta["total"] == 7200


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"row": "[]", "column": "2014-03-01"}, "column"),  # outside the period
        ({"row": "[]", "column": "2014-W09"}, "column"),
        ({"row": '["a", "b", "c"]', "column": "2014-02-03"}, "row"),
        ({"row": "{}", "column": "2014-02-03"}, "row"),
    ],
)
def test_a_bad_cell_gets_400_naming_its_parameter(
    installed_tenant, ack_server, fake_jira, params, parameter
):
    fake_jira.clear_requests()
    response = _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/worklogs",
        tz="UTC",
        **{"from": "2014-02-01", "to": "2014-02-28"},
        **params,
    )
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter
    assert response.json()["error"].startswith(f"{parameter}: ")


def test_presets_resolve_in_the_viewers_zone(installed_tenant, ack_server, fake_jira):
    # 01:30 on 1 December in Moscow is still 30 November in UTC (and in New York).
    moment = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
    with time_machine.travel(moment, tick=True):
        moscow = _report(ack_server, fake_jira, installed_tenant, MOSCOW, preset="last-month")
        assert (moscow["from"], moscow["to"]) == ("2026-11-01", "2026-11-30")
        assert moscow["timezone"] == "Europe/Moscow"
        # The default period is this week there: Monday 30 November to Sunday 6 December.
        week = _report(ack_server, fake_jira, installed_tenant, MOSCOW)
        assert (week["from"], week["to"]) == ("2026-11-30", "2026-12-06")
        # A zone named in the request decides instead of the viewer's.
        new_york = _report(
            ack_server,
            fake_jira,
            installed_tenant,
            MOSCOW,
            preset="this-month",
            tz="America/New_York",
        )
        assert (new_york["from"], new_york["to"]) == ("2026-11-01", "2026-11-30")
        # "author" counts days per author, but the period is the viewer's.
        by_author = _report(
            ack_server, fake_jira, installed_tenant, MOSCOW, preset="this-month", tz="author"
        )
        assert (by_author["from"], by_author["to"]) == ("2026-12-01", "2026-12-31")
        detail = _get(
            ack_server,
            fake_jira,
            installed_tenant,
            "/timesheet/api/worklogs",
            MOSCOW,
            preset="this-month",
            row="[]",
            column="2026-12-01",
        )
        assert detail.status_code == 200, detail.text


def test_exports_carry_the_same_totals_as_the_json(installed_tenant, ack_server, fake_jira):
    params = {"from": "2014-02-01", "to": "2014-02-28", "group": "project,issue", "tz": "UTC"}
    report = _report(ack_server, fake_jira, installed_tenant, **params)
    token = fake_jira.context_token(installed_tenant, LEAD)
    # A plain download link: the context token travels in the jwt parameter.
    csv_response = requests.get(
        f"{ack_server.base_url}/timesheet/export.csv", params={**params, "jwt": token}, timeout=30
    )
    assert csv_response.status_code == 200
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    assert "2014-02-01_2014-02-28" in csv_response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8"))))
    header, total_row = rows[0], rows[-1]
    assert header[-1] == "Total" and total_row[0] == "Total"
    assert float(total_row[-1]) == pytest.approx(report["total"] / 3600, abs=0.005)
    for column in report["columns"]:
        index = header.index(column["key"])
        expected = report["totals"].get(column["key"], 0) / 3600
        assert float(total_row[index] or 0) == pytest.approx(expected, abs=0.005)
    xlsx_response = requests.get(
        f"{ack_server.base_url}/timesheet/export.xlsx",
        params=params,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert xlsx_response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    last = [v for v in values if v and v[0] == "Total"][-1]
    assert last[-1] == pytest.approx(report["total"] / 3600, abs=0.005)
    assert sheet.freeze_panes is not None


def test_an_export_without_a_token_is_refused(installed_tenant, ack_server):
    response = requests.get(f"{ack_server.base_url}/timesheet/export.csv", timeout=10)
    assert response.status_code == 401


def test_reports_leave_no_trace_but_tenant_rows(
    installed_tenant, ack_server, fake_jira, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    for tz in ("UTC", "author"):
        _report(
            ack_server,
            fake_jira,
            installed_tenant,
            tz=tz,
            group="issue,user",
            **{"from": "2014-02-01", "to": "2014-02-28"},
        )
    _get(
        ack_server,
        fake_jira,
        installed_tenant,
        "/timesheet/api/worklogs",
        tz="author",
        row=f'["{MOSCOW}"]',
        column="2014-02-25",
        **{"from": "2014-02-24", "to": "2014-02-28"},
    )
    import sqlite3

    with sqlite3.connect(tmp_path / "ack.sqlite") as connection:
        tables = {
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert tables == {
            "ack_tenants",
            "ack_alembic_version",
            "ack_removal_journal",
            "ack_lifecycle_tokens",
            "ack_forge_installations",
        }
        assert connection.execute("SELECT count(*) FROM ack_tenants").fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM ack_forge_installations").fetchone() == (0,)
        # The kit's hash-only bookkeeping holds the install and enable callbacks, nothing more.
        assert connection.execute("SELECT count(*) FROM ack_removal_journal").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM ack_lifecycle_tokens").fetchone() == (2,)
    database = (tmp_path / "ack.sqlite").read_bytes()
    assert SECRET_COMMENT.encode() not in database
    assert {p.name for p in tmp_path.iterdir()} <= {"ack.sqlite", "ack.sqlite-journal", "var"}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert SECRET_COMMENT not in logged
    assert "Build the thing" not in logged


def test_the_number_of_jira_calls_is_bounded(installed_tenant, ack_server, fake_jira, caplog):
    caplog.set_level(logging.DEBUG, logger="smart_timesheet_plugin")
    fake_jira.clear_requests()
    _report(
        ack_server,
        fake_jira,
        installed_tenant,
        tz="author",
        group="user",
        **{"from": "2014-02-01", "to": "2014-02-28"},
    )
    calls = [r for r in fake_jira.requests if r.path.startswith("/rest/")]
    # search (1 page) + one heavy issue + myself + one bulk user page
    assert len(calls) <= 4
    assert any("Jira calls" in r.getMessage() for r in caplog.records)


# --- the viewer's JQL -------------------------------------------------------------------------

FEBRUARY = {"from": "2014-02-01", "to": "2014-02-28", "tz": "UTC", "group": "project,issue"}
ATTACK = "key = a\\\") OR (project is not EMPTY AND summary !~ '\"\\''"
# The same shape with a first clause the site can evaluate, so it would widen if it got through.
WORKING_ATTACK = "summary ~ build\\\") OR (project is not EMPTY AND summary !~ '\"\\''"


def _rest_calls(fake_jira):
    return [r for r in fake_jira.requests if r.path.startswith("/rest/")]


def _rows(report):
    return {tuple(row["key"]): row["total"] for row in report["rows"]}


def _february(ack_server, fake_jira, app, jql, viewer=LEAD, path="/timesheet/api/report", **more):
    """February's report (or export) for ``viewer`` with the given JQL."""
    return _get(ack_server, fake_jira, app, path, viewer, jql=jql, **FEBRUARY, **more)


@pytest.mark.parametrize(("jql", "character"), [(ATTACK, 10), (WORKING_ATTACK, 18)])
def test_jql_cannot_widen_the_search_beyond_its_parentheses(
    installed_tenant, ack_server, fake_jira, jql, character
):
    narrow = _february(ack_server, fake_jira, installed_tenant, "summary ~ build", project="ALPHA")
    assert _rows(narrow.json()) == {("ALPHA",): 9000, ("ALPHA", "ALPHA-2"): 9000}
    fake_jira.clear_requests()

    response = _february(ack_server, fake_jira, installed_tenant, jql, project="ALPHA")

    # Refused before Jira is asked anything: not a row more than the narrow query shows.
    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": f"jql: has a ')' without a '(' before it (character {character})",
        "parameter": "jql",
    }
    assert _rest_calls(fake_jira) == []


def test_escaped_quotes_inside_a_string_stay_text(installed_tenant, ack_server, fake_jira):
    # The same characters kept inside one quoted string are a harmless (if odd) summary search.
    jql = 'summary ~ "build\\") OR (project is not EMPTY"'
    report = _report(ack_server, fake_jira, installed_tenant, project="ALPHA", jql=jql, **FEBRUARY)
    assert report["rows"] == [] and report["total"] == 0


def test_jql_errors_point_into_the_users_own_text(installed_tenant, ack_server, fake_jira):
    fake_jira.clear_requests()
    response = _february(ack_server, fake_jira, installed_tenant, "project = ALPHA BETA")

    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": "jql: Error in the JQL Query: Expecting 'AND', 'OR' or 'ORDER BY' but got "
        "'BETA'. (line 1, character 17)",
        "parameter": "jql",
    }
    # Jira's parser saw the viewer's text alone, as the viewer; no search was made.
    [parse] = _rest_calls(fake_jira)
    assert (parse.method, parse.path, parse.query) == (
        "POST",
        "/rest/api/3/jql/parse",
        "validation=strict",
    )
    assert (parse.acting_as, parse.account_id) == ("user", LEAD)


@pytest.mark.parametrize(
    ("jql", "viewer", "error"),
    [
        (
            "summary ~ a\\q",
            LEAD,
            "jql: Error in the JQL Query: The escape sequence '\\q' is not valid.",
        ),
        ("project = ALPHA ORDER BY key", LEAD, "jql: ORDER BY cannot be used here"),
        (
            "project = BETA",
            OUTSIDER,
            "jql: The value 'BETA' does not exist for the field 'project'.",
        ),
        ("status = Done", LEAD, "jql: Field 'status' does not exist"),
    ],
)
def test_jql_jira_refuses_is_a_400_before_any_search(
    installed_tenant, ack_server, fake_jira, jql, viewer, error
):
    fake_jira.clear_requests()
    for path in ("/timesheet/api/report", "/timesheet/export.csv"):
        response = _february(ack_server, fake_jira, installed_tenant, jql, viewer, path)
        assert response.status_code == 400, response.text
        assert response.json()["parameter"] == "jql"
        assert response.json()["error"].startswith(error)
    assert fake_jira.count_requests("/rest/api/3/search/jql") == 0


def test_accepted_jql_costs_one_parse_call_counted_with_the_report(
    installed_tenant, ack_server, fake_jira, caplog
):
    caplog.set_level(logging.DEBUG, logger="smart_timesheet_plugin")
    fake_jira.clear_requests()
    report = _report(ack_server, fake_jira, installed_tenant, jql="summary ~ build", **FEBRUARY)
    calls = _rest_calls(fake_jira)
    assert _rows(report) == {("ALPHA",): 9000, ("ALPHA", "ALPHA-2"): 9000}
    assert [r.path for r in calls].count("/rest/api/3/jql/parse") == 1
    assert calls[0].path == "/rest/api/3/jql/parse"  # before the search
    [logged] = [r.getMessage() for r in caplog.records if "Jira calls" in r.getMessage()]
    assert f"in {len(calls)} Jira calls" in logged

    fake_jira.clear_requests()
    _report(ack_server, fake_jira, installed_tenant, **FEBRUARY)
    assert fake_jira.count_requests("/rest/api/3/jql/parse") == 0  # no JQL, no parse call
