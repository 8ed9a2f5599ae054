"""The dashboard gadget over HTTP against the fake Jira site: its configuration is the dashboard
item's property in Jira (written as the viewer, guarded by Jira), its grid is the report computed
as the viewer, anonymous tokens get nothing, and our database holds none of it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import jsonschema
import pytest
import requests

from atlassian_connect_kit.descriptor import build_descriptor
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.settings import load_settings
from atlassian_connect_kit.testing.fakejira import Issue, Project, SiteData, User, Worklog
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from smart_timesheet_plugin.gadget import CONFIG_PROPERTY
from tests.shared_data import shared_path

LEE = "5b10a2844c20165700ede711"  # may browse ALPHA and BETA, owns the dashboard
OLU = "5b10a2844c20165700ede712"  # may browse BETA only
GADGET = "/timesheet/api/gadget"
REPORT = "/timesheet/api/report"
SECRET_NAME = "Gadget payroll audit"


def _last_week() -> date:
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday() + 7)  # Monday of last week (UTC viewers)


@pytest.fixture
def fake_jira_site() -> SiteData:
    """Two people and two projects, with work logged last week in both."""
    users = [
        User(LEE, "Lee Lead", "lee@example.com", "UTC", project_keys=frozenset({"ALPHA", "BETA"})),
        User(OLU, "Olu Other", "olu@example.com", "UTC", project_keys=frozenset({"BETA"})),
    ]
    monday = datetime.combine(_last_week(), datetime.min.time(), tzinfo=UTC)
    issues = [
        Issue("20001", "ALPHA-1", "Secret work", "Task", "ALPHA"),
        Issue("20002", "BETA-1", "Open work", "Task", "BETA"),
    ]
    worklogs = [
        Worklog("30001", "20001", LEE, monday + timedelta(hours=9), 3 * 3600),
        Worklog("30002", "20002", LEE, monday + timedelta(days=1, hours=9), 2 * 3600),
        Worklog("30003", "20002", OLU, monday + timedelta(days=2, hours=9), 1800),
    ]
    return SiteData(
        users=users,
        projects=[Project("10000", "ALPHA", "Alpha"), Project("10001", "BETA", "Beta")],
        issues=issues,
        worklogs=worklogs,
    )


@pytest.fixture
def dashboard(fake_jira, installed_tenant):
    """Lee's dashboard, shared with the site, with the Timesheet gadget on it."""
    dashboard_id = fake_jira.add_dashboard(LEE, shared=True)
    item_id = fake_jira.add_dashboard_item(dashboard_id, "smart-timesheet-gadget")
    return dashboard_id, item_id


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


def _item(dashboard):
    return {"dashboardId": dashboard[0], "itemId": dashboard[1]}


GRID = {"source": "grid", "preset": "last-week", "group": "project", "columns": "day"}


def test_the_configuration_is_the_dashboard_items_property_written_as_the_viewer(
    installed_tenant, ack_server, fake_jira, dashboard
):
    app = installed_tenant
    first = _call("GET", ack_server, fake_jira, app, LEE, GADGET, params=_item(dashboard))
    assert first.status_code == 200 and first.json() == {"config": None, "query": None}
    fake_jira.clear_requests()
    saved = _call(
        "PUT",
        ack_server,
        fake_jira,
        app,
        LEE,
        GADGET,
        params=_item(dashboard),
        body={**GRID, "project": ["beta", "ALPHA"]},
    )
    assert saved.status_code == 200, saved.text
    stored = {**GRID, "project": ["BETA", "ALPHA"]}
    assert fake_jira.dashboard_item_property(*dashboard, CONFIG_PROPERTY) == stored
    [write] = [r for r in fake_jira.requests if r.method == "PUT"]
    assert write.path == (
        f"/rest/api/3/dashboard/{dashboard[0]}/items/{dashboard[1]}/properties/{CONFIG_PROPERTY}"
    )
    assert (write.acting_as, write.account_id) == ("user", LEE)
    expected_query = {
        "preset": ["last-week"],
        "group": ["project"],
        "columns": ["day"],
        "project": ["BETA,ALPHA"],
    }
    assert saved.json() == {"config": stored, "query": expected_query}
    # Every viewer of the shared dashboard reads it back, as themselves.
    again = _call("GET", ack_server, fake_jira, app, OLU, GADGET, params=_item(dashboard))
    assert again.json() == {"config": stored, "query": expected_query}
    assert again.headers["Cache-Control"] == "no-store"


