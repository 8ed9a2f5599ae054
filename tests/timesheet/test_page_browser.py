"""The Timesheet page in a real headless Chromium, inside the demo's Jira-like host page.

The demo runs in-process: a fake Jira site with ten weeks of synthetic worklogs, the add-on
installed into it, and the host page that opens the add-on's pages in an iframe. The tests use the
page as a person would (presets, buttons, keyboard) and check what it shows against the JSON API
and the CSV export.

Chromium comes from ``ACK_TEST_CHROMIUM`` or ``/usr/bin/chromium``. Without it, or without
Playwright, the tests are skipped, except under ``CI=true`` where they fail instead.
"""

import base64
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine

from smart_timesheet_plugin.export import hours_text
from tests.timesheet.browser import ARTIFACTS, TIMEOUT_MS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(browser):
    """The demo: fake Jira site, the add-on installed into it and the host page."""
    from atlassian_connect_kit.testing.demo import Demo

    running = Demo(port=0, seed=11, plugins=["smart_timesheet"])
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def busy_demo(browser):
    """The demo on a busy site: a year of worklogs on 1,111 issues."""
    from atlassian_connect_kit.testing.demo import Demo, busy_site

    running = Demo(port=0, seed=5, plugins=["smart_timesheet"], site=busy_site(5))
    try:
        yield running
    finally:
        running.stop()


def new_page(browser, **options):
    """A fresh browser page (own storage) sized like a laptop screen, and the errors it raises."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, accept_downloads=True, **options
    )
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    errors = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    return context, opened, errors


@pytest.fixture
def page(browser):
    """A fresh browser page (own storage) sized like a laptop screen."""
    context, opened, errors = new_page(browser)
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


def timesheet_frame(page):
    """The Timesheet's frame, for running script in it."""
    return next(frame for frame in page.frames if "/timesheet?" in frame.url)


def focus_in_dialog(page):
    """True when the Timesheet's frame has the keyboard focus, inside the worklogs dialog."""
    return timesheet_frame(page).evaluate(
        "() => document.hasFocus() && Boolean(document.activeElement.closest('#ts-detail'))"
    )


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


def open_report(page, demo, playwright_api, preset, choices=(), **params):
    """Open the Timesheet, pick each (menu label, option) of ``choices``, then ``preset``; return
    the frame and the API's report for the same settings (``params``)."""
    frame = open_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    for label, option in choices:
        frame.get_by_label(label).select_option(option)
    report = api_report(demo, viewer, preset=preset, **params)
    choose_preset(frame, playwright_api, preset, report)
    return frame, report


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
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][1:-2] == [column["key"] for column in report["columns"]]
    assert rows[-1][0] == "Total"
    assert rows[-1][-2] == expected
    assert float(rows[-1][-2]) == pytest.approx(report["total"] / 3600, abs=0.005)

    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "timesheet.png"))


def test_a_cell_opens_its_worklogs_from_the_keyboard(page, demo, playwright_api):
    expect = playwright_api.expect
    frame, report = open_report(page, demo, playwright_api, "last-week")

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
    frame, report = open_report(page, demo, playwright_api, "last-month")

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
    # The exports follow the order on screen, smallest first too.
    expect(frame.locator("#ts-csv")).to_have_attribute(
        "href", re.compile(r"&sort=total&order=asc&jwt=")
    )
    # A day's column, largest first: the CSV lists the rows as the grid shows them.
    day = report["columns"][len(report["columns"]) // 2]["key"]
    day_header = frame.locator(f'thead button.ts-sort[data-sort="{day}"]')
    day_header.click()
    csv_link = frame.locator("#ts-csv")
    expect(csv_link).to_have_attribute("href", re.compile(rf"&sort={day}&jwt="))
    shown = frame.locator("tbody th.ts-label-cell").all_inner_texts()
    with page.expect_download() as download:
        csv_link.click()
    lines = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert [line[0] for line in lines[1:-1]] == [label.strip() for label in shown]
    day_header.click()
    expect(csv_link).to_have_attribute("href", re.compile(rf"&sort={day}&order=asc&jwt="))

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
    frame, report = open_report(
        page,
        demo,
        playwright_api,
        "last-month",
        [("Group by", "project"), ("Then by", "user"), ("Columns", "week")],
        group="project,user",
        columns="week",
    )
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


def test_the_zone_menu_opens_on_the_viewers_own_jira_zone(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    zone = demo.site.data.user(viewer).time_zone
    assert zone == "Europe/Moscow"
    # Jira appends the viewer's zone to the iframe URL as "tz"; it is not a choice of zone.
    frame_query = parse_qs(urlsplit(page.locator("#addon-frame").get_attribute("src")).query)
    assert frame_query["tz"] == [zone]
    menu = frame.get_by_label("Days counted in")
    expect(menu).to_have_value("viewer")
    expect(menu.locator("option:checked")).to_have_text(f"My Jira time zone ({zone})")
    expect(frame.locator("#ts-summary-meta")).to_contain_text(f"days in {zone}")
    expect(frame.locator("#ts-csv")).not_to_have_attribute("href", re.compile(r"[?&]tz="))


# Abbreviated month names as CLDR writes them (some CLDR versions shorten a few differently).
GERMAN_MONTHS = (
    *(r"Jan\.", r"Feb\.", r"März", r"Apr\.", r"Mai", r"Juni"),
    *(r"Juli", r"Aug\.", r"Sept?\.", r"Okt\.", r"Nov\.", r"Dez\."),
)
ENGLISH_MONTHS = (
    *("Jan", "Feb", "Mar", "Apr", "May", "Jun"),
    *("Jul", "Aug", "Sept?", "Oct", "Nov", "Dec"),
)


def open_as(page, demo, playwright_api, viewer):
    """Open the Timesheet in the host as ``viewer``; wait for the first report."""
    expect = playwright_api.expect
    open_timesheet(page, demo, playwright_api)
    page.locator("#viewer").select_option(viewer.account_id)
    # The host reloads its page for the new viewer, with Jira's "loc" for them in the frame's URL.
    expect(page.locator("#addon-frame")).to_have_attribute(
        "src", re.compile(rf"[?&]loc={viewer.locale.replace('_', '-')}&")
    )
    frame = page.frame_locator("#addon-frame")
    expect(frame.locator("#ts-grand-total")).to_be_attached()
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    return frame


def test_a_german_viewer_reads_german_dates_and_decimals_an_english_one_english(
    page, demo, playwright_api
):
    expect = playwright_api.expect
    users = [user for user in demo.site.data.users if user.active]
    german = next(user for user in users if user.locale == "de_DE" and user.project_keys)
    english = users[0]
    assert english.locale.startswith("en_")

    frame = open_as(page, demo, playwright_api, german)
    report = api_report(demo, german.account_id, preset="last-month")
    choose_preset(frame, playwright_api, "last-month", report)
    first, last = dt.date.fromisoformat(report["from"]), dt.date.fromisoformat(report["to"])
    month = GERMAN_MONTHS[first.month - 1]
    # 7,50 rather than 7.50, and "1. Nov." rather than "1 Nov".
    expect(frame.locator("#ts-grand-total")).to_have_text(
        hours_text(report["total"]).replace(".", ",")
    )
    expect(frame.locator("#ts-summary-total")).to_have_text(re.compile(r"^\d+,\d\d h$"))
    expect(frame.locator("#ts-decimal-sample")).to_have_text("7,50")
    expect(frame.locator("#ts-summary-title")).to_have_text(
        re.compile(rf"^1\. {month} \u2013 {last.day}\. {month} {last.year}$")
    )
    first_day = frame.locator(f'thead button[data-sort="{report["from"]}"]')
    expect(first_day.locator(".ts-sort__date")).to_have_text(re.compile(rf"^1\. {month}$"))
    totals = frame.locator("tbody td.ts-total-cell").all_inner_texts()
    assert totals and all(re.fullmatch(r"\d+,\d\d", text.strip()) for text in totals)
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "timesheet-german.png"))
    # The worklogs dialog: dates as 03.11.2026, 09:30 and hours with a comma too.
    frame.locator("tbody .ts-cell").first.click()
    expect(frame.locator("#ts-detail-body")).to_have_attribute("aria-busy", "false")
    expect(frame.locator("#ts-detail .ts-detail-started").first).to_have_text(
        re.compile(r"^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}")
    )
    expect(frame.locator("#ts-detail tfoot td.ts-num")).to_have_text(re.compile(r"^\d+,\d\d$"))
    page.keyboard.press("Escape")
    # Months as columns: German month names.
    frame.get_by_label("Columns").select_option("month")
    frame.locator("#ts-apply").click()
    expect(frame.locator("#ts-csv")).to_have_attribute("href", re.compile(r"columns=month"))
    expect(frame.locator(f'thead button[data-sort="{report["from"][:7]}"]')).to_have_text(
        re.compile(rf"{month} {first.year}")
    )
    # The export stays machine-readable: a point, ISO dates, whatever the viewer's locale.
    with page.expect_download() as download_info:
        frame.locator("#ts-csv").click()
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text("utf-8-sig"))))
    assert rows[0][1:-2] == [report["from"][:7]]
    assert rows[-1][-2] == hours_text(report["total"])

    frame = open_as(page, demo, playwright_api, english)
    report = api_report(demo, english.account_id, preset="last-month")
    choose_preset(frame, playwright_api, "last-month", report)
    month = ENGLISH_MONTHS[first.month - 1]
    expect(frame.locator("#ts-grand-total")).to_have_text(hours_text(report["total"]))
    expect(frame.locator("#ts-decimal-sample")).to_have_text("7.50")
    expect(frame.locator("#ts-summary-title")).to_have_text(
        re.compile(rf"^1 {month} \u2013 {last.day} {month} {last.year}$")
    )
    first_day = frame.locator(f'thead button[data-sort="{report["from"]}"]')
    expect(first_day.locator(".ts-sort__date")).to_have_text(re.compile(rf"^1 {month}$"))


