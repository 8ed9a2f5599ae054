"""The Timesheet's Forge app: the product's manifest, and the Custom UI folder it deploys.

``ack manifest -c production.ini -o DIR/manifest.yml`` must give a folder ``forge deploy`` accepts:
a pure Forge manifest (no Connect adoption) that @forge/manifest's schema and validator accept,
with the built page copied beside it. The page must be the Connect page's template, rendered
without any per-request value and without inline script or style (Custom UI's CSP), and it must
ship in the wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from atlassian_connect_kit.cli import main
from atlassian_connect_kit.manifest import REMOTE_ENDPOINT_KEY
from smart_timesheet_plugin.forge import (
    BRIDGE_BUNDLE,
    CUSTOM_UI_DIR,
    GADGET_FILES,
    GADGET_KEY,
    GADGET_RESOURCE_KEY,
    GADGET_UI_DIR,
    GLOBAL_PAGE_KEY,
    PAGE_FILES,
    PROJECT_PAGE_KEY,
    RESOURCE_KEY,
    render_gadget_html,
    render_index_html,
)
from tests import forge_manifest_schema

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "src" / "smart_timesheet_plugin" / "static"
APP_ID = "ari:cloud:ecosystem::app/5e1f0c2a-0000-4000-8000-00000000f012"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def product_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Forge app folder ``ack manifest -c production.ini -o DIR/manifest.yml`` writes."""
    folder = tmp_path_factory.mktemp("forge-app")
    environment = {"ACK_FORGE_APP_ID": APP_ID, "ACK_BASE_URL": "https://timesheet.example.com"}
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    os.environ.pop("ACK_FORGE_CONNECT_ADOPTION", None)
    try:
        status = main(
            ["manifest", "-c", str(REPO / "production.ini"), "-o", str(folder / "manifest.yml")]
        )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    assert status == 0
    return folder


