"""The Timesheet page as the server renders it: GET /timesheet inside Jira's iframe."""

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from pyramid.request import Request

from atlassian_connect_kit.settings import SETTINGS
from smart_timesheet_plugin.views import viewer_locale

STATIC = Path(__file__).resolve().parents[2] / "src" / "smart_timesheet_plugin" / "static"
PRODUCTION_ALL_JS = next(spec.default for spec in SETTINGS if spec.name == "ack.all_js_url")
# Attributes through which a page loads something.
LOADING_ATTRIBUTES = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "object": ("data",),
    "embed": ("src",),
    "use": ("href", "xlink:href"),
    "image": ("href", "xlink:href"),
}


class Page(HTMLParser):
    """The parts of the page the tests look at: elements by id, and every loaded resource."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.by_id = {}
        self.resources = []
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.by_id[attributes["id"]] = (tag, attributes)
        for name in LOADING_ATTRIBUTES.get(tag, ()):
            if attributes.get(name):
                self.resources.append((tag, attributes[name]))

    def elements(self, tag, **wanted):
        return [
            attributes
            for name, attributes in self.tags
            if name == tag and all(attributes.get(key) == value for key, value in wanted.items())
        ]


def open_page(signed_page_url, url, **context):
    response = requests.get(signed_page_url(url, **context), timeout=30)
    assert response.status_code == 200, response.text[:500]
    return response, Page(response.text)


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_page_renders_as_html5_in_english(signed_page_url):
    response, page = open_page(signed_page_url, "/timesheet")
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    assert page.elements("html", lang="en")
    assert "<title>Timesheet</title>" in response.text
    # The form offers every control the report reads.
    for control in (
        "ts-from",
        "ts-to",
        "ts-columns",
        "ts-week-start",
        "ts-group1",
        "ts-group2",
        "ts-project",
        "ts-user",
        "ts-jql",
        "ts-tz",
        "ts-apply",
        "ts-csv",
        "ts-xlsx",
    ):
        assert control in page.by_id, control
    presets = [attrs["data-preset"] for attrs in page.elements("button") if "data-preset" in attrs]
    assert presets == [
        "this-week",
        "last-week",
        "this-month",
        "last-month",
        "this-quarter",
        "last-quarter",
        "this-year",
        "last-year",
    ]
    groups = [
        attrs["value"]
        for attrs in page.elements("option")
        if attrs.get("value") in ("user", "project", "issue", "parent", "issuetype")
    ]
    assert groups == ["user", "project", "issue", "parent", "issuetype"] * 2
    assert {"viewer", "author", "UTC", "Europe/Berlin"} <= {
        attrs.get("value") for attrs in page.elements("option")
    }
    assert page.by_id["ts-detail"][0] == "dialog"
    assert page.by_id["ts-announcer"][1]["aria-live"] == "polite"
    assert page.by_id["ts-report"][1]["aria-busy"] == "false"


def test_the_page_hands_its_script_a_context_token_for_the_viewer(
    signed_page_url, ack_server, viewer
):
    url = signed_page_url("/timesheet", account_id=viewer.account_id)
    response = requests.get(url, timeout=30)
    root = Page(response.text).by_id["timesheet"][1]
    token = root["data-token"]
    assert token and token not in url
    claims = jwt_claims(token)
    assert claims["qsh"] == "context-qsh"
    assert claims["sub"] == viewer.account_id
    assert claims["exp"] - claims["iat"] == int(root["data-token-lifetime"])

    api = urljoin(ack_server.base_url, root["data-api-report"])
    report = requests.get(
        api,
        params={"from": "2026-01-05", "to": "2026-01-11"},
        headers={"Authorization": f"JWT {token}"},
        timeout=30,
    )
    assert report.status_code == 200, report.text
    assert report.json()["from"] == "2026-01-05"


def test_the_page_names_its_api_and_exports(signed_page_url):
    _, page = open_page(signed_page_url, "/timesheet")
    root = page.by_id["timesheet"][1]
    assert root["data-api-report"] == "/timesheet/api/report"
    assert root["data-api-worklogs"] == "/timesheet/api/worklogs"
    assert root["data-api-csv"] == "/timesheet/export.csv"
    assert root["data-api-xlsx"] == "/timesheet/export.xlsx"
    assert root["data-project-page"] == "false"
    # Without dates in the URL the period is a preset: the API resolves it in the report's zone,
    # which the page cannot know without asking Jira.
    initial = json.loads(root["data-initial"])
    assert initial["preset"] == ["this-week"]
    assert "from" not in initial and "to" not in initial


def test_only_all_js_comes_from_outside_in_production(signed_page_url, ack_server):
    response, page = open_page(signed_page_url, "/timesheet")
    page_url = response.url
    app_origin = urlsplit(ack_server.base_url).netloc
    external = []
    for _tag, value in page.resources:
        target = urlsplit(urljoin(page_url, value))
        if target.scheme == "data":
            continue
        if target.netloc != app_origin:
            external.append(value)
    assert external == [PRODUCTION_ALL_JS]
    (all_js,) = page.elements("script", src=PRODUCTION_ALL_JS)
    assert all_js["data-options"] == "sizeToParent:true"
    # The page's own files load nothing from elsewhere either (no web fonts, no imports). The
    # SVG namespace is a name the chart's elements are created in, never fetched.
    for name in ("timesheet.css", "timesheet.js", "timesheet-chart.js"):
        text = (STATIC / name).read_text(encoding="utf-8")
        text = text.replace('"http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://|@import|url\(\s*['\"]?//", text), name


def test_the_page_serves_its_script_and_style(signed_page_url, ack_server):
    response, page = open_page(signed_page_url, "/timesheet")
    local = [value for _, value in page.resources if value != PRODUCTION_ALL_JS]
    # The style, the transport adapter, the chart and the page script; no @forge/bridge outside
    # Forge.
    assert len(local) == 4
    for value in local:
        asset = requests.get(urljoin(response.url, value), timeout=30)
        assert asset.status_code == 200, value
        expected = "text/css" if value.endswith(".css") else "javascript"
        assert expected in asset.headers["Content-Type"]
        assert asset.content == (STATIC / value.rsplit("/", 1)[1]).read_bytes()


def test_the_project_page_fixes_the_project(signed_page_url, fake_jira):
    key = fake_jira.data.projects[0].key
    response, page = open_page(
        signed_page_url, "/timesheet?project={project.key}", **{"project.key": key}
    )
    root = page.by_id["timesheet"][1]
    assert root["data-project-page"] == "true"
    assert json.loads(root["data-initial"])["project"] == [key]
    field = page.by_id["ts-project"][1]
    assert field["value"] == key
    assert "readonly" in field
    assert f'<span class="ts-lozenge">{key}</span>' in response.text


def test_the_general_page_leaves_the_project_open(signed_page_url):
    _, page = open_page(signed_page_url, "/timesheet")
    field = page.by_id["ts-project"][1]
    assert field["value"] == ""
    assert "readonly" not in field


def test_report_parameters_in_the_url_become_the_initial_report(signed_page_url):
    _, page = open_page(
        signed_page_url, "/timesheet?from=2026-01-05&to=2026-01-18&group=project,user&columns=week"
    )
    initial = json.loads(page.by_id["timesheet"][1]["data-initial"])
    assert initial["from"] == ["2026-01-05"]
    assert initial["to"] == ["2026-01-18"]
    assert initial["group"] == ["project,user"]
    assert initial["columns"] == ["week"]


def test_a_pivot_a_custom_field_and_a_sort_order_in_the_url_are_kept(signed_page_url):
    _, page = open_page(
        signed_page_url,
        "/timesheet?group=field&field=customfield_10050&pivot=user&sort=total&order=asc",
    )
    initial = json.loads(page.by_id["timesheet"][1]["data-initial"])
    assert initial["field"] == ["customfield_10050"]
    assert initial["pivot"] == ["user"]
    assert (initial["sort"], initial["order"]) == (["total"], ["asc"])


def test_bad_parameters_in_the_url_fall_back_to_the_default_report(signed_page_url):
    _, page = open_page(signed_page_url, "/timesheet?from=yesterday&group=nothing")
    initial = json.loads(page.by_id["timesheet"][1]["data-initial"])
    assert "group" not in initial
    assert initial["preset"] == ["this-week"]


def test_a_preset_in_the_url_is_left_to_the_api(signed_page_url):
    _, page = open_page(signed_page_url, "/timesheet?preset=Last-Month&group=project")
    initial = json.loads(page.by_id["timesheet"][1]["data-initial"])
    assert initial["preset"] == ["last-month"]
    assert initial["group"] == ["project"]
    assert "from" not in initial


def test_jiras_own_tz_parameter_does_not_choose_the_reports_zone(signed_page_url, viewer):
    # Jira appends the viewer's zone as "tz" to every iframe URL; the report's zone stays
    # "viewer" (the viewer's Jira zone, whatever it becomes) unless the person picks another.
    url = signed_page_url("/timesheet", account_id=viewer.account_id)
    assert viewer.time_zone and f"tz={requests.utils.quote(viewer.time_zone, safe='')}" in url
    response = requests.get(url, timeout=30)
    initial = json.loads(Page(response.text).by_id["timesheet"][1]["data-initial"])
    assert "tz" not in initial


def test_the_page_carries_the_viewers_locale_from_jiras_loc_parameter(
    signed_page_url, fake_jira, viewer
):
    # Jira appends the viewer's locale as "loc" to every iframe URL; the page formats dates and
    # numbers in it.
    german = next(user for user in fake_jira.data.users if user.active and user.locale == "de_DE")
    for user, tag in ((german, "de-DE"), (viewer, viewer.locale.replace("_", "-"))):
        url = signed_page_url("/timesheet", account_id=user.account_id)
        assert f"loc={tag}" in url
        response = requests.get(url, timeout=30)
        assert Page(response.text).by_id["timesheet"][1]["data-locale"] == tag


@pytest.mark.parametrize(
    ("query", "locale"),
    [
        ("loc=de-DE", "de-DE"),
        ("loc=de_DE", "de-DE"),
        ("loc=zh-Hant-TW", "zh-Hant-TW"),
        ("", ""),
        ("loc=x", ""),
        ("loc=de-DE%22%3E%3Cscript%3E", ""),
        ("loc=" + "a" * 40, ""),
        ("loc=de%20DE", ""),
    ],
)
def test_a_loc_that_is_no_locale_is_left_out(query, locale):
    # The value only ever chooses a format, and only a locale's shape reaches the page.
    assert viewer_locale(Request.blank(f"/timesheet?{query}")) == locale


def test_the_page_knows_the_sites_address_for_issue_links(signed_page_url, fake_jira):
    _, page = open_page(signed_page_url, "/timesheet")
    assert page.by_id["timesheet"][1]["data-site-url"] == fake_jira.base_url.rstrip("/")


def test_text_from_the_url_is_escaped_in_the_page(signed_page_url):
    jql = 'summary ~ "</script><script>alert(1)</script>"'
    response, page = open_page(signed_page_url, "/timesheet?jql=" + requests.utils.quote(jql))
    assert "<script>alert(1)" not in response.text
    assert json.loads(page.by_id["timesheet"][1]["data-initial"])["jql"] == [jql]


def test_the_page_requires_jira_to_sign_it(ack_server, installed_tenant):
    response = requests.get(f"{ack_server.base_url}/timesheet", timeout=30)
    assert response.status_code == 401
    assert "data-token" not in response.text
