"""Saved reports over HTTP against the fake Jira site: kept in Jira (a user property as the
viewer, an app property as the app), shared reports guarded by Jira's own permissions, and not
a row or byte of them in our database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from atlassian_connect_kit.testing.fakejira import SiteData
from tests.timesheet.sites import admin_site

ADA = "5b10a2844c20165700ede701"  # a Jira administrator
LEE = "5b10a2844c20165700ede702"
OLU = "5b10a2844c20165700ede703"
SAVED = "/timesheet/api/saved"
SECRET_NAME = "Payroll audit for the migration"


@pytest.fixture
def fake_jira_site() -> SiteData:
    """Three people, one of them a Jira administrator, and a little work."""
    return admin_site(ADA, LEE, OLU, [(LEE, datetime(2025, 3, 4, 9, tzinfo=UTC), 3600)])


def _call(method, ack_server, fake_jira, app, viewer, *, params=None, body=None):
    token = fake_jira.context_token(app, viewer)
    return requests.request(
        method,
        f"{ack_server.base_url}{SAVED}",
        params=params,
        json=body,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )


def _save(ack_server, fake_jira, app, viewer, name, *, shared=False, **query):
    query = query or {"preset": ["last-month"], "group": ["project,user"]}
    response = _call(
        "POST",
        ack_server,
        fake_jira,
        app,
        viewer,
        body={"name": name, "query": query, "shared": shared},
    )
    assert response.status_code == 201, response.text
    return response.json()["report"]


def _listed(ack_server, fake_jira, app, viewer):
    response = _call("GET", ack_server, fake_jira, app, viewer)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_personal_report_is_the_viewers_own_user_property(
    installed_tenant, ack_server, fake_jira
):
    fake_jira.clear_requests()
    saved = _save(ack_server, fake_jira, installed_tenant, LEE, SECRET_NAME)
    assert saved["name"] == SECRET_NAME and saved["owner"] == LEE
    assert saved["query"] == {"preset": ["last-month"], "group": ["project,user"]}
    [write] = [r for r in fake_jira.requests if r.method == "PUT"]
    assert write.path == "/rest/api/3/user/properties/smart-timesheet-reports"
    assert (write.acting_as, write.account_id) == ("user", LEE)
    assert _listed(ack_server, fake_jira, installed_tenant, LEE)["personal"] == [saved]
    # Nobody else sees it.
    assert _listed(ack_server, fake_jira, installed_tenant, OLU) == {"personal": [], "shared": []}
    # Saving again under the same name replaces it; deleting removes it.
    again = _save(ack_server, fake_jira, installed_tenant, LEE, SECRET_NAME, preset=["this-week"])
    assert _listed(ack_server, fake_jira, installed_tenant, LEE)["personal"] == [again]
    gone = _call("DELETE", ack_server, fake_jira, installed_tenant, LEE, params={"id": again["id"]})
    assert gone.status_code == 204
    assert _listed(ack_server, fake_jira, installed_tenant, LEE)["personal"] == []


def test_a_shared_report_is_an_app_property_guarded_by_jiras_permissions(
    installed_tenant, ack_server, fake_jira
):
    fake_jira.clear_requests()
    shared = _save(ack_server, fake_jira, installed_tenant, LEE, "Team month", shared=True)
    [write] = [r for r in fake_jira.requests if r.method == "PUT"]
    assert write.path.startswith("/rest/atlassian-connect/1/addons/")
    assert write.path.endswith("/properties/smart-timesheet-shared-reports")
    assert write.acting_as == "app"
    # Everyone signed in sees it.
    assert _listed(ack_server, fake_jira, installed_tenant, OLU)["shared"] == [shared]
    # Someone else may not delete it, unless Jira says they administer it.
    fake_jira.clear_requests()
    refused = _call(
        "DELETE",
        ack_server,
        fake_jira,
        installed_tenant,
        OLU,
        params={"id": shared["id"], "shared": "true"},
    )
    assert refused.status_code == 403 and refused.json()["parameter"] == "id"
    [asked] = [r for r in fake_jira.requests if r.path == "/rest/api/3/mypermissions"]
    assert (asked.acting_as, asked.account_id) == ("user", OLU)
    assert not [r for r in fake_jira.requests if r.method in ("PUT", "DELETE")]
    by_admin = _call(
        "DELETE",
        ack_server,
        fake_jira,
        installed_tenant,
        ADA,
        params={"id": shared["id"], "shared": "true"},
    )
    assert by_admin.status_code == 204
    assert _listed(ack_server, fake_jira, installed_tenant, LEE)["shared"] == []
    # The creator may delete their own without asking Jira about administration.
    mine = _save(ack_server, fake_jira, installed_tenant, LEE, "Mine", shared=True)
    fake_jira.clear_requests()
    deleted = _call(
        "DELETE",
        ack_server,
        fake_jira,
        installed_tenant,
        LEE,
        params={"id": mine["id"], "shared": "true"},
    )
    assert deleted.status_code == 204
    assert fake_jira.count_requests("/rest/api/3/mypermissions") == 0


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"name": "", "query": {}}, "name"),
        ({"name": "x" * 81, "query": {}}, "name"),
        ({"name": "Bad", "query": {"columns": ["fortnight"]}}, "columns"),
        ({"name": "Bad", "query": "preset=last-month"}, "query"),
        (["not", "an", "object"], "body"),
    ],
)
def test_a_bad_report_is_refused_naming_its_field(
    installed_tenant, ack_server, fake_jira, body, parameter
):
    response = _call("POST", ack_server, fake_jira, installed_tenant, LEE, body=body)
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter


def test_jiras_32_kb_limit_gives_a_clear_error(installed_tenant, ack_server, fake_jira):
    long_jql = "summary ~ " + "a" * 1900
    for number in range(16):
        _save(ack_server, fake_jira, installed_tenant, LEE, f"Report {number}", jql=[long_jql])
    response = _call(
        "POST",
        ack_server,
        fake_jira,
        installed_tenant,
        LEE,
        body={"name": "One too many", "query": {"jql": [long_jql]}},
    )
    assert response.status_code == 400, response.text
    assert "32 KB" in response.json()["error"]
    assert len(_listed(ack_server, fake_jira, installed_tenant, LEE)["personal"]) == 16


def test_saved_reports_leave_no_table_or_row_in_our_database(
    installed_tenant, ack_server, fake_jira, tmp_path, database_inventory
):
    database = tmp_path / "ack.sqlite"
    inventory = database_inventory
    before = inventory()
    _save(ack_server, fake_jira, installed_tenant, LEE, SECRET_NAME)
    _save(ack_server, fake_jira, installed_tenant, LEE, SECRET_NAME + " shared", shared=True)
    _listed(ack_server, fake_jira, installed_tenant, OLU)
    assert inventory() == before
    assert SECRET_NAME.encode() not in database.read_bytes()