def _manifest(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((folder / "manifest.yml").read_text())
    return loaded


def test_the_product_manifest_is_pure_forge_and_validates(product_app: Path) -> None:
    manifest = _manifest(product_app)
    try:
        schema = json.loads(forge_manifest_schema.schema_path().read_text())
        jsonschema.Draft7Validator(schema).validate(manifest)
        errors = forge_manifest_schema.validate(product_app / "manifest.yml")
    except forge_manifest_schema.Unavailable as error:
        _unavailable(str(error))
    assert errors == []
    assert "connect" not in manifest["app"] and "connectModules" not in manifest
    assert manifest["remotes"] == [
        {"key": "ack-remote", "baseUrl": "https://timesheet.example.com"}
    ]


def test_both_pages_render_the_folder_and_call_the_remote_with_the_user_token(product_app) -> None:
    manifest = _manifest(product_app)
    modules = manifest["modules"]
    for kind, key in (("jira:globalPage", GLOBAL_PAGE_KEY), ("jira:projectPage", PROJECT_PAGE_KEY)):
        assert modules[kind] == [
            {
                "key": key,
                "title": "Timesheet",
                "resource": RESOURCE_KEY,
                "resolver": {"endpoint": REMOTE_ENDPOINT_KEY},
            }
        ]
    (endpoint,) = [e for e in modules["endpoint"] if e["key"] == REMOTE_ENDPOINT_KEY]
    assert endpoint["remote"] == "ack-remote"
    assert endpoint["auth"]["appUserToken"] == {"enabled": True}
    # Reading issues and their worklogs, and users; writing for saved reports (the viewer's
    # user property: the descriptor's WRITE and DELETE; the shared ones in Forge's app
    # properties: read/write:app-data:jira); the tokens to do it with; nothing more.
    assert sorted(manifest["permissions"]["scopes"]) == [
        "read:app-data:jira",
        "read:app-system-token",
        "read:app-user-token",
        "read:jira-user",
        "read:jira-work",
        "write:app-data:jira",
        "write:jira-work",
    ]
    assert endpoint["auth"]["appSystemToken"] == {"enabled": True}


def test_the_dashboard_gadget_views_and_edits_with_its_own_folder(product_app) -> None:
    manifest = _manifest(product_app)
    assert manifest["modules"]["jira:dashboardGadget"] == [
        {
            "key": GADGET_KEY,
            "title": "Timesheet",
            "description": "Hours logged per person or project on a dashboard.",
            "thumbnail": "https://timesheet.example.com/timesheet/static/gadget-thumbnail.svg",
            "resource": GADGET_RESOURCE_KEY,
            "resolver": {"endpoint": REMOTE_ENDPOINT_KEY},
            "edit": {"resource": GADGET_RESOURCE_KEY},
        }
    ]


def test_the_built_folders_are_copied_beside_the_manifest(product_app: Path) -> None:
    manifest = _manifest(product_app)
    assert manifest["resources"] == [
        {"key": RESOURCE_KEY, "path": f"static/{RESOURCE_KEY}"},
        {"key": GADGET_RESOURCE_KEY, "path": f"static/{GADGET_RESOURCE_KEY}"},
    ]
    for key, built, files in (
        (RESOURCE_KEY, CUSTOM_UI_DIR, PAGE_FILES),
        (GADGET_RESOURCE_KEY, GADGET_UI_DIR, GADGET_FILES),
    ):
        copied = product_app / "static" / key
        names = sorted(p.name for p in copied.iterdir())
        assert names == sorted(["index.html", BRIDGE_BUNDLE, *files])
        for name in names:
            assert (copied / name).read_bytes() == (built / name).read_bytes(), name


def test_a_second_run_replaces_the_copy(product_app: Path) -> None:
    stale = product_app / "static" / RESOURCE_KEY / "stale.js"
    stale.write_text("old")
    os.environ["ACK_FORGE_APP_ID"] = APP_ID
    try:
        arguments = ["-c", str(REPO / "development.ini"), "-o", str(product_app / "manifest.yml")]
        assert main(["manifest", *arguments]) == 0
    finally:
        os.environ.pop("ACK_FORGE_APP_ID")
    assert not stale.exists()
    assert (product_app / "static" / RESOURCE_KEY / "index.html").is_file()


class _Page(HTMLParser):
    """What a content security policy without 'unsafe-inline' cares about in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.styles = 0
        self.inline_attributes: list[str] = []
        self.links: list[str] = []
        self.data: dict[str, str | None] = {}
        self._in_script = False
        self.script_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        if tag == "style":
            self.styles += 1
        if tag == "link":
            self.links.append(attributes.get("href") or "")
        if attributes.get("id") in ("timesheet", "gadget"):
            self.data = {k: v for k, v in attributes.items() if k.startswith("data-")}
        self.inline_attributes += [
            f"{tag} {name}" for name, _ in attrs if name == "style" or name.startswith("on")
        ]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data.strip()


def test_the_page_has_no_inline_script_or_style_and_no_per_request_value() -> None:
    html = (CUSTOM_UI_DIR / "index.html").read_text()
    page = _Page()
    page.feed(html)
    assert [s.get("src") for s in page.scripts] == [
        BRIDGE_BUNDLE,
        "timesheet-transport.js",
        "timesheet-chart.js",
        "timesheet.js",
    ]
    assert page.script_text == ""
    assert page.styles == 0 and page.inline_attributes == []
    assert page.links == ["timesheet.css"]
    # Nothing of a request, a site or a viewer: the same file serves every site and project.
    assert page.data["data-token"] == "" and page.data["data-site-url"] == ""
    assert page.data["data-project-page"] == "false"
    assert json.loads(page.data["data-initial"] or "") == {"project": [], "preset": ["this-week"]}
    assert page.data["data-api-report"] == "/timesheet/api/report"
    assert page.data["data-api-csv"] == "/timesheet/export.csv"
    assert "http" not in html.replace("http-equiv", "")


def test_the_gadget_has_no_inline_script_or_style_and_no_per_request_value() -> None:
    html = (GADGET_UI_DIR / "index.html").read_text()
    page = _Page()
    page.feed(html)
    assert [s.get("src") for s in page.scripts] == [
        BRIDGE_BUNDLE,
        "timesheet-transport.js",
        "timesheet-format.js",
        "gadget.js",
    ]
    assert page.script_text == "" and page.styles == 0 and page.inline_attributes == []
    assert page.links == ["gadget.css"]
    assert page.data["data-token"] == "" and page.data["data-dashboard-id"] == ""
    assert page.data["data-api-report"] == "/timesheet/api/report"
    # Saved reports come through invokeRemote; the configuration is Forge's, not an API's.
    assert page.data["data-api-saved"] == "/timesheet/api/saved"
    assert page.data["data-api-gadget-saved"] == "/timesheet/api/gadget/saved"
    assert page.data["data-api-gadget"] == ""
    assert "http" not in html.replace("http-equiv", "")
    assert html == render_gadget_html(), "the gadget's template changed: run tox -e custom-ui"
    for name in GADGET_FILES:
        assert (GADGET_UI_DIR / name).read_bytes() == (STATIC / name).read_bytes(), (
            f"{name} changed: run tox -e custom-ui"
        )
    assert (GADGET_UI_DIR / BRIDGE_BUNDLE).read_bytes() == (
        CUSTOM_UI_DIR / BRIDGE_BUNDLE
    ).read_bytes()


def test_the_committed_folder_matches_the_template_and_the_static_files() -> None:
    # The npm part (the bridge bundle) is rebuilt and compared by .ci/run (custom-ui/build.py).
    assert (CUSTOM_UI_DIR / "index.html").read_text() == render_index_html(), (
        "the page's template changed: run tox -e custom-ui"
    )
    for name in PAGE_FILES:
        assert (CUSTOM_UI_DIR / name).read_bytes() == (STATIC / name).read_bytes(), (
            f"{name} changed: run tox -e custom-ui"
        )
    bundle = (CUSTOM_UI_DIR / BRIDGE_BUNDLE).read_text()
    assert "smartTimesheetForgeBridge" in bundle and "invokeRemote" in bundle


def test_the_wheel_carries_the_built_folder(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        str(tmp_path),
        str(REPO),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {
            name.rsplit("/", 1)[1]: archive.read(name)
            for name in archive.namelist()
            if name.startswith("smart_timesheet_plugin/custom_ui/")
        }
        gadget = {
            name.rsplit("/", 1)[1]
            for name in archive.namelist()
            if name.startswith("smart_timesheet_plugin/custom_ui_gadget/")
        }
    assert sorted(shipped) == sorted(p.name for p in CUSTOM_UI_DIR.iterdir() if p.is_file())
    assert shipped["index.html"] == (CUSTOM_UI_DIR / "index.html").read_bytes()
    assert gadget == {p.name for p in GADGET_UI_DIR.iterdir() if p.is_file()}
