"""Saved reports through Forge, over HTTP against the fake Jira site: the Forge page's calls
reach the same URLs with a Forge Invocation Token; personal reports are the viewer's user
property (written with the app user token), shared reports a Forge app property (written with
the app system token, only once Jira has said the viewer may), and our database keeps none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from atlassian_connect_kit.testing.fakejira import SiteData
from tests.timesheet.sites import admin_site

ADA = "5b10a2844c20165700ede801"  # a Jira administrator
LEE = "5b10a2844c20165700ede802"
OLU = "5b10a2844c20165700ede803"
SAVED = "/timesheet/api/saved"
USER_PROPERTY = "smart-timesheet-reports"
APP_PROPERTY = "smart-timesheet-shared-reports"
FORGE_APP_PROPERTY = f"/rest/forge/1/app/properties/{APP_PROPERTY}"
SECRET_NAME = "Payroll audit for the reorganisation"


@pytest.fixture
def fake_jira_site() -> SiteData:
    """Three people, one of them a Jira administrator, and a little work."""
    return admin_site(ADA, LEE, OLU, [(LEE, datetime(2025, 3, 4, 9, tzinfo=UTC), 3600)])


def _save(forge_invoke, viewer, name, *, shared=False, **query):
    query = query or {"preset": ["last-month"], "group": ["project,user"]}
    response = forge_invoke(
        SAVED, user=viewer, method="POST", json={"name": name, "query": query, "shared": shared}
    )
    assert response.status_code == 201, response.text
    return response.json()["report"]


def _listed(forge_invoke, viewer):
    response = forge_invoke(SAVED, user=viewer)
    assert response.status_code == 200, response.text
    return response.json()


def _delete(forge_invoke, viewer, report, *, shared):
    params = {"id": report["id"], "shared": "true" if shared else "false"}
    return forge_invoke(SAVED, user=viewer, method="DELETE", params=params)


def _writes(fake_jira):
    return [
        r
        for r in fake_jira.requests
        if r.direction == "received" and r.method in ("PUT", "DELETE") and "/rest/" in r.path
    ]


def test_a_personal_report_is_the_viewers_user_property_written_with_their_token(
    forge_invoke, fake_jira, forge_installation
):
    fake_jira.clear_requests()
    saved = _save(forge_invoke, LEE, SECRET_NAME)
    assert saved["name"] == SECRET_NAME and saved["owner"] == LEE
    [write] = _writes(fake_jira)
    assert write.path.endswith(f"/rest/api/3/user/properties/{USER_PROPERTY}")
    assert (write.acting_as, write.account_id) == ("user", LEE)
    assert fake_jira.user_property(LEE, USER_PROPERTY) == {"reports": [saved]}
    assert _listed(forge_invoke, LEE) == {"personal": [saved], "shared": []}
    # Nobody else sees it.
    assert _listed(forge_invoke, OLU) == {"personal": [], "shared": []}
    # Saving again under its name replaces it; deleting removes it.
    again = _save(forge_invoke, LEE, SECRET_NAME, preset=["this-week"])
    assert _listed(forge_invoke, LEE)["personal"] == [again]
    assert _delete(forge_invoke, LEE, again, shared=False).status_code == 204
    assert _listed(forge_invoke, LEE)["personal"] == []
    # Nothing of it went to the Forge app property.
    assert fake_jira.forge_app_property(forge_installation, APP_PROPERTY) is None


def test_a_shared_report_is_a_forge_app_property_written_with_the_system_token(
    forge_invoke, fake_jira, forge_installation
):
    fake_jira.clear_requests()
    shared = _save(forge_invoke, LEE, "Team month", shared=True)
    [write] = _writes(fake_jira)
    assert write.method == "PUT" and write.path.endswith(FORGE_APP_PROPERTY)
    assert (write.acting_as, write.account_id) == ("app", None)
    assert fake_jira.forge_app_property(forge_installation, APP_PROPERTY) == {"reports": [shared]}
    # Everyone signed in sees it; it is nobody's personal report.
    assert _listed(forge_invoke, OLU) == {"personal": [], "shared": [shared]}
    assert fake_jira.user_property(LEE, USER_PROPERTY) is None
    # Its creator deletes it without Jira being asked about administration.
    fake_jira.clear_requests()
    assert _delete(forge_invoke, LEE, shared, shared=True).status_code == 204
    assert not [r for r in fake_jira.requests if r.path.endswith("/rest/api/3/mypermissions")]
    assert _listed(forge_invoke, ADA)["shared"] == []


def test_someone_elses_shared_report_is_changed_only_by_a_jira_administrator(
    forge_invoke, fake_jira, forge_installation
):
    shared = _save(forge_invoke, LEE, "Team month", shared=True)
    stored = fake_jira.forge_app_property(forge_installation, APP_PROPERTY)
    fake_jira.clear_requests()
    refused = _delete(forge_invoke, OLU, shared, shared=True)
    assert refused.status_code == 403, refused.text
    assert refused.json()["parameter"] == "id"
    # Jira was asked as the viewer, and nothing was written.
    [asked] = [r for r in fake_jira.requests if r.path.endswith("/rest/api/3/mypermissions")]
    assert (asked.acting_as, asked.account_id) == ("user", OLU)
    assert _writes(fake_jira) == []
    assert fake_jira.forge_app_property(forge_installation, APP_PROPERTY) == stored
    # Saving under the same name adds the viewer's own report beside it, never replaces it.
    olus = _save(forge_invoke, OLU, "Team month", shared=True)
    assert _listed(forge_invoke, LEE)["shared"] == [shared, olus]
    # A Jira administrator (as Jira says) may remove it.
    assert _delete(forge_invoke, ADA, shared, shared=True).status_code == 204
    assert _listed(forge_invoke, LEE)["shared"] == [olus]


def test_jiras_32_kb_limit_gives_a_clear_error_through_forge(
    forge_invoke, fake_jira, forge_installation
):
    long_jql = "summary ~ " + "a" * 1900
    for number in range(16):
        _save(forge_invoke, LEE, f"Report {number}", shared=True, jql=[long_jql])
    stored = fake_jira.forge_app_property(forge_installation, APP_PROPERTY)
    fake_jira.clear_requests()
    response = forge_invoke(
        SAVED,
        user=LEE,
        method="POST",
        json={"name": "One too many", "query": {"jql": [long_jql]}, "shared": True},
    )
    assert response.status_code == 400, response.text
    assert "32 KB" in response.json()["error"]
    assert response.json()["parameter"] == "name"
    assert _writes(fake_jira) == []
    assert fake_jira.forge_app_property(forge_installation, APP_PROPERTY) == stored
    assert len(_listed(forge_invoke, LEE)["shared"]) == 16


def test_a_list_just_over_the_limit_as_sent_to_jira_is_refused_by_us_not_by_jira(
    forge_invoke, fake_jira, forge_installation
):
    long_jql = "summary ~ " + "a" * 1900
    for number in range(16):
        _save(forge_invoke, LEE, f"Report {number}", shared=True, jql=[long_jql])
    fake_jira.clear_requests()
    # Under 32 KB written compactly, over it as the request body Jira receives.
    response = forge_invoke(
        SAVED,
        user=LEE,
        method="POST",
        json={"name": "Nearly full", "query": {"jql": ["summary ~ " + "b" * 460]}, "shared": True},
    )
    assert response.status_code == 400, response.text
    assert "32 KB" in response.json()["error"]
    assert _writes(fake_jira) == []


def test_without_the_system_token_a_shared_report_is_refused_not_written_as_the_user(
    forge_invoke, fake_jira, forge_installation
):
    fake_jira.clear_requests()
    response = forge_invoke(
        SAVED,
        user=LEE,
        method="POST",
        json={"name": "Team", "query": {"preset": ["this-week"]}, "shared": True},
        headers={"x-forge-oauth-system": None},
    )
    assert response.status_code == 403, response.text
    assert "system token" in response.json()["error"]
    assert _writes(fake_jira) == []
    assert fake_jira.forge_app_property(forge_installation, APP_PROPERTY) is None


def test_saved_reports_through_forge_leave_no_table_or_row_in_our_database(
    forge_invoke, tmp_path, database_inventory
):
    database = tmp_path / "ack.sqlite"
    inventory = database_inventory
    # The first invocation records the pure Forge installation (its identity); then nothing more.
    _listed(forge_invoke, OLU)
    before = inventory()
    _save(forge_invoke, LEE, SECRET_NAME)
    shared = _save(forge_invoke, LEE, SECRET_NAME + " shared", shared=True)
    _listed(forge_invoke, OLU)
    assert _delete(forge_invoke, OLU, shared, shared=True).status_code == 403
    assert inventory() == before
    assert SECRET_NAME.encode() not in database.read_bytes()
