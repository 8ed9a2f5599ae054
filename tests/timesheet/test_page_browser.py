"""The Timesheet page in a real headless Chromium, inside the demo's Jira-like host page.

The demo runs in-process: a fake Jira site with ten weeks of synthetic worklogs, the add-on
installed into it, and the host page that opens the add-on's pages in an iframe. The tests use the
page as a person would (presets, buttons, keyboard) and check what it shows against the JSON API
and the CSV export.

Chromium comes from ``ACK_TEST_CHROMIUM`` or ``/usr/bin/chromium``. Without it, or without
Playwright, the tests are skipped, except under ``CI=true`` where they fail instead.
"""

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
import requests

from smart_timesheet_plugin.export import hours_text

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("ACK_TEST_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


def _unavailable(reason):
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"{reason}; CI=true requires the browser tests to run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_api():
    """Playwright's sync API module."""
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("Playwright is not installed (pip install playwright)")
    sync_api.expect.set_options(timeout=TIMEOUT_MS)
    return sync_api


@pytest.fixture(scope="module")
def browser(playwright_api):
    """A headless Chromium, from ACK_TEST_CHROMIUM or /usr/bin/chromium."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (set ACK_TEST_CHROMIUM to a Chromium binary)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def demo(browser):
    """The demo: fake Jira site, the add-on installed into it and the host page."""
    from atlassian_connect_kit.demo import Demo

    running = Demo(port=0, seed=11, plugins=["smart_timesheet"])
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(browser):
    """A fresh browser page (own storage) sized like a laptop screen."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], f"the page raised: {errors}"


def open_timesheet(page, demo, playwright_api):
    """Load the host page, which opens the Timesheet in its iframe; wait for the first report."""
    expect = playwright_api.expect
    page.goto(f"{demo.host_url}/")
    # The host opens its first page, the Timesheet, by itself (as Jira opens a chosen app page);
    # a click would only load the frame a second time.
    expect(page.locator('nav a[data-module="smart-timesheet"]')).to_have_attribute(
        "aria-current", "page"
    )
    frame = page.frame_locator("#addon-frame")
    expect(frame.locator("#ts-grand-total")).to_be_attached()
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    return frame


def choose_preset(frame, playwright_api, preset, report):
    """Click a preset and wait until the page shows ``report``'s range."""
    expect = playwright_api.expect
    frame.locator(f'[data-preset="{preset}"]').click()
    expect(frame.locator(f'[data-preset="{preset}"]')).to_have_attribute("aria-pressed", "true")
    # The export links follow the report on screen, so they show when it has arrived.
    loaded = re.compile(
        rf"^/timesheet/export\.csv\?from={report['from']}&to={report['to']}(&[^&]+)*&jwt=[\w.-]+$"
    )
    expect(frame.locator("#ts-csv")).to_have_attribute("href", loaded)
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")


def api_report(demo, account_id, **params):
    """The JSON API's report for ``account_id``, called as the page calls it."""
    token = demo.site.context_token(demo.installed, account_id)
    response = requests.get(
        f"{demo.app_server.base_url}/timesheet/api/report",
        params=params,
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_last_month_matches_the_api_and_the_csv_export(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    report = api_report(demo, viewer, preset="last-month")
    assert report["total"] > 0, "the demo data covers last month"

    choose_preset(frame, playwright_api, "last-month", report)

    expected = hours_text(report["total"])
    expect(frame.locator("#ts-grand-total")).to_have_text(expected)
    expect(frame.locator("#ts-summary-total")).to_have_text(f"{expected} h")
    assert frame.locator("#ts-from").input_value() == report["from"]
    assert frame.locator("#ts-to").input_value() == report["to"]
    # One column per day of the month, each with the API's column total.
    headers = frame.locator("thead th button.ts-sort")
    expect(headers).to_have_count(len(report["columns"]) + 2)
    totals = frame.locator("tfoot td")
    for index, column in enumerate(report["columns"]):
        seconds = report["totals"][column["key"]]
        expect(totals.nth(index)).to_have_text(hours_text(seconds) if seconds else "")
    expect(frame.locator("tbody tr")).to_have_count(len(report["rows"]))
    leaf_rows = sum(1 for row in report["rows"] if not row.get("subtotal"))
    expect(frame.locator("#ts-announcer")).to_have_text(
        f"Report loaded: {leaf_rows} {'row' if leaf_rows == 1 else 'rows'}, total {expected} hours."
    )

    with page.expect_download() as download_info:
        frame.locator("#ts-csv").click()
    download = download_info.value
    assert download.suggested_filename == f"timesheet_{report['from']}_{report['to']}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][1:-1] == [column["key"] for column in report["columns"]]
    assert rows[-1][0] == "Total"
    assert rows[-1][-1] == expected
    assert float(rows[-1][-1]) == pytest.approx(report["total"] / 3600, abs=0.005)

    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "timesheet.png"))


def test_a_cell_opens_its_worklogs_from_the_keyboard(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    report = api_report(demo, viewer, preset="last-week")
    choose_preset(frame, playwright_api, "last-week", report)

    cell = frame.locator("tbody .ts-cell").first
    cell_text = cell.inner_text()
    row_index, column_key = cell.get_attribute("data-row"), cell.get_attribute("data-column")
    cell.focus()
    cell.press("Enter")

    dialog = frame.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(frame.locator("#ts-detail-close")).to_be_focused()
    expect(frame.locator("#ts-detail-body")).to_have_attribute("aria-busy", "false")
    worklogs = dialog.locator("tbody tr")
    assert worklogs.count() >= 1
    row = report["rows"][int(row_index)]
    expect(frame.locator("#ts-detail-subtitle")).to_contain_text(" \u203a ".join(row["labels"]))
    expect(dialog.locator("tfoot td.ts-num")).to_have_text(cell_text)
    assert worklogs.first.locator("th").inner_text().strip()  # the issue key

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(
        frame.locator(f'.ts-cell[data-row="{row_index}"][data-column="{column_key}"]')
    ).to_be_focused()


def test_sorting_and_the_hours_format(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    report = api_report(demo, viewer, preset="last-month")
    choose_preset(frame, playwright_api, "last-month", report)

    total_header = frame.locator("thead th.ts-total-cell")
    total_header.locator("button").click()
    expect(total_header).to_have_attribute("aria-sort", "descending")
    totals = [float(text) for text in frame.locator("tbody td.ts-total-cell").all_inner_texts()]
    assert totals == sorted(totals, reverse=True)
    # Largest first is the order the exports can give too, so the links ask for it.
    expect(frame.locator("#ts-csv")).to_have_attribute("href", re.compile(r"&sort=total&jwt="))
    total_header.locator("button").press("Enter")
    expect(total_header).to_have_attribute("aria-sort", "ascending")
    totals = [float(text) for text in frame.locator("tbody td.ts-total-cell").all_inner_texts()]
    assert totals == sorted(totals)
    expect(frame.locator("#ts-csv")).not_to_have_attribute("href", re.compile("sort="))

    frame.get_by_label("Hours and minutes").check()
    minutes = round(report["total"] / 60)
    expect(frame.locator("#ts-grand-total")).to_have_text(f"{minutes // 60}:{minutes % 60:02d}")
    # The choice is remembered for the next visit.
    frame = open_timesheet(page, demo, playwright_api)
    expect(frame.get_by_label("Hours and minutes")).to_be_checked()
    expect(frame.locator("#ts-grand-total")).to_have_text(re.compile(r"^\d+:[0-5]\d$"))


def test_opened_directly_the_page_loads_and_points_at_a_bad_field(page, demo, playwright_api):
    # Outside Jira all.js has no host to answer it; the page must not wait for one.
    expect = playwright_api.expect
    viewer = next(user for user in demo.site.data.users if user.active).account_id
    page.goto(demo.site.signed_url(demo.installed, "/timesheet", account_id=viewer))
    expect(page.locator("#ts-grand-total")).to_be_attached()
    expect(page.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    report = api_report(demo, viewer)
    expect(page.locator("#ts-grand-total")).to_have_text(hours_text(report["total"]))

    page.get_by_label("More JQL").fill("labels = (billable")
    page.get_by_label("More JQL").press("Enter")
    expect(page.get_by_label("More JQL")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("More JQL")).to_be_focused()
    expect(page.locator("#ts-jql-error")).to_have_text("has a '(' that is not closed")
    expect(page.get_by_role("alert")).to_contain_text("More JQL: has a '(' that is not closed")
    # The report on screen stays the last good one, and typing clears the complaint.
    expect(page.locator("#ts-grand-total")).to_have_text(hours_text(report["total"]))
    page.get_by_label("More JQL").fill("")
    expect(page.get_by_label("More JQL")).not_to_have_attribute("aria-invalid", "true")


def test_the_page_renews_its_token_before_it_expires(page, demo, playwright_api):
    expect = playwright_api.expect
    page.clock.install()
    frame = open_timesheet(page, demo, playwright_api)
    first_href = frame.locator("#ts-csv").get_attribute("href")

    # Four minutes on (of the token's five), the page asks the host for a fresh token through
    # AP.context.getToken; the host page fetches one for its viewer.
    with page.expect_request(lambda request: "/api/context-token" in request.url):
        page.clock.fast_forward("04:10")

    # The export links carry the renewed token and still download.
    link = frame.locator("#ts-csv")
    expect(link).not_to_have_attribute("href", first_href)
    href = link.get_attribute("href")
    assert href.split("&jwt=")[0] == first_href.split("&jwt=")[0]
    download = requests.get(f"{demo.app_server.base_url}{href}", timeout=30)
    assert download.status_code == 200, download.text
    assert download.headers["Content-Type"].startswith("text/csv")


def test_the_page_explains_failures_and_recovers(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    # Answers to give instead of the API's, in order; then requests pass through.
    answers = []
    authorizations = []

    def answer(route):
        authorizations.append(route.request.headers.get("authorization", ""))
        if not answers:
            route.continue_()
            return
        status, headers, body = answers.pop(0)
        route.fulfill(
            status=status,
            headers={"Content-Type": "application/json", **headers},
            body=json.dumps(body),
        )

    page.route(re.compile(r"/timesheet/api/report\?"), answer)
    message = frame.locator("#ts-message")
    apply = frame.get_by_role("button", name="Apply")
    loaded = frame.locator("#ts-report[aria-busy='false'] #ts-grand-total")

    answers.append((503, {}, {"error": "Jira is unavailable right now; try again shortly."}))
    apply.click()
    expect(message).to_be_visible()
    expect(message).to_have_attribute("role", "alert")
    expect(message).to_contain_text("Jira is unavailable right now; try again shortly.")
    frame.get_by_role("button", name="Try again").click()
    expect(message).to_be_hidden()
    expect(loaded).to_be_attached()

    # Rate limited: the page waits as long as Jira asks, then retries once by itself.
    answers.append((429, {"Retry-After": "1"}, {"error": "Jira is rate limiting this site."}))
    apply.click()
    expect(message).to_contain_text("Retrying in 1 s")
    expect(message).to_be_hidden()
    expect(loaded).to_be_attached()

    # A token refused even after renewing it: the session is over.
    answers.extend([(401, {}, {"error": "authentication required"})] * 2)
    apply.click()
    expect(message).to_contain_text("Your session has expired")
    expect(frame.get_by_role("button", name="Reload")).to_be_visible()

    assert authorizations
    assert all(re.fullmatch(r"JWT [\w-]+\.[\w-]+\.[\w-]+", value) for value in authorizations)


def test_two_level_groups_sort_within_their_subtotals(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    frame.get_by_label("Group by").select_option("project")
    frame.get_by_label("Then by").select_option("user")
    frame.get_by_label("Columns").select_option("week")
    report = api_report(demo, viewer, preset="last-month", group="project,user", columns="week")
    choose_preset(frame, playwright_api, "last-month", report)
    expect(frame.locator("tbody tr.ts-row--subtotal")).to_have_count(
        sum(1 for row in report["rows"] if row.get("subtotal"))
    )

    frame.locator('button[data-sort="total"]').click()
    expect(frame.locator("thead th.ts-total-cell")).to_have_attribute("aria-sort", "descending")
    blocks = []
    for row in frame.locator("tbody tr").all():
        total = float(row.locator("td.ts-total-cell").inner_text())
        if "ts-row--subtotal" in (row.get_attribute("class") or ""):
            blocks.append((total, []))
        else:
            assert "ts-row--child" in row.get_attribute("class")
            blocks[-1][1].append(total)
    subtotals = [subtotal for subtotal, _ in blocks]
    assert subtotals == sorted(subtotals, reverse=True)
    for subtotal, children in blocks:
        assert children == sorted(children, reverse=True)
        assert sum(children) == pytest.approx(subtotal, abs=0.01 * len(children))
