"""The fake site's REST API over real HTTP: authentication, visibility, shapes and paging.

The site runs below ``/jira`` so that every signed call also proves the base path is stripped
from the ``qsh`` the way Jira strips it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
import requests

from atlassian_connect_kit.testing.fakejira import FakeJira, InstalledApp, generate_site
from tests.kit.testing.fakejira_support import (
    ANN,
    BOB,
    CID,
    RecordingApp,
    app_token,
    as_app,
    as_user,
    issue_keys,
    rest_url,
    tiny_site,
)

SEARCH = "/rest/api/3/search/jql"
PARSE = "/rest/api/3/jql/parse"


@pytest.fixture(scope="module")
def recording_app() -> Iterator[RecordingApp]:
    """The Connect app the site installs."""
    app = RecordingApp()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def site() -> Iterator[FakeJira]:
    """The hand-built site below ``/jira``."""
    with FakeJira(tiny_site(), base_path="/jira") as fake:
        yield fake


@pytest.fixture(scope="module")
def app(site: FakeJira, recording_app: RecordingApp) -> InstalledApp:
    """The app, installed."""
    installed = site.install(recording_app.base_url)
    assert installed.install_status == 204
    return installed


@pytest.fixture(scope="module")
def bob(site: FakeJira, app: InstalledApp) -> str:
    """A bearer token acting as Bob, who sees only ALPHA and hides his zone."""
    return site.access_token(app, BOB)


@pytest.fixture(scope="module")
def ann(site: FakeJira, app: InstalledApp) -> str:
    """A bearer token acting as Ann, who sees both projects and lives in Berlin."""
    return site.access_token(app, ANN)


def _get_with(site: FakeJira, token: str, path: str = "/rest/api/3/myself") -> requests.Response:
    return requests.get(rest_url(site, path), headers={"Authorization": f"JWT {token}"}, timeout=10)


# -- authentication ----------------------------------------------------------------------------


def test_app_jwt_signed_for_the_request_acts_as_the_app(site: FakeJira, app: InstalledApp) -> None:
    response = as_app(site, app, "GET", "/rest/api/3/myself")

    assert response.status_code == 200
    assert response.json()["accountType"] == "app"
    assert site.requests[-1].acting_as == "app"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"qsh": "0" * 64}, "The JWT query string hash does not match the request."),
        ({"qsh": "context-qsh"}, "The JWT query string hash does not match the request."),
        ({"now": int(time.time()) - 600}, "The JWT has expired."),
        ({"secret": "not-the-shared-secret-but-long-enough"}, "The JWT signature is invalid."),
        ({"issuer": "some-other-app"}, "The JWT issuer is not an app installed on this site."),
    ],
)
def test_bad_app_jwts_are_refused_without_echoing_the_token(
    site: FakeJira, app: InstalledApp, change: dict[str, object], message: str
) -> None:
    url = rest_url(site, "/rest/api/3/myself")
    token = app_token(app, "GET", url, site.base_url, **change)  # type: ignore[arg-type]

    response = _get_with(site, token)

    assert response.status_code == 401
    assert response.json() == {"errorMessages": [message], "errors": {}}
    assert token not in response.text


def test_qsh_must_be_computed_without_the_sites_base_path(
    site: FakeJira, app: InstalledApp
) -> None:
    url = rest_url(site, "/rest/api/3/myself")
    # Signed as if the base URL had no path: the canonical path then wrongly includes "/jira".
    token = app_token(app, "GET", url, site.base_url.removesuffix("/jira"))

    assert _get_with(site, token).status_code == 401


def test_qsh_covers_the_query_string(site: FakeJira, app: InstalledApp) -> None:
    signed_for = rest_url(site, "/rest/api/3/user", {"accountId": ANN})
    token = app_token(app, "GET", signed_for, site.base_url)

    tampered = requests.get(
        rest_url(site, "/rest/api/3/user", {"accountId": BOB}),
        headers={"Authorization": f"JWT {token}"},
        timeout=10,
    )
    honest = requests.get(signed_for, headers={"Authorization": f"JWT {token}"}, timeout=10)

    assert tampered.status_code == 401
    assert honest.status_code == 200


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "JWT ", "Bearer not-issued"])
def test_missing_or_unknown_credentials_get_401(site: FakeJira, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}

    response = requests.get(rest_url(site, "/rest/api/3/myself"), headers=headers, timeout=10)

    assert response.status_code == 401
    assert response.json()["errorMessages"]


def test_bearer_token_acts_as_its_user_and_hidden_zones_stay_hidden(
    site: FakeJira, ann: str, bob: str
) -> None:
    ann_self = as_user(site, ann, "GET", "/rest/api/3/myself").json()
    bob_self = as_user(site, bob, "GET", "/rest/api/3/myself").json()

    assert (ann_self["accountId"], ann_self["timeZone"]) == (ANN, "Europe/Berlin")
    assert ann_self["displayName"] == "Ann Ångström" and "locale" in ann_self
    assert bob_self["accountId"] == BOB and "timeZone" not in bob_self
    assert site.requests[-1].acting_as == "user" and site.requests[-1].account_id == BOB


# -- visibility ------------------------------------------------------------------------------


def test_a_user_sees_only_their_projects_where_the_app_sees_all(
    site: FakeJira, app: InstalledApp, bob: str
) -> None:
    jql = {"jql": 'worklogDate >= "2026-01-01"', "fields": ["summary"]}

    as_the_app = issue_keys(as_app(site, app, "POST", SEARCH, json=jql))
    as_bob = issue_keys(as_user(site, bob, "POST", SEARCH, json=jql))

    assert as_the_app == ["ALPHA-2", "ALPHA-3", "ALPHA-4", "BETA-1"]
    assert as_bob == ["ALPHA-2", "ALPHA-3", "ALPHA-4"]


def test_naming_an_invisible_project_is_an_error_for_that_user(
    site: FakeJira, app: InstalledApp, bob: str
) -> None:
    jql = {"jql": "project = BETA"}

    refused = as_user(site, bob, "POST", SEARCH, json=jql)

    assert refused.status_code == 400
    assert refused.json()["errorMessages"] == [
        "The value 'BETA' does not exist for the field 'project'."
    ]
    assert issue_keys(as_app(site, app, "POST", SEARCH, json=jql)) == ["BETA-1"]


def test_worklogs_of_an_invisible_issue_are_404_for_that_user(
    site: FakeJira, app: InstalledApp, bob: str
) -> None:
    refused = as_user(site, bob, "GET", "/rest/api/3/issue/BETA-1/worklog")

    assert refused.status_code == 404
    assert refused.json()["errorMessages"] == [
        "Issue does not exist or you do not have permission to see it."
    ]
    assert as_app(site, app, "GET", "/rest/api/3/issue/BETA-1/worklog").status_code == 200
    assert as_app(site, app, "GET", "/rest/api/3/issue/NOPE-1/worklog").status_code == 404


def test_project_search_and_worklog_list_are_filtered_for_a_user(
    site: FakeJira, app: InstalledApp, bob: str
) -> None:
    bob_projects = as_user(site, bob, "GET", "/rest/api/3/project/search").json()
    app_projects = as_app(site, app, "GET", "/rest/api/3/project/search").json()
    ids = {"ids": [1, 4, 999999]}
    bob_logs = as_user(site, bob, "POST", "/rest/api/3/worklog/list", json=ids).json()
    app_logs = as_app(site, app, "POST", "/rest/api/3/worklog/list", json=ids).json()

    assert [p["key"] for p in bob_projects["values"]] == ["ALPHA"]
    assert [p["key"] for p in app_projects["values"]] == ["ALPHA", "BETA"]
    assert [w["id"] for w in bob_logs] == ["1"]
    assert [w["id"] for w in app_logs] == ["1", "4"]


# -- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize("jql", ["", "ORDER BY key"])
def test_unbounded_searches_are_refused(site: FakeJira, app: InstalledApp, jql: str) -> None:
    response = as_app(site, app, "POST", SEARCH, json={"jql": jql})

    assert response.status_code == 400
    assert response.json()["errorMessages"] == [
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
    ]


def test_invalid_jql_and_unknown_body_fields_are_400(site: FakeJira, app: InstalledApp) -> None:
    bad_jql = as_app(site, app, "POST", SEARCH, json={"jql": "project = ALPHA AND"})
    old_paging = as_app(site, app, "POST", SEARCH, json={"jql": "project = ALPHA", "startAt": 5})

    assert bad_jql.status_code == 400
    assert bad_jql.json()["errorMessages"][0].startswith("Error in the JQL Query:")
    assert old_paging.status_code == 400
    assert old_paging.json()["errorMessages"] == ['Unrecognized field "startAt".']


# -- jql/parse ---------------------------------------------------------------------------------


def _parse(site: FakeJira, token: str, validation: str, *queries: str) -> list[dict[str, Any]]:
    response = as_user(
        site, token, "POST", PARSE, {"validation": validation}, json={"queries": list(queries)}
    )
    assert response.status_code == 200, response.text
    parsed: list[dict[str, Any]] = response.json()["queries"]
    return parsed


def test_jql_parse_gives_the_structure_of_a_valid_query(site: FakeJira, bob: str) -> None:
    [parsed] = _parse(
        site,
        bob,
        "strict",
        "project = ALPHA AND (summary ~ 'it\\'s' OR NOT parent in (ALPHA-1, \"ALPHA-2\")) "
        "AND parent is not EMPTY ORDER BY created DESC",
    )

    assert set(parsed) == {"query", "structure"}
    assert parsed["structure"] == {
        "where": {
            "operator": "and",
            "clauses": [
                {
                    "field": {"name": "project", "encodedName": "project"},
                    "operator": "=",
                    "operand": {"value": "ALPHA", "encodedValue": "ALPHA"},
                },
                {
                    "operator": "or",
                    "clauses": [
                        {
                            "field": {"name": "summary", "encodedName": "summary"},
                            "operator": "~",
                            "operand": {"value": "it's", "encodedValue": '"it\'s"'},
                        },
                        {
                            "operator": "not",
                            "clauses": [
                                {
                                    "field": {"name": "parent", "encodedName": "parent"},
                                    "operator": "in",
                                    "operand": {
                                        "values": [
                                            {"value": "ALPHA-1", "encodedValue": "ALPHA-1"},
                                            {"value": "ALPHA-2", "encodedValue": "ALPHA-2"},
                                        ],
                                        "encodedOperand": "(ALPHA-1, ALPHA-2)",
                                    },
                                }
                            ],
                        },
                    ],
                },
                {
                    "field": {"name": "parent", "encodedName": "parent"},
                    "operator": "is not",
                    "operand": {"keyword": "empty"},
                },
            ],
        },
        "orderBy": {
            "fields": [
                {"field": {"name": "created", "encodedName": "created"}, "direction": "desc"}
            ]
        },
    }


def test_jql_parse_reports_errors_with_positions_in_each_query(site: FakeJira, bob: str) -> None:
    syntax, escape, field = _parse(
        site, bob, "strict", "project = ALPHA BETA", "summary ~ a\\q", "status = Done"
    )

    assert syntax == {
        "query": "project = ALPHA BETA",
        "errors": [
            "Error in the JQL Query: Expecting 'AND', 'OR' or 'ORDER BY' but got 'BETA'. "
            "(line 1, character 17)"
        ],
    }
    assert escape["errors"][0].startswith("Error in the JQL Query: The escape sequence '\\q'")
    assert escape["errors"][0].endswith("(line 1, character 12)")
    assert field["errors"] == [
        "Field 'status' does not exist or you do not have permission to view it."
    ]
    assert "structure" not in syntax and "structure" not in field


def test_jql_parse_checks_values_as_the_caller_and_strict_withholds_the_structure(
    site: FakeJira, bob: str, ann: str
) -> None:
    query = 'project = BETA AND worklogDate >= "2026-02-30"'
    [strict] = _parse(site, bob, "strict", query)
    [warn] = _parse(site, bob, "warn", query)
    [unchecked] = _parse(site, bob, "none", query)
    [seen_by_ann] = _parse(site, ann, "strict", "project = BETA")

    # Bob cannot browse BETA: a warning; the impossible date: an error.
    assert strict["warnings"] == ["The value 'BETA' does not exist for the field 'project'."]
    assert strict["errors"][0].startswith("Date value '2026-02-30' for field 'worklogDate'")
    assert "structure" not in strict
    assert warn["warnings"] == strict["warnings"] and warn["errors"] == strict["errors"]
    assert "where" in warn["structure"]
    assert set(unchecked) == {"query", "structure"}
    assert set(seen_by_ann) == {"query", "structure"}


@pytest.mark.parametrize(
    ("params", "body", "message"),
    [
        ({"validation": "loose"}, {"queries": ["project = A"]}, "The 'validation' parameter"),
        ({"validation": "strict"}, {"queries": []}, "queries must be a list"),
        ({"validation": "strict"}, {"queries": [""]}, "queries must be a list"),
        ({"validation": "strict"}, {"queries": "project = A"}, "queries must be a list"),
        ({"validation": "strict"}, {"queries": ["a = b"], "x": 1}, 'Unrecognized field "x".'),
        ({"validation": "strict"}, ["project = A"], "The request body must be a JSON object."),
    ],
)
def test_jql_parse_refuses_malformed_requests(
    site: FakeJira, bob: str, params: dict[str, str], body: Any, message: str
) -> None:
    response = as_user(site, bob, "POST", PARSE, params, json=body)

    assert response.status_code == 400
    assert response.json()["errorMessages"][0].startswith(message)


def test_search_fields_follow_jiras_shapes(site: FakeJira, app: InstalledApp) -> None:
    body = {
        "jql": "project = ALPHA ORDER BY key",
        "fields": ["summary,issuetype", "project", "parent"],
    }

    issues = {i["key"]: i for i in as_app(site, app, "POST", SEARCH, json=body).json()["issues"]}

    epic, sub_task = issues["ALPHA-1"], issues["ALPHA-3"]
    assert epic["id"] == "20001" and epic["self"].endswith("/jira/rest/api/3/issue/20001")
    assert epic["fields"]["issuetype"]["name"] == "Epic" and "parent" not in epic["fields"]
    assert sub_task["fields"]["issuetype"]["subtask"] is True
    assert sub_task["fields"]["parent"]["key"] == "ALPHA-2"
    assert sub_task["fields"]["parent"]["fields"]["issuetype"]["name"] == "Story"
    assert sub_task["fields"]["project"]["key"] == "ALPHA"
    assert sub_task["fields"]["summary"] == "Sub three"


def test_ids_only_search_has_no_fields_object(site: FakeJira, app: InstalledApp) -> None:
    response = as_app(site, app, "GET", SEARCH, {"jql": "key = ALPHA-1", "fields": "id"})

    assert response.json()["issues"] == [
        {
            "expand": "",
            "id": "20001",
            "self": f"{site.base_url}/rest/api/3/issue/20001",
            "key": "ALPHA-1",
        }
    ]


def test_embedded_worklogs_stop_at_twenty_by_start_with_the_real_total(
    site: FakeJira, app: InstalledApp
) -> None:
    body = {"jql": "key = ALPHA-4", "fields": ["worklog"]}

    embedded = as_app(site, app, "POST", SEARCH, json=body).json()["issues"][0]["fields"]["worklog"]

    assert (embedded["startAt"], embedded["maxResults"], embedded["total"]) == (0, 20, 25)
    assert [w["id"] for w in embedded["worklogs"]] == [str(100 + n) for n in range(20)]


# -- worklogs ----------------------------------------------------------------------------------


def test_worklog_shape_dates_in_the_viewers_zone(
    site: FakeJira, app: InstalledApp, ann: str
) -> None:
    as_the_app = as_app(site, app, "GET", "/rest/api/3/issue/ALPHA-2/worklog").json()
    as_ann = as_user(site, ann, "GET", "/rest/api/3/issue/ALPHA-2/worklog").json()

    first = as_the_app["worklogs"][0]
    assert (as_the_app["startAt"], as_the_app["maxResults"], as_the_app["total"]) == (0, 5000, 2)
    assert first["started"] == "2026-03-01T08:00:00.000+0000"
    assert as_ann["worklogs"][0]["started"] == "2026-03-01T09:00:00.000+0100"
    assert first["timeSpent"] == "1h 30m" and first["timeSpentSeconds"] == 5400
    assert first["author"]["accountId"] == ANN and first["issueId"] == "20002"
    assert first["comment"] == {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Line one"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "Line two"}]},
        ],
    }
    assert "comment" not in as_the_app["worklogs"][1]
    assert "timeZone" not in as_the_app["worklogs"][1]["author"]  # Bob hides his zone.


def test_worklogs_page_by_start_at_and_max_results(site: FakeJira, app: InstalledApp) -> None:
    path = "/rest/api/3/issue/20004/worklog"

    page = as_app(site, app, "GET", path, {"startAt": 20, "maxResults": 10}).json()

    assert (page["startAt"], page["maxResults"], page["total"]) == (20, 10, 25)
    assert [w["id"] for w in page["worklogs"]] == [str(100 + n) for n in range(20, 25)]


def test_worklogs_filter_by_start_in_epoch_milliseconds(site: FakeJira, app: InstalledApp) -> None:
    third = int(datetime.fromisoformat("2026-03-03T10:00:00+00:00").timestamp() * 1000)
    sixth = int(datetime.fromisoformat("2026-03-06T10:00:00+00:00").timestamp() * 1000)

    page = as_app(
        site,
        app,
        "GET",
        "/rest/api/3/issue/ALPHA-4/worklog",
        {"startedAfter": third, "startedBefore": sixth},
    ).json()

    # After is inclusive and before exclusive: the 3rd, 4th and 5th of March.
    assert [w["id"] for w in page["worklogs"]] == ["102", "103", "104"]
    assert page["total"] == 3


@pytest.mark.parametrize(
    "params", [{"startAt": "-1"}, {"maxResults": "lots"}, {"startedAfter": "x"}]
)
def test_bad_worklog_paging_parameters_are_400(
    site: FakeJira, app: InstalledApp, params: dict[str, str]
) -> None:
    response = as_app(site, app, "GET", "/rest/api/3/issue/ALPHA-4/worklog", params)

    assert response.status_code == 400
    assert response.json()["errorMessages"]


def test_worklog_list_refuses_more_than_a_thousand_ids(site: FakeJira, app: InstalledApp) -> None:
    response = as_app(
        site, app, "POST", "/rest/api/3/worklog/list", json={"ids": list(range(1, 1002))}
    )

    assert response.status_code == 400


# -- users, projects, configuration -----------------------------------------------------------


def test_user_and_bulk_users(site: FakeJira, app: InstalledApp) -> None:
    cid = as_app(site, app, "GET", "/rest/api/3/user", {"accountId": CID}).json()
    first_page = as_app(
        site,
        app,
        "GET",
        "/rest/api/3/user/bulk",
        {"accountId": [ANN, "nobody", BOB, CID], "maxResults": 2},
    ).json()
    second_page = as_app(
        site,
        app,
        "GET",
        "/rest/api/3/user/bulk",
        {"accountId": [ANN, "nobody", BOB, CID], "maxResults": 2, "startAt": 2},
    ).json()
    missing = as_app(site, app, "GET", "/rest/api/3/user", {"accountId": "nobody"})

    assert (cid["displayName"], cid["active"], cid["timeZone"]) == ("李 Cid", False, "Asia/Kolkata")
    assert [u["accountId"] for u in first_page["values"]] == [ANN, BOB]
    assert (first_page["total"], first_page["isLast"]) == (3, False)
    assert [u["accountId"] for u in second_page["values"]] == [CID]
    assert second_page["isLast"] is True
    assert missing.status_code == 404


def test_project_search_pages_and_filters(site: FakeJira, app: InstalledApp) -> None:
    first = as_app(site, app, "GET", "/rest/api/3/project/search", {"maxResults": 1}).json()
    by_query = as_app(site, app, "GET", "/rest/api/3/project/search", {"query": "bet"}).json()

    assert [p["key"] for p in first["values"]] == ["ALPHA"]
    assert first["total"] == 2 and first["isLast"] is False and "startAt=1" in first["nextPage"]
    assert [p["key"] for p in by_query["values"]] == ["BETA"]


def test_configuration_reports_working_time(site: FakeJira, app: InstalledApp) -> None:
    body = as_app(site, app, "GET", "/rest/api/3/configuration").json()

    assert body["timeTrackingEnabled"] is True
    tracking = body["timeTrackingConfiguration"]
    assert (tracking["workingHoursPerDay"], tracking["workingDaysPerWeek"]) == (8.0, 5.0)


# -- user properties ---------------------------------------------------------------------------


def test_a_user_stores_and_reads_their_own_properties(site: FakeJira, bob: str) -> None:
    path = "/rest/api/3/user/properties/timesheet.prefs"
    params = {"accountId": BOB}

    created = as_user(site, bob, "PUT", path, params, json={"zone": "Europe/Oslo", "weeks": 2})
    updated = as_user(site, bob, "PUT", path, params, json={"zone": "UTC"})
    read = as_user(site, bob, "GET", path, params)

    assert (created.status_code, updated.status_code) == (201, 200)
    assert read.json() == {"key": "timesheet.prefs", "value": {"zone": "UTC"}}
    assert site.user_property(BOB, "timesheet.prefs") == {"zone": "UTC"}


def test_a_user_cannot_touch_anothers_properties_but_the_app_can(
    site: FakeJira, app: InstalledApp, bob: str
) -> None:
    path = "/rest/api/3/user/properties/app.note"

    by_bob = as_user(site, bob, "PUT", path, {"accountId": ANN}, json=1)
    by_app = as_app(site, app, "PUT", path, {"accountId": ANN}, json=[1, 2])

    assert by_bob.status_code == 403
    assert by_app.status_code == 201
    assert site.user_property(ANN, "app.note") == [1, 2]


def test_property_errors_and_deletion(site: FakeJira, app: InstalledApp) -> None:
    path = "/rest/api/3/user/properties/gone"
    params = {"accountId": CID}

    missing = as_app(site, app, "GET", path, params)
    not_json = as_app(site, app, "PUT", path, params, data=b"{not json")
    no_account = as_app(site, app, "GET", path)
    as_app(site, app, "PUT", path, params, json=True)
    deleted = as_app(site, app, "DELETE", path, params)

    assert missing.status_code == 404
    assert not_json.status_code == 400
    assert no_account.status_code == 400
    assert deleted.status_code == 204
    assert as_app(site, app, "GET", path, params).status_code == 404


def test_an_app_without_write_scope_cannot_store_properties(site: FakeJira) -> None:
    reader = RecordingApp(key="read-only-app", scopes=("READ",))
    try:
        app = site.install(reader.base_url)
        path = "/rest/api/3/user/properties/x"

        stored = as_app(site, app, "PUT", path, {"accountId": ANN}, json=1)
        read = as_app(site, app, "GET", "/rest/api/3/myself")
    finally:
        reader.stop()

    assert stored.status_code == 403
    assert read.status_code == 200


def test_unknown_paths_are_404_and_wrong_methods_405(site: FakeJira, app: InstalledApp) -> None:
    assert as_app(site, app, "GET", "/rest/api/3/nothing-here").status_code == 404
    wrong_method = as_app(site, app, "DELETE", "/rest/api/3/myself")
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "GET"


# -- dashboard item properties -----------------------------------------------------------------


def _item_path(dashboard_id: str, item_id: str, key: str = "") -> str:
    path = f"/rest/api/3/dashboard/{dashboard_id}/items/{item_id}/properties"
    return f"{path}/{key}" if key else path


def test_a_dashboards_owner_stores_item_properties_its_viewers_read(
    site: FakeJira, app: InstalledApp, ann: str, bob: str
) -> None:
    dashboard = site.add_dashboard(ANN, shared=True)
    item = site.add_dashboard_item(dashboard, "some-gadget")
    path = _item_path(dashboard, item, "config")

    created = as_user(site, ann, "PUT", path, json={"period": "last-week"})
    updated = as_user(site, ann, "PUT", path, json={"period": "this-month"})
    read_by_bob = as_user(site, bob, "GET", path)
    keys = as_user(site, bob, "GET", _item_path(dashboard, item))
    written_by_bob = as_user(site, bob, "PUT", path, json={"period": "last-year"})
    written_by_app = as_app(site, app, "PUT", path, json=1)
    read_by_app = as_app(site, app, "GET", path)

    assert (created.status_code, updated.status_code) == (201, 200)
    assert read_by_bob.json() == {"key": "config", "value": {"period": "this-month"}}
    assert [entry["key"] for entry in keys.json()["keys"]] == ["config"]
    assert keys.json()["keys"][0]["self"].endswith(path)
    # Changing it takes edit permission: the owner's alone.
    assert (written_by_bob.status_code, written_by_app.status_code) == (403, 403)
    assert read_by_app.status_code == 200
    assert site.dashboard_item_property(dashboard, item, "config") == {"period": "this-month"}


def test_a_private_dashboard_and_unknown_items_are_not_found(
    site: FakeJira, app: InstalledApp, ann: str, bob: str
) -> None:
    dashboard = site.add_dashboard(ANN)
    item = site.add_dashboard_item(dashboard, "some-gadget")
    as_user(site, ann, "PUT", _item_path(dashboard, item, "config"), json={"a": 1})

    assert as_user(site, bob, "GET", _item_path(dashboard, item, "config")).status_code == 404
    assert as_user(site, bob, "PUT", _item_path(dashboard, item, "x"), json=1).status_code == 404
    assert as_user(site, ann, "GET", _item_path(dashboard, "99999", "config")).status_code == 404
    assert as_user(site, ann, "GET", _item_path("99999", item, "config")).status_code == 404
    assert as_user(site, ann, "GET", _item_path("abc", item, "config")).status_code == 400
    assert as_user(site, ann, "GET", _item_path(dashboard, item, "absent")).status_code == 404
    empty = as_user(site, ann, "PUT", _item_path(dashboard, item, "config"), data=b"")
    too_big = as_user(site, ann, "PUT", _item_path(dashboard, item, "config"), json="x" * 40_000)
    assert (empty.status_code, too_big.status_code) == (400, 400)
    deleted = as_user(site, ann, "DELETE", _item_path(dashboard, item, "config"))
    assert deleted.status_code == 204
    assert site.dashboard_item_property(dashboard, item, "config") is None


# -- paging over a larger generated site --------------------------------------------------------


@pytest.fixture(scope="module")
def big_site() -> Iterator[tuple[FakeJira, InstalledApp]]:
    """A generated site with 250 issues, at the root path, with the app installed."""
    recording = RecordingApp()
    data = generate_site(31, issues=250, worklogs=900, start=date(2026, 3, 1), days=31)
    with FakeJira(data) as fake:
        yield fake, fake.install(recording.base_url)
    recording.stop()


def test_search_pages_chain_by_next_page_token_until_the_last(
    big_site: tuple[FakeJira, InstalledApp],
) -> None:
    site, app = big_site
    jql = "project in (ORION, VEGA, LYRA) ORDER BY key"
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        body = {"jql": jql, "maxResults": 60, "fields": ["summary"]}
        if token:
            body["nextPageToken"] = token
        page = as_app(site, app, "POST", SEARCH, json=body).json()
        pages += 1
        seen += [issue["key"] for issue in page["issues"]]
        assert "total" not in page
        token = page.get("nextPageToken")
        if token is None:
            assert page["isLast"] is True
            break
        assert page["isLast"] is False

    assert pages == 5
    assert len(seen) == len(set(seen)) == 250


def test_a_page_token_only_continues_its_own_query(big_site: tuple[FakeJira, InstalledApp]) -> None:
    site, app = big_site
    first = as_app(
        site, app, "POST", SEARCH, json={"jql": "project = ORION", "maxResults": 5}
    ).json()

    replayed = as_app(
        site,
        app,
        "POST",
        SEARCH,
        json={"jql": "project = VEGA", "nextPageToken": first["nextPageToken"]},
    )
    garbage = as_app(
        site, app, "POST", SEARCH, json={"jql": "project = VEGA", "nextPageToken": "%%%"}
    )

    assert replayed.status_code == 400 and garbage.status_code == 400


def test_page_size_is_capped_by_the_fields_requested(
    big_site: tuple[FakeJira, InstalledApp],
) -> None:
    site, app = big_site
    jql = "project in (ORION, VEGA, LYRA)"

    with_worklogs = as_app(
        site, app, "POST", SEARCH, json={"jql": jql, "maxResults": 1000, "fields": ["worklog"]}
    ).json()
    ids_only = as_app(
        site, app, "POST", SEARCH, json={"jql": jql, "maxResults": 6000, "fields": ["id", "key"]}
    ).json()
    default = as_app(site, app, "POST", SEARCH, json={"jql": jql}).json()

    assert len(with_worklogs["issues"]) == 100 and "nextPageToken" in with_worklogs
    assert len(ids_only["issues"]) == 250 and "nextPageToken" not in ids_only
    assert len(default["issues"]) == 50


def test_get_search_takes_the_same_parameters(big_site: tuple[FakeJira, InstalledApp]) -> None:
    site, app = big_site
    params = {
        "jql": "project = LYRA ORDER BY key DESC",
        "maxResults": 3,
        "fields": "summary,parent",
    }

    got = as_app(site, app, "GET", SEARCH, params).json()
    posted = as_app(
        site,
        app,
        "POST",
        SEARCH,
        json={"jql": params["jql"], "maxResults": 3, "fields": ["summary", "parent"]},
    ).json()

    assert got == posted
    assert len(got["issues"]) == 3