def test_presets_follow_the_viewers_calendar_and_the_form_matches_the_report(
    browser, playwright_api
):
    from atlassian_connect_kit.testing.demo import Demo

    expect = playwright_api.expect
    # 01:30 on Tuesday 1 December in Moscow, the viewer's Jira zone; on the computer's clock (New
    # York) and in UTC it is still 30 November.
    moment = dt.datetime(2026, 11, 30, 22, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=True):
        demo = Demo(port=0, seed=11, plugins=["smart_timesheet"])
        context, page, errors = new_page(browser, timezone_id="America/New_York")
        try:
            page.clock.install(time=moment)
            frame = open_timesheet(page, demo, playwright_api)
            # The default period: this week in Moscow.
            expect(frame.locator('[data-preset="this-week"]')).to_have_attribute(
                "aria-pressed", "true"
            )
            expect(frame.locator("#ts-from")).to_have_value("2026-11-30")
            expect(frame.locator("#ts-to")).to_have_value("2026-12-06")

            november = {"from": "2026-11-01", "to": "2026-11-30"}
            choose_preset(frame, playwright_api, "last-month", november)
            expect(frame.locator("#ts-from")).to_have_value("2026-11-01")
            expect(frame.locator("#ts-to")).to_have_value("2026-11-30")
            expect(frame.locator("#ts-summary-title")).to_have_text("1 Nov \u2013 30 Nov 2026")

            # This month is December there, and today is 1 December.
            choose_preset(
                frame, playwright_api, "this-month", {"from": "2026-12-01", "to": "2026-12-31"}
            )
            expect(frame.locator("#ts-to")).to_have_value("2026-12-31")
            today = frame.locator("thead th.ts-today")
            expect(today).to_have_count(1)
            expect(today.locator("button")).to_have_attribute("data-sort", "2026-12-01")

            # A zone chosen for the report has its own calendar: New York is still in November.
            frame.get_by_label("Days counted in").select_option("America/New_York")
            choose_preset(frame, playwright_api, "this-month", november)
            expect(frame.locator("#ts-from")).to_have_value("2026-11-01")
            expect(frame.locator("thead th.ts-today button")).to_have_attribute(
                "data-sort", "2026-11-30"
            )
        finally:
            context.close()
            demo.stop()
    assert errors == [], f"the page raised: {errors}"


def test_the_total_row_and_the_grand_total_open_their_worklogs(page, demo, playwright_api):
    expect = playwright_api.expect
    frame, report = open_report(page, demo, playwright_api, "last-week")
    dialog = frame.get_by_role("dialog")
    body = frame.locator("#ts-detail-body")

    cell = frame.locator("tfoot .ts-cell[data-column]").first
    column = cell.get_attribute("data-column")
    cell.click()
    expect(dialog).to_be_visible()
    expect(body).to_have_attribute("aria-busy", "false")
    expect(frame.locator("#ts-detail-subtitle")).to_contain_text("All rows")
    expect(dialog.locator("tfoot td.ts-num")).to_have_text(hours_text(report["totals"][column]))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(cell).to_be_focused()

    grand_total = frame.locator("#ts-grand-total .ts-cell")
    grand_total.click()
    expect(body).to_have_attribute("aria-busy", "false")
    expect(dialog.locator("tfoot td.ts-num")).to_have_text(hours_text(report["total"]))
    expect(frame.locator("#ts-detail-subtitle")).to_contain_text("All rows")
    page.keyboard.press("Escape")
    expect(grand_total).to_be_focused()

    # A row's total: that row's worklogs over the whole period.
    row_total = frame.locator("tbody td.ts-total-cell .ts-cell").first
    row = report["rows"][int(row_total.get_attribute("data-row"))]
    row_total.click()
    expect(body).to_have_attribute("aria-busy", "false")
    expect(dialog.locator("tfoot td.ts-num")).to_have_text(hours_text(row["total"]))


