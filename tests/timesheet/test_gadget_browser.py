"""The dashboard gadget in a real browser on the demo's dashboard: configured from its edit view,
kept in Jira as the dashboard item's property, showing a grid whose totals equal the full page's
for the same parameters, and leading to that page.

Runs on a headless Chromium (``ACK_TEST_CHROMIUM``) through Playwright; skipped when either is
missing, except under ``CI=true``.
"""

from __future__ import annotations

import shutil

import pytest
import requests

from atlassian_connect_kit.manifest import REMOTE_ENDPOINT_KEY
from smart_timesheet_plugin.gadget import CONFIG_PROPERTY
from tests.timesheet.browser import ARTIFACTS, REPO, TIMEOUT_MS

pytestmark = pytest.mark.browser

DOCS_IMAGES = REPO / "docs" / "images"
GADGET_LINK = 'nav a[data-module="smart-timesheet-gadget"]'


@pytest.fixture(scope="module")
def demo(browser):
    """The demo (fake site, add-on, host page with a dashboard) and a headless Chromium."""
    from atlassian_connect_kit.testing.demo import Demo

    running = Demo(port=0, seed=11, plugins=["smart_timesheet"])
    try:
        yield running, browser
    finally:
        running.stop()


@pytest.fixture
def page(demo):
    """A fresh browser page sized like a laptop screen; it must raise no error."""
    context = demo[1].new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], f"the page raised: {errors}"


