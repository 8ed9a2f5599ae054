"""The Forge dashboard gadget's saved reports, over HTTP against the fake Jira site: Forge keeps
the gadget's configuration, and the gadget asks the app, through a Forge invocation, for the
saved report it names; the viewer's own reports are read with the app user token, shared ones
from Forge's app property with the app system token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from atlassian_connect_kit.testing.fakejira import Issue, Project, SiteData, User, Worklog

LEE = "5b10a2844c20165700edea01"
OLU = "5b10a2844c20165700edea02"
SAVED = "/timesheet/api/saved"
GADGET_SAVED = "/timesheet/api/gadget/saved"
GADGET_MODULE = "timesheet-dashboard-gadget"
SHARED_PROPERTY = "smart-timesheet-shared-reports"
QUERY = {"preset": ["last-week"], "group": ["user"], "columns": ["week"]}


@pytest.fixture
def fake_jira_site() -> SiteData:
    """Two people and a little work."""
    alpha = frozenset({"ALPHA"})
    users = [
        User(LEE, "Lee Lead", "lee@example.com", "UTC", project_keys=alpha),
        User(OLU, "Olu Other", "olu@example.com", "UTC", project_keys=alpha),
    ]
    issue = Issue("20001", "ALPHA-1", "Work", "Task", "ALPHA")
    worklog = Worklog("30001", "20001", LEE, datetime(2025, 3, 4, 9, tzinfo=UTC), 3600)
    return SiteData(
        users=users,
        projects=[Project("10000", "ALPHA", "Alpha")],
        issues=[issue],
        worklogs=[worklog],
    )


def _save(forge_invoke, viewer, name, *, shared):
    body = {"name": name, "query": QUERY, "shared": shared}
    response = forge_invoke(SAVED, user=viewer, method="POST", json=body)
    assert response.status_code == 201, response.text
    return response.json()["report"]["id"]


def _gadget(forge_invoke, viewer, report_id, *, shared):
    params = {"id": report_id, "shared": "true" if shared else "false"}
    return forge_invoke(GADGET_SAVED, user=viewer, params=params, module_key=GADGET_MODULE)


def test_a_forge_gadget_shows_a_personal_saved_report_to_its_owner_only(forge_invoke, fake_jira):
    report_id = _save(forge_invoke, LEE, "My week", shared=False)
    fake_jira.clear_requests()
    answer = _gadget(forge_invoke, LEE, report_id, shared=False)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "config": {"source": "saved", "id": report_id, "shared": False},
        "query": QUERY,
    }
    [read] = [r for r in fake_jira.requests if "/user/properties/" in r.path]
    assert (read.acting_as, read.account_id) == ("user", LEE)
    # Someone else viewing the dashboard finds no such report of theirs.
    other = _gadget(forge_invoke, OLU, report_id, shared=False)
    assert other.status_code == 200 and other.json()["query"] is None


def test_a_forge_gadget_shows_a_shared_report_from_forges_app_property(
    forge_invoke, fake_jira, forge_installation
):
    report_id = _save(forge_invoke, LEE, "Team week", shared=True)
    assert fake_jira.forge_app_property(forge_installation, SHARED_PROPERTY)["reports"]
    fake_jira.clear_requests()
    answer = _gadget(forge_invoke, OLU, report_id, shared=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["query"] == QUERY
    [read] = [r for r in fake_jira.requests if "/properties/" in r.path]
    assert read.path.endswith(f"/rest/forge/1/app/properties/{SHARED_PROPERTY}")
    assert (read.acting_as, read.account_id) == ("app", None)
    # The report it names drives the grid, through Forge like the rest.
    params = {name: values[0] for name, values in answer.json()["query"].items()}
    grid = forge_invoke("/timesheet/api/report", user=OLU, params=params)
    # Last week in weekly columns: one column.
    assert grid.status_code == 200 and len(grid.json()["columns"]) == 1
    # A deleted report leaves the gadget asking to be configured again.
    deleted = forge_invoke(
        SAVED, user=LEE, method="DELETE", params={"id": report_id, "shared": "true"}
    )
    assert deleted.status_code == 204
    assert _gadget(forge_invoke, OLU, report_id, shared=True).json()["query"] is None


@pytest.mark.parametrize("report_id", ["", "not-hex", "a" * 65])
def test_a_forge_gadget_asking_for_no_saved_report_id_gets_400(forge_invoke, report_id):
    answer = _gadget(forge_invoke, LEE, report_id, shared=False)
    assert answer.status_code == 400, answer.text
    assert answer.json()["parameter"] == "id"


def test_a_forge_invocation_without_a_user_reads_no_saved_report(forge_invoke, fake_jira):
    report_id = _save(forge_invoke, LEE, "Team week", shared=True)
    fake_jira.clear_requests()
    params = {"id": report_id, "shared": "true"}
    answer = forge_invoke(GADGET_SAVED, user=None, params=params, module_key=GADGET_MODULE)
    assert answer.status_code == 403
    assert "query" not in answer.json()
    assert not [r for r in fake_jira.requests if "/properties/" in r.path]