def test_only_the_dashboards_editor_may_configure_it_as_jira_decides(
    installed_tenant, ack_server, fake_jira, dashboard
):
    refused = _call(
        "PUT",
        ack_server,
        fake_jira,
        installed_tenant,
        OLU,
        GADGET,
        params=_item(dashboard),
        body=GRID,
    )
    assert refused.status_code == 403
    assert "edit this dashboard" in refused.json()["error"]
    assert fake_jira.dashboard_item_property(*dashboard, CONFIG_PROPERTY) is None
    # A private dashboard of Lee's is not even found for Olu.
    private = fake_jira.add_dashboard(LEE)
    item = fake_jira.add_dashboard_item(private, "smart-timesheet-gadget")
    params = {"dashboardId": private, "itemId": item}
    missing = _call(
        "PUT", ack_server, fake_jira, installed_tenant, OLU, GADGET, params=params, body=GRID
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("params", "body", "parameter"),
    [
        ({"dashboardId": "1x", "itemId": "2"}, GRID, "dashboardId"),
        ({"dashboardId": "1", "itemId": ""}, GRID, "itemId"),
        (None, {**GRID, "preset": "yesterday"}, "preset"),
        (None, {**GRID, "group": "issue"}, "group"),
        (None, {**GRID, "project": ["no such key!"]}, "project"),
        (None, {"source": "saved", "id": "../../etc"}, "id"),
        (None, {"source": "saved", "id": "abcdef012345"}, "id"),
        (None, ["not", "an", "object"], "body"),
    ],
)
def test_a_bad_configuration_is_refused_naming_its_field(
    installed_tenant, ack_server, fake_jira, dashboard, params, body, parameter
):
    response = _call(
        "PUT",
        ack_server,
        fake_jira,
        installed_tenant,
        LEE,
        GADGET,
        params=params or _item(dashboard),
        body=body,
    )
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter
    assert fake_jira.dashboard_item_property(*dashboard, CONFIG_PROPERTY) is None


def _totals_by_project(ack_server, fake_jira, app, viewer, query):
    response = _call("GET", ack_server, fake_jira, app, viewer, REPORT, params=query)
    assert response.status_code == 200, response.text
    return {row["key"][0]: row["total"] for row in response.json()["rows"]}


def test_the_gadgets_grid_is_computed_as_each_viewer(
    installed_tenant, ack_server, fake_jira, dashboard
):
    app = installed_tenant
    _call("PUT", ack_server, fake_jira, app, LEE, GADGET, params=_item(dashboard), body=GRID)
    # Olu cannot browse ALPHA: none of its worklogs, not even a zero row.
    expected = {LEE: {"ALPHA": 3 * 3600, "BETA": 2 * 3600 + 1800}, OLU: {"BETA": 2 * 3600 + 1800}}
    for viewer, totals in expected.items():
        query = _call("GET", ack_server, fake_jira, app, viewer, GADGET, params=_item(dashboard))
        assert (
            _totals_by_project(ack_server, fake_jira, app, viewer, query.json()["query"]) == totals
        )
    assert not [r for r in fake_jira.requests if r.acting_as == "app" and "search" in r.path]


def test_a_saved_report_gadget_shows_that_report_and_only_to_who_can_read_it(
    installed_tenant, ack_server, fake_jira, dashboard
):
    app = installed_tenant
    query = {"preset": ["last-week"], "group": ["user"], "columns": ["week"]}
    created = _call(
        "POST",
        ack_server,
        fake_jira,
        app,
        LEE,
        "/timesheet/api/saved",
        body={"name": SECRET_NAME, "query": query},
    )
    assert created.status_code == 201
    report_id = created.json()["report"]["id"]
    body = {"source": "saved", "id": report_id, "shared": False}
    saved = _call(
        "PUT", ack_server, fake_jira, app, LEE, GADGET, params=_item(dashboard), body=body
    )
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"config": body, "query": query}
    assert fake_jira.dashboard_item_property(*dashboard, CONFIG_PROPERTY) == body
    # Lee's personal report is Lee's: Olu sees the gadget ask for another configuration.
    other = _call("GET", ack_server, fake_jira, app, OLU, GADGET, params=_item(dashboard))
    assert other.json() == {"config": body, "query": None}