def api_report(running, account_id, **params):
    """The JSON API's report for ``account_id``."""
    token = running.site.context_token(running.installed, account_id)
    response = requests.get(
        f"{running.app_server.base_url}/timesheet/api/report",
        params=params,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_gadget_is_configured_on_the_dashboard_and_matches_the_full_page(
    page, demo, playwright_api
):
    expect = playwright_api.expect
    running, _ = demo
    page.goto(f"{running.host_url}/")
    page.locator(GADGET_LINK).click()
    viewer = page.locator("#viewer").input_value()
    gadget = page.frame_locator("#addon-frame")
    # Not configured yet: the gadget opens on its edit view.
    form = gadget.get_by_role("form", name="Gadget settings")
    expect(form).to_be_visible()
    form.get_by_label("Period").select_option("last-month")
    form.get_by_label("Rows").select_option("project")
    form.get_by_label("Columns").select_option("week")
    form.get_by_role("button", name="Save").click()

    report = api_report(running, viewer, preset="last-month", group="project", columns="week")
    assert report["rows"], "the demo site has work logged last month"
    expect(gadget.locator("#tg-table")).to_be_visible()
    grand_total = f"{report['total'] / 3600:.2f}"
    expect(gadget.locator(".tg-grand-total")).to_have_text(grand_total)
    labels = [row["labels"][0] for row in report["rows"]]
    expect(gadget.locator("#tg-body th")).to_have_text(labels)
    expect(gadget.locator("#tg-head th")).to_have_text(
        ["Project", *(column["label"] for column in report["columns"]), "Total"]
    )
    # Kept by Jira, as the dashboard item's property: a reload shows the same grid.
    dashboard_id, items = running.host.dashboard(viewer)
    stored = running.site.dashboard_item_property(
        dashboard_id, items["smart-timesheet-gadget"], CONFIG_PROPERTY
    )
    assert stored == {
        "source": "grid",
        "preset": "last-month",
        "group": "project",
        "columns": "week",
        "project": [],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "timesheet-gadget.png"
    page.screenshot(path=str(shot))
    shutil.copyfile(shot, DOCS_IMAGES / "timesheet-gadget.png")

    # Jira's "Configure" brings the edit view back with the stored choices.
    page.get_by_role("button", name="Configure").click()
    expect(form).to_be_visible()
    expect(form.get_by_label("Period")).to_have_value("last-month")
    form.get_by_role("button", name="Cancel").click()
    expect(gadget.locator(".tg-grand-total")).to_have_text(grand_total)

    # "Open in Timesheet" opens the full page with the same parameters and the same total.
    gadget.get_by_role("link", name="Open in Timesheet").click()
    expect(page.locator('nav a[data-module="smart-timesheet"]')).to_have_attribute(
        "aria-current", "page"
    )
    timesheet = page.frame_locator("#addon-frame")
    expect(timesheet.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    expect(timesheet.get_by_label("Group by")).to_have_value("project")
    expect(timesheet.locator("#ts-grand-total")).to_have_text(grand_total)


def test_the_forge_gadget_keeps_its_configuration_in_forge_and_shows_the_same_grid(
    page, demo, playwright_api
):
    expect = playwright_api.expect
    running, _ = demo
    page.goto(f"{running.host_url}/")
    page.locator('nav a[data-forge][data-module="timesheet-dashboard-gadget"]').click()
    viewer = page.locator("#viewer").input_value()
    gadget = page.frame_locator("#addon-frame")
    form = gadget.get_by_role("form", name="Gadget settings")
    expect(form).to_be_visible()
    # The Forge app keeps no saved report of this viewer yet: the choice is there, unavailable.
    expect(form.get_by_label("A saved report")).to_be_disabled()
    form.get_by_label("Period").select_option("last-month")
    form.get_by_label("Rows").select_option("user")
    form.get_by_label("Columns").select_option("month")
    form.get_by_role("button", name="Save").click()

    # view.submit: Forge keeps the configuration and shows the gadget's view with it.
    report = api_report(running, viewer, preset="last-month", group="user", columns="month")
    expect(gadget.locator(".tg-grand-total")).to_have_text(f"{report['total'] / 3600:.2f}")
    expect(gadget.locator("#tg-body th")).to_have_text([row["labels"][0] for row in report["rows"]])
    # "Configure" opens the edit view on what Forge kept.
    page.get_by_role("button", name="Configure").click()
    expect(form).to_be_visible()
    expect(form.get_by_label("Columns")).to_have_value("month")

    # A report shared in the Forge app (Forge's app property), then chosen in the gadget.
    name = "Team by week, for the Forge dashboard"
    query = {"preset": ["last-week"], "group": ["project"], "columns": ["week"]}
    [installation] = running.site.forge_installations
    headers = running.site.forge_invocation_headers(
        installation, REMOTE_ENDPOINT_KEY, account_id=viewer
    )
    created = requests.post(
        f"{running.app_server.base_url}/timesheet/api/saved",
        json={"name": name, "query": query, "shared": True},
        headers=dict(headers),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    # The edit view lists saved reports when it opens: open the dashboard again, then edit.
    page.goto(f"{running.host_url}/")
    page.locator('nav a[data-forge][data-module="timesheet-dashboard-gadget"]').click()
    expect(gadget.locator(".tg-grand-total")).to_be_visible()
    page.get_by_role("button", name="Configure").click()
    expect(form).to_be_visible()
    form.get_by_label("A saved report").check()
    form.get_by_label("Saved report", exact=True).select_option(label=name)
    form.get_by_role("button", name="Save").click()
    shared = api_report(running, viewer, preset="last-week", group="project", columns="week")
    expect(gadget.locator(".tg-grand-total")).to_have_text(f"{shared['total'] / 3600:.2f}")
    expect(gadget.locator("#tg-body th")).to_have_text([row["labels"][0] for row in shared["rows"]])

    # "Open in Timesheet" asks Forge's router for the app's Timesheet page.
    gadget.get_by_role("link", name="Open in Timesheet").click()
    expect(
        page.locator('nav a[data-forge][data-module="timesheet-global-page"]')
    ).to_have_attribute("aria-current", "page")
    timesheet = page.frame_locator("#addon-frame")
    expect(timesheet.locator("#ts-grand-total")).to_be_attached()
    expect(timesheet.locator("#ts-report")).to_have_attribute("aria-busy", "false")
