"""``ack demo``'s Forge side: the add-on's Forge pages, served and answered as Forge would.

The Timesheet contributes two Forge pages, so a demo running it installs the add-on through
Forge too; the host serves the pages' Custom UI folder with the stand-in bridge and answers the
bridge's calls by invoking the app with tokens the fake site mints.
"""

from __future__ import annotations

import pytest
import requests

from atlassian_connect_kit.testing.demo import Demo
from atlassian_connect_kit.testing.demo_forge import CUSTOM_UI_POLICY, STAND_IN_BRIDGE
from tests.addon_for_tests import SampleAddon

GLOBAL = "timesheet-global-page"
PROJECT = "timesheet-project-page"


@pytest.fixture(scope="module")
def demo():
    """The demo running the Timesheet."""
    running = Demo(port=0, seed=4, plugins=["smart_timesheet"])
    try:
        yield running
    finally:
        running.stop()


def _viewer(demo):
    return next(user for user in demo.site.data.users if user.active and user.project_keys)


def _invoke(demo, **call):
    return requests.post(f"{demo.host_url}/api/forge/invoke", json=call, timeout=30)


def test_the_add_on_is_installed_through_forge_and_its_pages_are_listed(demo) -> None:
    (installation,) = demo.site.forge_installations
    assert installation.app.remotes["ack-remote"] == demo.app_server.base_url
    assert all(d.failure is None for d in demo.site.forge_deliveries)
    home = requests.get(f"{demo.host_url}/", timeout=10).text
    assert home.count(f'data-module="{GLOBAL}"') == 1
    # One Forge project page link per project, beside the Connect one.
    assert home.count(f'data-module="{PROJECT}"') == len(demo.site.data.projects)


def test_the_page_is_served_with_the_stand_in_bridge_under_a_strict_policy(demo) -> None:
    page = requests.get(f"{demo.host_url}/forge/{GLOBAL}/index.html", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CUSTOM_UI_POLICY
    assert "'unsafe-inline'" not in CUSTOM_UI_POLICY
    head = page.text.split("<head>", 1)[1]
    assert head.lstrip().startswith(f'<script src="{STAND_IN_BRIDGE}"></script>')
    script = requests.get(f"{demo.host_url}/forge/{GLOBAL}/timesheet.js", timeout=10)
    assert "javascript" in script.headers["Content-Type"]
    for bad in ("../../demo.py", "nope.js", "..%2F__init__.py"):
        assert requests.get(f"{demo.host_url}/forge/{GLOBAL}/{bad}", timeout=10).status_code == 404
    assert requests.get(f"{demo.host_url}/forge/nope/index.html", timeout=10).status_code == 400


def test_get_context_names_the_viewer_site_and_project(demo) -> None:
    viewer = _viewer(demo)
    project = sorted(viewer.project_keys)[0]
    context = requests.get(
        f"{demo.host_url}/api/forge/context",
        params={"module": PROJECT, "user": viewer.account_id, "project": project},
        timeout=10,
    ).json()
    assert context["accountId"] == viewer.account_id
    assert context["siteUrl"] == demo.site.base_url.rstrip("/")
    assert context["cloudId"] == demo.site.cloud_id
    assert context["timezone"] == (viewer.time_zone or demo.site.data.time_zone)
    assert context["extension"]["type"] == "jira:projectPage"
    assert context["extension"]["project"]["key"] == project
    unknown = requests.get(
        f"{demo.host_url}/api/forge/context",
        params={"module": PROJECT, "user": viewer.account_id, "project": "NOPE"},
        timeout=10,
    )
    assert unknown.status_code == 400


def test_invoke_calls_the_remote_as_the_viewer_with_a_fit(demo) -> None:
    viewer = _viewer(demo)
    demo.site.clear_requests()
    answer = _invoke(
        demo,
        module=GLOBAL,
        user=viewer.account_id,
        path="/timesheet/api/report?preset=last-month&group=project",
        method="GET",
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == 200 and body["headers"]["content-type"] == "application/json"
    assert {tuple(row["key"]) for row in body["body"]["rows"]} <= {
        (key,) for key in viewer.project_keys
    }
    calls = [r for r in demo.site.requests if r.direction == "received" and "/rest/" in r.path]
    assert calls and {call.account_id for call in calls} == {viewer.account_id}


def test_invoke_passes_the_remotes_refusals_on(demo) -> None:
    viewer = _viewer(demo)
    bad = _invoke(
        demo, module=GLOBAL, user=viewer.account_id, path="/timesheet/api/report?columns=x"
    ).json()
    assert bad["status"] == 400 and bad["body"]["parameter"] == "columns"
    # The Connect page does not take Forge invocations.
    page = _invoke(demo, module=GLOBAL, user=viewer.account_id, path="/timesheet").json()
    assert page["status"] == 401


@pytest.mark.parametrize(
    "call",
    [
        {"module": "nope", "path": "/timesheet/api/report"},
        {"module": GLOBAL, "path": "https://elsewhere.example/x"},
        {"module": GLOBAL, "path": "//elsewhere.example/x"},
        {"module": GLOBAL, "path": "/x", "method": "TRACE"},
        {"module": GLOBAL, "path": "/x", "user": "nobody"},
    ],
)
def test_invoke_refuses_what_forge_would_not_send(demo, call) -> None:
    sent = {"user": _viewer(demo).account_id, **call}
    assert _invoke(demo, **sent).status_code == 400


def test_an_add_on_without_forge_pages_shows_no_forge_side() -> None:
    demo = Demo(port=0, seed=3, plugins=[], extra_plugins=[SampleAddon()])
    try:
        home = requests.get(f"{demo.host_url}/", timeout=10).text
        assert "data-forge" not in home
        assert requests.get(f"{demo.host_url}/api/forge/context", timeout=10).status_code == 404
    finally:
        demo.stop()