def test_the_dialog_keeps_the_keyboard_until_escape_returns_it_to_the_cell(
    page, demo, playwright_api
):
    expect = playwright_api.expect
    frame, _ = open_report(page, demo, playwright_api, "last-week")
    cell = frame.locator("tbody .ts-cell[data-column]").first
    cell.focus()
    cell.press("Enter")
    expect(frame.locator("#ts-detail-body")).to_have_attribute("aria-busy", "false")
    stops = frame.locator("#ts-detail a[href], #ts-detail button, #ts-detail [tabindex='0']")
    rounds = stops.count() + 2
    for key in ("Tab", "Shift+Tab"):
        for _ in range(rounds):
            page.keyboard.press(key)
            assert focus_in_dialog(page), f"{key} took the focus out of the dialog"
    page.keyboard.press("Escape")
    expect(frame.get_by_role("dialog")).to_be_hidden()
    expect(cell).to_be_focused()


def test_a_failed_report_leaves_no_live_grid_or_exports(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    failures = [1]

    def answer(route):
        if failures:
            failures.pop()
            route.fulfill(
                status=503,
                headers={"Content-Type": "application/json"},
                body=json.dumps({"error": "Jira is unavailable right now; try again shortly."}),
            )
        else:
            route.continue_()

    page.route(re.compile(r"/timesheet/api/report\?"), answer)
    grid = frame.locator("#ts-grid")
    frame.get_by_label("Group by").select_option("project")
    frame.get_by_role("button", name="Apply").click()
    expect(frame.locator("#ts-message")).to_contain_text("Jira is unavailable")
    # The grid on screen is the previous report's: marked out of date, its numbers closed...
    expect(grid).to_have_class(re.compile(r"\bts-grid--stale\b"))
    expect(grid).to_have_js_property("inert", True)
    expect(frame.locator("#ts-stale")).to_be_visible()
    expect(frame.locator("#ts-stale")).to_contain_text("Out of date")
    # ...and its exports off.
    for link in (frame.locator("#ts-csv"), frame.locator("#ts-xlsx")):
        expect(link).to_have_attribute("aria-disabled", "true")
        expect(link).not_to_have_attribute("href", re.compile(".*"))

    frame.get_by_role("button", name="Try again").click()
    expect(frame.locator("#ts-stale")).to_be_hidden()
    expect(grid).not_to_have_class(re.compile(r"\bts-grid--stale\b"))
    expect(frame.locator("#ts-csv")).to_have_attribute("href", re.compile(r"group=project&jwt="))


def test_a_project_page_the_viewer_cannot_browse_says_so(page, demo, playwright_api):
    expect = playwright_api.expect
    viewer, project = next(
        (user, project)
        for user in demo.site.data.users
        if user.active
        for project in demo.site.data.projects
        if project.key not in user.project_keys
    )
    open_timesheet(page, demo, playwright_api)
    page.locator("#viewer").select_option(viewer.account_id)
    # The host reloads its page for the new viewer; the project page is opened once that page is
    # settled, so its late history update cannot take the host back to the global page.
    first = page.frame_locator("#addon-frame")
    expect(first.locator("#ts-grand-total")).to_be_attached()
    expect(first.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    link = page.locator(
        f'nav a[data-module="smart-timesheet-project"][data-project="{project.key}"]'
    )
    link.click()
    expect(link).to_have_attribute("aria-current", "page")
    frame = page.frame_locator("#addon-frame")
    message = frame.locator("#ts-message")
    expect(message).to_contain_text("You can't browse this project")
    expect(message).to_contain_text(project.key)
    # Nothing to correct in the form: the project field is the page's own, and stays quiet.
    expect(frame.locator("#ts-project")).not_to_have_attribute("aria-invalid", "true")
    expect(frame.locator("#ts-project-error")).to_be_hidden()


def test_issue_keys_link_to_the_issue_in_jira(page, demo, playwright_api):
    expect = playwright_api.expect
    frame, report = open_report(
        page, demo, playwright_api, "last-week", [("Group by", "issue")], group="issue"
    )
    key = report["rows"][0]["key"][0]
    row_link = frame.locator('tbody tr[aria-rowindex="2"] th a.ts-issue-link')
    expect(row_link).to_have_text(key)
    expect(row_link).to_have_attribute("href", f"{demo.site.base_url}/browse/{key}")

    frame.locator('tbody tr[aria-rowindex="2"] .ts-cell').first.click()
    expect(frame.locator("#ts-detail-body")).to_have_attribute("aria-busy", "false")
    dialog_link = frame.locator("#ts-detail tbody a.ts-issue-link").first
    expect(dialog_link).to_have_text(key)
    expect(dialog_link).to_have_attribute("href", f"{demo.site.base_url}/browse/{key}")
    # Inside Jira the link asks the host to show the issue (AP.navigator.go).
    dialog_link.click()
    expect(page.locator("#page-title")).to_have_text(key)
    expect(page.locator("#issue-summary")).to_have_text(demo.site.data.issue(key).summary)
    assert parse_qs(urlsplit(page.url).query)["issue"] == [key]
    page.evaluate("() => history.back()")
    expect(page.locator('nav a[data-module="smart-timesheet"]')).to_have_attribute(
        "aria-current", "page"
    )


def test_the_host_url_carries_the_report_for_bookmarks_and_links(page, demo, playwright_api):
    expect = playwright_api.expect
    frame, report = open_report(
        page,
        demo,
        playwright_api,
        "last-month",
        [("Group by", "project"), ("Columns", "week"), ("Days counted in", "Europe/Berlin")],
        group="project",
        columns="week",
        tz="Europe/Berlin",
    )
    frame.locator('button[data-sort="total"]').click()

    def host_query():
        return {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}

    expect(page).to_have_url(re.compile(r"[?&]ac\.sort=total(&|$)"))
    assert host_query() == {
        "module": "smart-timesheet",
        "ac.preset": "last-month",
        "ac.group": "project",
        "ac.columns": "week",
        "ac.tz": "Europe/Berlin",
        "ac.sort": "total",
    }

    # The link, opened again (a bookmark, or someone it was shared with), shows that report.
    page.goto(page.url)
    frame = page.frame_locator("#addon-frame")
    expect(frame.locator("#ts-report[aria-busy='false'] #ts-grand-total")).to_have_text(
        hours_text(report["total"])
    )
    expect(frame.get_by_label("Group by")).to_have_value("project")
    expect(frame.get_by_label("Columns")).to_have_value("week")
    expect(frame.get_by_label("Days counted in")).to_have_value("Europe/Berlin")
    expect(frame.locator('[data-preset="last-month"]')).to_have_attribute("aria-pressed", "true")
    expect(frame.locator("thead th.ts-total-cell")).to_have_attribute("aria-sort", "descending")
    expect(frame.locator("#ts-csv")).to_have_attribute(
        "href", re.compile(rf"from={report['from']}&to={report['to']}&.*tz=Europe%2FBerlin")
    )


def test_a_year_of_days_by_1111_rows_draws_and_stays_usable(page, busy_demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, busy_demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    today = dt.date.today()
    period = {"from": (today - dt.timedelta(days=365)).isoformat(), "to": today.isoformat()}
    report = api_report(busy_demo, viewer, group="issue", **period)
    assert (len(report["rows"]), len(report["columns"])) == (1111, 366)
    frame.get_by_label("From").fill(period["from"])
    frame.get_by_label("to", exact=True).fill(period["to"])
    frame.get_by_label("Group by").select_option("issue")
    frame.get_by_role("button", name="Apply").click()

    table = frame.locator("#ts-table")
    expect(table).to_have_attribute("aria-rowcount", "1113", timeout=60_000)
    expect(table).to_have_attribute("aria-colcount", "368")
    expect(frame.locator("#ts-grand-total")).to_have_text(hours_text(report["total"]))
    # Only what is in view (and a margin) is in the document.
    drawn_rows = frame.locator("tbody tr[aria-rowindex]")
    assert 0 < drawn_rows.count() < 200
    assert frame.locator("thead th .ts-sort").count() < 100
    first_row = frame.locator('tbody tr[aria-rowindex="2"] th.ts-label-cell')
    expect(first_row).to_have_text(report["rows"][0]["labels"][0])

    # Scrolling to the far end brings the last row and the last day.
    grid = frame.locator("#ts-grid")
    grid.evaluate(
        "(box) => { box.scrollTop = box.scrollHeight; box.scrollLeft = box.scrollWidth; }"
    )
    last_row = frame.locator('tbody tr[aria-rowindex="1112"] th.ts-label-cell')
    expect(last_row).to_have_text(report["rows"][-1]["labels"][0])
    last_day = report["columns"][-1]["key"]
    expect(frame.locator(f'thead button[data-sort="{last_day}"]')).to_be_attached()
    assert drawn_rows.count() < 200

    # Sorting orders all 1,111 rows, largest total first.
    grid.evaluate("(box) => { box.scrollTop = 0; box.scrollLeft = 0; }")
    frame.locator('button[data-sort="total"]').click()
    expect(frame.locator("thead th.ts-total-cell")).to_have_attribute("aria-sort", "descending")
    largest = max(row["total"] for row in report["rows"])
    top_total = frame.locator('tbody tr[aria-rowindex="2"] td.ts-total-cell')
    expect(top_total).to_have_text(hours_text(largest))

    # Hours and minutes, everywhere in view.
    frame.get_by_label("Hours and minutes").check()
    minutes = round(largest / 60)
    expect(top_total).to_have_text(f"{minutes // 60}:{minutes % 60:02d}")
    minutes = round(report["total"] / 60)
    expect(frame.locator("#ts-grand-total")).to_have_text(f"{minutes // 60}:{minutes % 60:02d}")

    # A cell deep in the grid opens its worklogs, and Escape brings the focus back to it.
    grid.evaluate("(box) => { box.scrollTop = box.scrollHeight / 2; box.scrollLeft = 9000; }")
    expect(frame.locator('tbody tr[aria-rowindex="557"]')).to_be_attached()
    middle_day = report["columns"][(9000 - 280) // 72]["key"]
    expect(frame.locator(f'thead button[data-sort="{middle_day}"]')).to_be_attached()
    some_cell = frame.locator("tbody .ts-cell[data-column]").nth(5)
    row, column = some_cell.get_attribute("data-row"), some_cell.get_attribute("data-column")
    cell = frame.locator(f'.ts-cell[data-row="{row}"][data-column="{column}"]')
    cell.focus()
    cell.press("Enter")
    expect(frame.locator("#ts-detail-body")).to_have_attribute("aria-busy", "false")
    page.keyboard.press("Escape")
    expect(cell).to_be_focused()

    # The chart of it: a bar per day, the largest eight issues and the rest as "Other", each bar
    # the day's total; the grid stays windowed.
    frame.get_by_role("button", name="Chart").click()
    chart = frame.locator("#ts-chart")
    expect(chart.locator(".ts-chart__bar")).to_have_count(366)
    series = top_level_series(report)
    expect(chart.locator(".ts-chart__legend-item")).to_have_count(len(series))
    expect(chart.locator(".ts-chart__legend-item").last).to_contain_text(series[-1][0])
    assert series[-1][0] == f"Other ({len(report['rows']) - 8})"
    for bar in chart_bars(page):
        assert sum(part[1] for part in bar["segments"]) == report["totals"][bar["column"]]
    expect(frame.locator("#ts-chart-table tbody tr")).to_have_count(366)
    assert drawn_rows.count() < 200


def test_the_people_picker_shows_names_and_sends_ids(page, demo, playwright_api):
    expect = playwright_api.expect
    frame, report = open_report(page, demo, playwright_api, "last-month")
    # Someone with work last month, found by the start of their name.
    wanted = next(row for row in report["rows"] if row["cells"] or row["total"])
    account_id, name = wanted["key"][0], wanted["labels"][0]
    picker = frame.get_by_role("combobox", name="People")
    picker.fill(name.split()[0][:3])
    option = frame.get_by_role("option", name=name, exact=True)
    expect(option).to_be_visible()
    while frame.locator(".ts-option[aria-selected='true']").inner_text() != name:
        picker.press("ArrowDown")
    picker.press("Enter")
    chips = frame.locator("#ts-user-chips .ts-chip")
    expect(chips).to_have_count(1)
    expect(chips.first).to_contain_text(name)
    expect(picker).to_have_value("")
    with page.expect_request(re.compile(r"/timesheet/api/report\?")) as sent:
        frame.get_by_role("button", name="Apply").click()
    query = parse_qs(urlsplit(sent.value.url).query)
    assert query["user"] == [account_id]  # the id travels, the name is shown
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    labels = frame.locator("tbody th.ts-label-cell").all_inner_texts()
    assert labels and all(name in label for label in labels)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timesheet-people-picker.png"))
    # Removing the chip brings everyone back.
    frame.get_by_role("button", name=f"Remove {name}").click()
    expect(chips).to_have_count(0)
    with page.expect_request(re.compile(r"/timesheet/api/report\?")) as sent:
        frame.get_by_role("button", name="Apply").click()
    assert "user" not in parse_qs(urlsplit(sent.value.url).query)


def test_a_pivot_by_people_and_a_component_grouping_from_the_form(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    frame.get_by_label("Group by").select_option("project")
    frame.get_by_label("Columns").select_option("pivot:user")
    with page.expect_request(re.compile(r"/timesheet/api/report\?")) as sent:
        frame.get_by_role("button", name="Apply").click()
    query = parse_qs(urlsplit(sent.value.url).query)
    assert query["pivot"] == ["user"] and "columns" not in query
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    params = {name: values[0] for name, values in query.items()}
    report = api_report(demo, viewer, **params)
    # The columns are people, labelled by name.
    headers = frame.locator("thead button.ts-sort")
    expect(headers).to_have_count(len(report["columns"]) + 2)
    if report["columns"]:
        expect(frame.locator("thead")).to_contain_text(report["columns"][0]["label"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "timesheet-pivot.png"))
    # The custom field's id is asked for only when a level groups by it.
    expect(frame.get_by_label("Custom field")).to_be_hidden()
    frame.get_by_label("Then by").select_option("field")
    expect(frame.get_by_label("Custom field")).to_be_visible()
    frame.get_by_label("Then by").select_option("component")
    expect(frame.get_by_label("Custom field")).to_be_hidden()
    with page.expect_request(re.compile(r"/timesheet/api/report\?")) as sent:
        frame.get_by_role("button", name="Apply").click()
    assert parse_qs(urlsplit(sent.value.url).query)["group"] == ["project,component"]
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    expect(frame.locator("#ts-message")).to_be_hidden()


def test_a_saved_report_is_listed_reopened_and_deleted(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    frame.get_by_label("Group by").select_option("project")
    frame.get_by_label("Columns").select_option("week")
    frame.get_by_role("button", name="Last month").click()
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    name = "Projects by week, last month"
    frame.get_by_label("Save these settings as").fill(name)
    frame.get_by_role("button", name="Save", exact=True).click()
    expect(frame.locator("#ts-saved-status")).to_contain_text(f'Saved "{name}"')
    saved = frame.get_by_label("Saved reports")
    expect(saved.locator("#ts-saved-personal option")).to_have_text([name])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timesheet-saved.png"))
    # Kept in Jira: a new visit lists it, and choosing it brings its settings back.
    frame = open_timesheet(page, demo, playwright_api)
    frame.get_by_label("Group by").select_option("user")
    saved = frame.get_by_label("Saved reports")
    expect(saved.locator("#ts-saved-personal option")).to_have_text([name])
    with page.expect_request(re.compile(r"/timesheet/api/report\?")) as sent:
        saved.select_option(label=name)
    query = parse_qs(urlsplit(sent.value.url).query)
    assert query["preset"] == ["last-month"]
    assert query["group"] == ["project"] and query["columns"] == ["week"]
    expect(frame.get_by_label("Group by")).to_have_value("project")
    frame.get_by_role("button", name="Delete").click()
    expect(frame.locator("#ts-saved-status")).to_contain_text(f'Deleted "{name}"')
    expect(saved.locator("#ts-saved-personal option")).to_have_count(0)


def test_expected_hours_show_next_to_logged_hours_marked_under_and_over(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    last_week = api_report(demo, viewer, preset="last-week")
    wednesday = (dt.date.fromisoformat(last_week["from"]) + dt.timedelta(days=2)).isoformat()
    # The viewer is no Jira administrator: the site's week is shown, not editable; their own
    # days off are theirs to set.
    frame.get_by_role("button", name="Working week and days off…").click()
    settings = frame.locator("#ts-expected-dialog")
    expect(settings.locator("#ts-week-mon")).to_have_value("8")
    expect(settings.locator("#ts-week-mon")).to_be_disabled()
    expect(settings.locator("#ts-week-note")).to_contain_text("Only a Jira administrator")
    expect(settings.get_by_role("button", name="Save working week")).to_be_hidden()
    settings.get_by_label("My days off").fill(wednesday)
    settings.get_by_role("button", name="Save my days off").click()
    expect(settings.locator("#ts-expected-status")).to_have_text("1 day off saved in Jira.")
    settings.get_by_role("button", name="Close").click()
    expect(settings).to_be_hidden()

    with page.expect_request(re.compile(r"/timesheet/api/report\?.*expected=1")):
        frame.get_by_label("Show expected hours").check()
    report = api_report(demo, viewer, preset="last-week", expected="1")
    choose_preset(frame, playwright_api, "last-week", report)
    mine = next(row for row in report["rows"] if row["key"] == [viewer])
    # Four days of eight hours: the Wednesday off expects nothing.
    assert mine["expectedTotal"] == 32 * 3600 and wednesday not in mine["expected"]
    row = frame.locator("tbody tr").filter(has=frame.locator("th", has_text=mine["labels"][0]))
    total = row.locator(".ts-total-cell .ts-expected")
    expect(total).to_contain_text(f"/ {hours_text(mine['expectedTotal'])}")
    kind = "over" if mine["total"] > mine["expectedTotal"] else "under"
    sign = "+" if kind == "over" else "\N{MINUS SIGN}"
    difference = abs(mine["total"] - mine["expectedTotal"])
    expect(total.locator(".ts-expected__sign")).to_have_text(f"{sign}{hours_text(difference)}")
    expect(total).to_have_attribute("title", re.compile(rf"{hours_text(difference)} {kind}$"))
    expect(row.locator(f'td[class*="ts-cell--"] .ts-expected--{kind}').first).to_be_visible()
    # Both markings appear, each told by a sign and words, not by colour alone.
    for marking, word in (("under", "under"), ("over", "over")):
        figures = frame.locator(f"tbody .ts-total-cell .ts-expected--{marking}")
        people = [
            r
            for r in report["rows"]
            if (r["total"] < r["expectedTotal"]) == (marking == "under")
            and r["total"] != r["expectedTotal"]
        ]
        expect(figures).to_have_count(len(people))
        expect(figures.first.locator(".ts-visually-hidden").last).to_have_text(f" {word}")
    grand = frame.locator("#ts-grand-total .ts-expected__of")
    expect(grand).to_have_text(f"/ {hours_text(report['expectedTotal'])}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timesheet-expected.png"))
    # The CSV on screen carries the expected line after the viewer's own.
    href = frame.locator("#ts-csv").get_attribute("href")
    assert "expected=1" in href


# ---- The chart and printing ---------------------------------------------------------------------

CHART_BARS = """() => Array.from(document.querySelectorAll('#ts-chart .ts-chart__bar'), (bar) => ({
    column: bar.dataset.column,
    segments: Array.from(bar.querySelectorAll('.ts-chart__segment'),
                         (part) => [part.getAttribute('aria-label'), Number(part.dataset.seconds)]),
}))"""


def chart_bars(page, forge=False):
    """The chart's bars as drawn: each column's key and its segments' names and seconds."""
    frame = page.locator("#addon-frame").element_handle().content_frame() if forge else None
    return (frame or timesheet_frame(page)).evaluate(CHART_BARS)


def top_level_series(report, limit=8):
    """The chart's series as a reader works them out from the API's report: the first level's
    rows (subtotals of a two-level report), largest first, past ``limit`` + 1 folded together."""
    two_level = any(row.get("subtotal") for row in report["rows"])
    rows = [row for row in report["rows"] if row.get("subtotal") or not two_level]
    rows = sorted((row for row in rows if row["total"]), key=lambda row: -row["total"])
    if len(rows) <= limit + 1:
        return [(row["labels"][0], row["cells"], row["total"]) for row in rows]
    rest = rows[limit:]
    other = {}
    for row in rest:
        for key, seconds in row["cells"].items():
            other[key] = other.get(key, 0) + seconds
    kept = [(row["labels"][0], row["cells"], row["total"]) for row in rows[:limit]]
    return [*kept, (f"Other ({len(rest)})", other, sum(row["total"] for row in rest))]


def test_the_chart_stacks_each_columns_total_by_the_first_group(page, demo, playwright_api):
    expect = playwright_api.expect
    frame = open_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    toggle = frame.get_by_role("button", name="Chart")
    chart = frame.locator("#ts-chart")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(chart).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    frame.get_by_label("Group by").select_option("project")
    frame.get_by_label("Then by").select_option("user")
    report = api_report(demo, viewer, preset="last-month", group="project,user")
    choose_preset(frame, playwright_api, "last-month", report)

    # One bar per column, stacked by project (the first level), each adding up to the grid's
    # column total.
    expect(chart).to_be_visible()
    expect(chart.locator(".ts-chart__bar")).to_have_count(len(report["columns"]))
    bars = chart_bars(page)
    assert [bar["column"] for bar in bars] == [column["key"] for column in report["columns"]]
    grid_totals = frame.locator("#ts-table tfoot td").all_inner_texts()
    series = top_level_series(report)
    assert len(series) > 1
    for index, bar in enumerate(bars):
        seconds = sum(part[1] for part in bar["segments"])
        assert seconds == report["totals"][bar["column"]]
        assert grid_totals[index] == (hours_text(seconds) if seconds else "")
        label = report["columns"][index]["label"]
        assert [part[0] for part in bar["segments"]] == [
            f"{name}, {label}: {hours_text(cells[bar['column']])} h"
            for name, cells, _ in series
            if cells.get(bar["column"])
        ]
    expect(chart.locator(".ts-chart__legend-item")).to_have_text(
        [f"{name}: {hours_text(total)} h" for name, _, total in series]
    )
    expect(frame.locator("#ts-chart-title")).to_have_text("Hours per column, stacked by project")

    # The same numbers as a table: hidden from view but not from screen readers, until asked.
    data = frame.locator("#ts-chart-data")
    expect(data).to_have_class(re.compile(r"\bts-visually-hidden\b"))
    table_rows = frame.locator("#ts-chart-table tbody tr")
    expect(table_rows).to_have_count(len(report["columns"]))
    for index, column in enumerate(report["columns"]):
        key = column["key"]
        expected = [hours_text(cells.get(key, 0)) for _, cells, _ in series]
        expected.append(hours_text(report["totals"][key]))
        cells = table_rows.nth(index).locator("th, td").all_inner_texts()
        assert cells == [column["label"], *expected]
    show = frame.get_by_role("button", name="Show the numbers")
    show.click()
    expect(data).not_to_have_class(re.compile(r"\bts-visually-hidden\b"))
    expect(frame.get_by_role("button", name="Hide the numbers")).to_have_attribute(
        "aria-expanded", "true"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    frame.get_by_role("button", name="Hide the numbers").click()
    expect(data).to_have_class(re.compile(r"\bts-visually-hidden\b"))
    chart.screenshot(path=str(ARTIFACTS / "timesheet-chart.png"))

    # The keyboard: one tab stop, the arrows go from bar to bar; the part is named in words.
    first = chart.locator('.ts-chart__segment[tabindex="0"]')
    expect(first).to_have_count(1)
    first.focus()
    first_column = timesheet_frame(page).evaluate(
        "() => document.activeElement.parentNode.dataset.column"
    )
    page.keyboard.press("ArrowRight")
    moved = timesheet_frame(page).evaluate(
        "() => [document.activeElement.parentNode.dataset.column,"
        " document.activeElement.getAttribute('aria-label')]"
    )
    assert moved[0] != first_column
    expect(frame.locator("#ts-chart-readout")).to_have_text(moved[1])

    # Hours and minutes: the chart follows.
    frame.get_by_label("Hours and minutes").check()
    minutes = round(report["total"] / 60)
    expect(frame.locator("#ts-chart-table tfoot td").last).to_have_text(
        f"{minutes // 60}:{minutes % 60:02d}"
    )

    # Many groups: the biggest eight by name and the rest as one "Other".
    frame.get_by_label("Group by").select_option("issue")
    frame.get_by_label("Then by").select_option("")
    frame.get_by_role("button", name="Apply").click()
    issues = api_report(demo, viewer, preset="last-month", group="issue")
    series = top_level_series(issues)
    assert series[-1][0].startswith("Other (")
    expect(chart.locator(".ts-chart__legend-item")).to_have_count(len(series))
    expect(chart.locator(".ts-chart__legend-item").last).to_contain_text(series[-1][0])
    expect(frame.locator("#ts-chart-title")).to_have_text("Hours per column, stacked by issue")
    for bar in chart_bars(page):
        assert sum(part[1] for part in bar["segments"]) == issues["totals"][bar["column"]]

    # The choice is remembered for the next visit.
    frame = open_timesheet(page, demo, playwright_api)
    toggle = frame.get_by_role("button", name="Chart")
    chart = frame.locator("#ts-chart")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(chart.locator(".ts-chart__bar").first).to_be_attached()

    # Chart off: gone, and it stays off for the next report.
    toggle.click()
    expect(chart).to_be_hidden()
    frame.get_by_role("button", name="Apply").click()
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    expect(chart).to_be_hidden()


def test_printing_shows_the_whole_grid_and_the_chart_without_the_controls(
    page, busy_demo, playwright_api
):
    expect = playwright_api.expect
    frame = open_timesheet(page, busy_demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    today = dt.date.today()
    period = {"from": (today - dt.timedelta(days=59)).isoformat(), "to": today.isoformat()}
    report = api_report(busy_demo, viewer, group="issue", **period)
    count = len(report["rows"])
    assert count > 300, "the busy site fills a big grid"
    frame.get_by_label("From").fill(period["from"])
    frame.get_by_label("to", exact=True).fill(period["to"])
    frame.get_by_label("Group by").select_option("issue")
    frame.get_by_role("button", name="Chart").click()
    frame.get_by_role("button", name="Apply").click()
    expect(frame.locator("#ts-table")).to_have_attribute(
        "aria-rowcount", str(count + 2), timeout=60_000
    )
    expect(frame.locator("#ts-chart .ts-chart__bar")).to_have_count(len(report["columns"]))
    drawn_rows = frame.locator("tbody tr[aria-rowindex]")
    assert drawn_rows.count() < 200  # on screen, only the rows in view are drawn
    expect(frame.get_by_role("button", name="Print")).to_be_visible()

    # The page fills Jira's content area (sizeToParent): printing, however tall the page grows,
    # leaves its frame as it was.
    frame_height = page.locator("#addon-frame").evaluate("f => f.getBoundingClientRect().height")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setEmulatedMedia", {"media": "print"})
    # On paper: no form, buttons or menus; the period, the settings and every row and column.
    expect(frame.locator("#ts-form")).to_be_hidden()
    expect(frame.locator("#ts-chart-toggle")).to_be_hidden()
    expect(frame.locator("#ts-csv")).to_be_hidden()
    expect(frame.get_by_role("button", name="Print")).to_be_hidden()
    expect(frame.locator("#ts-hours-format")).to_be_hidden()
    expect(drawn_rows).to_have_count(count, timeout=60_000)
    expect(frame.locator("tbody tr.ts-spacer")).to_have_count(0)
    expect(frame.locator("thead button.ts-sort")).to_have_count(len(report["columns"]) + 2)
    expect(frame.locator("#ts-summary-title")).to_be_visible()
    filters = frame.locator("#ts-print-filters")
    expect(filters).to_be_visible()
    expect(filters).to_contain_text("Projects: All projects")
    expect(filters).to_contain_text("People: Everyone")
    expect(frame.locator(f'tbody tr[aria-rowindex="{count + 1}"]')).to_be_visible()
    expect(frame.locator("#ts-chart")).to_be_visible()
    style = timesheet_frame(page).evaluate(
        """() => {
            const row = document.querySelector('tbody tr[aria-rowindex]');
            const grid = getComputedStyle(document.getElementById('ts-grid'));
            return {
                head: getComputedStyle(document.querySelector('#ts-table thead')).display,
                rows: getComputedStyle(row).breakInside,
                overflow: grid.overflowY,
                color: getComputedStyle(row.querySelector('th')).color,
                background: getComputedStyle(row.querySelector('th')).backgroundColor,
            };
        }"""
    )
    assert style == {
        "head": "table-header-group",
        "rows": "avoid",
        "overflow": "visible",
        "color": "rgb(0, 0, 0)",
        "background": "rgb(255, 255, 255)",
    }
    pdf = cdp.send("Page.printToPDF", {"landscape": True})
    assert base64.b64decode(pdf["data"]).startswith(b"%PDF")
    expect(drawn_rows).to_have_count(count)  # still print media: still the whole grid

    # Back on screen, the grid draws only what is in view again.
    cdp.send("Emulation.setEmulatedMedia", {"media": ""})
    expect(frame.locator("#ts-form")).to_be_visible()
    timesheet_frame(page).wait_for_function(
        "() => document.querySelectorAll('#ts-table tbody tr[aria-rowindex]').length < 200"
    )
    expect(frame.locator("tbody tr.ts-spacer")).not_to_have_count(0)
    assert (
        page.locator("#addon-frame").evaluate("f => f.getBoundingClientRect().height")
        == frame_height
    )


# ---- The Forge page ------------------------------------------------------------------------------
# The same page as a Forge Custom UI page: the demo host serves the built folder under a policy
# without inline script or style, and answers its @forge/bridge (view.getContext, invokeRemote)
# with Forge Invocation Tokens and user tokens minted with the fake site's keys.

FORGE_GLOBAL = 'nav a[data-forge][data-module="timesheet-global-page"]'


def open_forge_timesheet(page, demo, playwright_api, viewer=None, link=FORGE_GLOBAL):
    """Open a Forge Timesheet page in the host (as ``viewer``); wait for its first report.

    Returns the frame and the console's content security policy complaints (kept growing)."""
    expect = playwright_api.expect
    refusals = []
    page.on(
        "console",
        lambda message: (
            refusals.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{demo.host_url}/")
    if viewer is not None:
        page.locator("#viewer").select_option(viewer)
    page.locator(link).click()
    expect(page.locator(link)).to_have_attribute("aria-current", "page")
    frame = page.frame_locator("#addon-frame")
    # The first report follows the bridge's context: settings chosen before it would be reset.
    expect(frame.locator("#ts-grand-total")).to_be_attached()
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    return frame, refusals


def apply_last_month_by_project(frame, playwright_api, report):
    """Group by project, then pick last month; wait for ``report``'s range to be on screen."""
    expect = playwright_api.expect
    frame.get_by_label("Group by").select_option("project")
    frame.locator('[data-preset="last-month"]').click()
    expect(frame.locator("#ts-from")).to_have_value(report["from"])
    expect(frame.locator("#ts-caption")).to_contain_text("by project")
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    expect(frame.locator("#ts-csv")).not_to_have_attribute("aria-disabled", "true")


def csv_total(page, frame):
    """Download the CSV export from ``frame``; return its grand total cell."""
    with page.expect_download() as download_info:
        frame.locator("#ts-csv").click()
    download = download_info.value
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert rows[-1][0] == "Total"
    return download.suggested_filename, rows


def test_the_forge_page_totals_match_the_connect_page_and_the_csv(page, demo, playwright_api):
    expect = playwright_api.expect
    frame, refusals = open_forge_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    report = api_report(demo, viewer, preset="last-month", group="project")
    assert report["total"] > 0, "the demo data covers last month"
    expected = hours_text(report["total"])

    apply_last_month_by_project(frame, playwright_api, report)
    expect(frame.locator("#ts-grand-total")).to_have_text(expected)
    expect(frame.locator("#ts-table tbody tr")).to_have_count(len(report["rows"]))
    # The chart runs under Custom UI's policy too: built with DOM calls, styled by classes.
    frame.get_by_role("button", name="Chart").click()
    expect(frame.locator("#ts-chart .ts-chart__bar")).to_have_count(len(report["columns"]))
    for bar in chart_bars(page, forge=True):
        assert sum(part[1] for part in bar["segments"]) == report["totals"][bar["column"]]
    # Exports travel as JSON through invokeRemote; the page saves the very file.
    filename, rows = csv_total(page, frame)
    assert filename == f"timesheet_{report['from']}_{report['to']}.csv"
    assert rows[-1][rows[0].index("Total")] == expected
    forge_total = frame.locator("#ts-grand-total").text_content()

    # The Connect page, same viewer, same settings: the same number.
    page.locator('nav a[data-module="smart-timesheet"]').click()
    connect = page.frame_locator("#addon-frame")
    expect(connect.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    expect(connect.locator("#ts-csv")).to_have_attribute("href", re.compile(r"jwt="))
    apply_last_month_by_project(connect, playwright_api, report)
    expect(connect.locator("#ts-grand-total")).to_have_text(forge_total)
    assert refusals == []


def test_through_forge_a_viewer_sees_nothing_of_a_project_they_cannot_browse(
    page, demo, playwright_api
):
    expect = playwright_api.expect
    viewer, hidden = next(
        (user, project)
        for user in demo.site.data.users
        if user.active and user.project_keys
        for project in demo.site.data.projects
        if project.key not in user.project_keys
    )
    report = api_report(demo, viewer.account_id, preset="last-month", group="project")
    assert all(row["key"] != [hidden.key] for row in report["rows"])

    frame, refusals = open_forge_timesheet(page, demo, playwright_api, viewer.account_id)
    apply_last_month_by_project(frame, playwright_api, report)
    expect(frame.locator("#ts-grand-total")).to_have_text(hours_text(report["total"]))
    expect(frame.locator("tbody")).not_to_contain_text(f"{hidden.key}:")
    _, rows = csv_total(page, frame)
    assert not any(row[0].startswith(f"{hidden.key}:") for row in rows)

    # Its Forge project page says so, as the Connect one does, and shows no numbers.
    project_link = f'nav a[data-forge][data-project="{hidden.key}"]'
    page.locator(project_link).click()
    expect(page.locator(project_link)).to_have_attribute("aria-current", "page")
    project_frame = page.frame_locator("#addon-frame")
    expect(project_frame.locator("#ts-project")).to_have_value(hidden.key)
    expect(project_frame.locator("#ts-message")).to_contain_text("You can't browse this project")
    expect(project_frame.locator("#ts-grid")).to_be_hidden()
    assert refusals == []


def test_the_forge_project_page_is_fixed_to_its_project(page, demo, playwright_api):
    expect = playwright_api.expect
    viewer, project = next(
        (user, project)
        for user in demo.site.data.users
        if user.active
        for project in demo.site.data.projects
        if project.key in user.project_keys
    )
    report = api_report(
        demo, viewer.account_id, preset="last-month", group="project", project=project.key
    )
    link = f'nav a[data-forge][data-project="{project.key}"]'
    frame, refusals = open_forge_timesheet(page, demo, playwright_api, viewer.account_id, link)
    # The project comes from view.getContext(): the one index.html serves every project.
    field = frame.locator("#ts-project")
    expect(field).to_have_value(project.key)
    expect(field).to_have_attribute("readonly", "")
    expect(frame.locator("#ts-project-hint")).to_have_text("Fixed on a project page")
    apply_last_month_by_project(frame, playwright_api, report)
    expect(frame.locator("#ts-grand-total")).to_have_text(hours_text(report["total"]))
    assert all(row["key"] == [project.key] for row in report["rows"])
    expect(frame.locator("tbody tr")).to_have_count(len(report["rows"]))
    assert refusals == []


def test_through_forge_days_off_are_saved_in_jira_and_expected_hours_shown(
    page, demo, playwright_api
):
    expect = playwright_api.expect
    frame, refusals = open_forge_timesheet(page, demo, playwright_api)
    viewer = page.locator("#viewer").input_value()
    last_week = api_report(demo, viewer, preset="last-week")
    thursday = (dt.date.fromisoformat(last_week["from"]) + dt.timedelta(days=3)).isoformat()
    # The working week comes through invokeRemote; the viewer is no Jira administrator.
    frame.get_by_role("button", name="Working week and days off…").click()
    settings = frame.locator("#ts-expected-dialog")
    expect(settings.locator("#ts-week-mon")).to_have_value("8")
    expect(settings.locator("#ts-week-mon")).to_be_disabled()
    expect(settings.get_by_role("button", name="Save working week")).to_be_hidden()
    settings.get_by_label("My days off").fill(thursday)
    settings.get_by_role("button", name="Save my days off").click()
    expect(settings.locator("#ts-expected-status")).to_have_text("1 day off saved in Jira.")
    # A PUT through invokeRemote, kept as the viewer's own user property.
    assert demo.site.user_property(viewer, "smart-timesheet-days-off") == {"days": [thursday]}
    settings.get_by_role("button", name="Close").click()
    expect(settings).to_be_hidden()

    frame.get_by_label("Show expected hours").check()
    frame.locator('[data-preset="last-week"]').click()
    expect(frame.locator("#ts-from")).to_have_value(last_week["from"])
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    report = api_report(demo, viewer, preset="last-week", expected="1")
    mine = next(row for row in report["rows"] if row["key"] == [viewer])
    assert mine["expectedTotal"] == 32 * 3600 and thursday not in mine["expected"]
    row = frame.locator("tbody tr").filter(has=frame.locator("th", has_text=mine["labels"][0]))
    total = row.locator(".ts-total-cell .ts-expected")
    expect(total).to_contain_text(f"/ {hours_text(mine['expectedTotal'])}")
    grand = frame.locator("#ts-grand-total .ts-expected__of")
    expect(grand).to_have_text(f"/ {hours_text(report['expectedTotal'])}")
    assert refusals == []


def test_through_forge_a_shared_report_is_saved_in_jira_and_reopened(page, demo, playwright_api):
    expect = playwright_api.expect
    frame, refusals = open_forge_timesheet(page, demo, playwright_api)
    frame.get_by_label("Group by").select_option("project")
    frame.get_by_label("Columns").select_option("week")
    frame.locator('[data-preset="last-month"]').click()
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    month_start = frame.locator("#ts-from").input_value()
    name = "Projects by week, shared through Forge"
    frame.get_by_label("Save these settings as").fill(name)
    frame.get_by_label("Share with everyone").check()
    frame.get_by_role("button", name="Save", exact=True).click()
    expect(frame.locator("#ts-saved-status")).to_contain_text(f'Saved "{name}", shared')
    saved = frame.get_by_label("Saved reports")
    expect(saved.locator("#ts-saved-shared option")).to_have_text([name])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timesheet-forge-saved.png"))
    # Kept in Jira as the Forge app's property, nowhere else.
    [installation] = demo.site.forge_installations
    stored = demo.site.forge_app_property(installation, "smart-timesheet-shared-reports")
    assert [report["name"] for report in stored["reports"]] == [name]

    # A new visit lists it, and choosing it brings its settings back and shows that report.
    frame, _ = open_forge_timesheet(page, demo, playwright_api)
    frame.get_by_label("Group by").select_option("user")
    saved = frame.get_by_label("Saved reports")
    expect(saved.locator("#ts-saved-shared option")).to_have_text([name])
    saved.select_option(label=name)
    expect(frame.locator("#ts-saved-status")).to_contain_text(f'Showing "{name}"')
    expect(frame.get_by_label("Group by")).to_have_value("project")
    expect(frame.get_by_label("Columns")).to_have_value("week")
    expect(frame.locator("#ts-from")).to_have_value(month_start)
    expect(frame.locator("#ts-caption")).to_contain_text("by project")
    expect(frame.locator("#ts-report")).to_have_attribute("aria-busy", "false")
    # Its creator deletes it.
    frame.get_by_role("button", name="Delete").click()
    expect(frame.locator("#ts-saved-status")).to_contain_text(f'Deleted "{name}"')
    expect(saved.locator("#ts-saved-shared option")).to_have_count(0)
    assert demo.site.forge_app_property(installation, "smart-timesheet-shared-reports") == {
        "reports": []
    }
    assert refusals == []