def test_an_anonymous_viewer_gets_no_gadget_and_no_configuration(
    installed_tenant, ack_server, fake_jira, dashboard
):
    token = fake_jira.context_token(installed_tenant, None)
    fake_jira.clear_requests()
    for method in ("GET", "PUT"):
        response = requests.request(
            method,
            ack_server.base_url + GADGET,
            params=_item(dashboard),
            json=GRID,
            headers={"Authorization": f"JWT {token}"},
            timeout=30,
        )
        assert response.status_code == 401, (method, response.text)
        assert response.json() == {"error": "sign in to Jira to see this gadget"}
    page = fake_jira.signed_url(installed_tenant, "/timesheet/gadget", account_id=None)
    assert requests.get(page, timeout=30).status_code == 401
    assert fake_jira.requests == []


def test_the_gadget_page_takes_jiras_ids_and_keeps_a_strict_page(
    installed_tenant, fake_jira, dashboard
):
    descriptor = installed_tenant.descriptor
    [module] = descriptor["modules"]["jiraDashboardItems"]
    url = fake_jira.signed_url(
        installed_tenant,
        module["url"],
        account_id=LEE,
        context={
            "dashboard.id": dashboard[0],
            "dashboardItem.id": dashboard[1],
            "dashboardItem.viewType": "default",
        },
    )
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, response.text
    page = response.text
    assert f'data-dashboard-id="{dashboard[0]}"' in page
    assert f'data-item-id="{dashboard[1]}"' in page
    assert 'data-view-type="default"' in page
    assert "<script>" not in page and "style=" not in page  # nothing inline
    assert "object-src 'none'" in page
    # A value that is not an id is not echoed into the page.
    odd = fake_jira.signed_url(
        installed_tenant,
        "/timesheet/gadget?dashboard=%3Cb%3E&item=2&view=sideways",
        account_id=LEE,
    )
    body = requests.get(odd, timeout=30).text
    assert (
        "<b>" not in body and 'data-dashboard-id=""' in body and 'data-view-type="default"' in body
    )


def test_the_descriptor_offers_the_gadget_and_validates_against_atlassians_schema():
    settings = load_settings(
        {
            **TEST_APP_IDENTITY,
            "ack.base_url": "https://acme.example.com",
            "ack.plugins": "smart_timesheet",
        },
        environ={},
    )
    descriptor = build_descriptor(settings, make_plugin_manager(settings.plugins))
    [item] = descriptor["modules"]["jiraDashboardItems"]
    assert item["configurable"] is True
    for variable in ("{dashboard.id}", "{dashboardItem.id}", "{dashboardItem.viewType}"):
        assert variable in item["url"]
    schema = json.loads(shared_path("reference", "jira-connect-descriptor-schema.json").read_text())
    migrations = schema["properties"]["apiMigrations"]["properties"]
    migrations["signed-install"] = migrations["context-qsh"] = {"type": "boolean"}
    assert sorted(jsonschema.Draft4Validator(schema).iter_errors(descriptor), key=str) == []
    # The schema itself refuses an item without its thumbnail: the check is not vacuous.
    del item["thumbnailUrl"]
    assert list(jsonschema.Draft4Validator(schema).iter_errors(descriptor))


def test_the_gadget_leaves_no_table_or_row_in_our_database(
    installed_tenant, ack_server, fake_jira, dashboard, tmp_path, database_inventory
):
    database = tmp_path / "ack.sqlite"
    inventory = database_inventory
    before = inventory()
    app = installed_tenant
    body = {**GRID, "project": ["ALPHA"]}
    _call("PUT", ack_server, fake_jira, app, LEE, GADGET, params=_item(dashboard), body=body)
    answer = _call("GET", ack_server, fake_jira, app, LEE, GADGET, params=_item(dashboard)).json()
    _totals_by_project(ack_server, fake_jira, app, LEE, answer["query"])
    assert inventory() == before
    assert b"Secret work" not in database.read_bytes()
    assert CONFIG_PROPERTY.encode() not in database.read_bytes()
