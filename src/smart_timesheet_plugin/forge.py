"""The Timesheet as a Forge app: its manifest modules and the Custom UI resource they render.

The Forge pages show the same page as the Connect iframe: the built folder
:data:`CUSTOM_UI_DIR` holds an ``index.html`` rendered from the page's template without any
per-request value, the page's CSS and JS, and ``@forge/bridge`` bundled for the browser (see
docs/deployment.md for how it is built). Both pages resolve through the kit's remote endpoint,
which hands the app the viewer's user token; the scopes are those of reading issues, their
worklogs and users, nothing more.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from atlassian_connect_kit import REMOTE_ENDPOINT_KEY, is_forge_request

if TYPE_CHECKING:
    from pyramid.request import Request

CUSTOM_UI_DIR = Path(__file__).resolve().parent / "custom_ui"
"""The built Custom UI resource folder, shipped in the package (``index.html`` at its root)."""

RESOURCE_KEY = "timesheet-page"
"""The manifest ``resources`` key of :data:`CUSTOM_UI_DIR`."""

GLOBAL_PAGE_KEY = "timesheet-global-page"
"""The ``jira:globalPage`` module: the Timesheet in Jira's Apps menu."""

PROJECT_PAGE_KEY = "timesheet-project-page"
"""The ``jira:projectPage`` module: the Timesheet in every project's sidebar."""

SCOPES = ("read:jira-work", "read:jira-user")
"""Issues and their worklogs (``read:jira-work``), people's names and zones (``read:jira-user``)."""

TITLE = "Timesheet"

TEMPLATE = Path(__file__).resolve().parent / "templates" / "timesheet.pt"
"""The page's one template, rendered per request for Connect and once for the Forge folder."""

BRIDGE_BUNDLE = "forge-bridge.js"
"""The bundled ``@forge/bridge`` in :data:`CUSTOM_UI_DIR` (the page requires it lazily)."""

PAGE_FILES = ("timesheet.css", "timesheet-transport.js", "timesheet-chart.js", "timesheet.js")
"""The page's static files, copied as they are from ``static/`` into :data:`CUSTOM_UI_DIR`."""

API_PATHS = {
    "report": "/timesheet/api/report",
    "worklogs": "/timesheet/api/worklogs",
    "users": "/timesheet/api/users",
    "groups": "/timesheet/api/groups",
    # Saved reports live in Connect app and user properties; a Forge page has none yet, and an
    # empty path switches the page's saved-reports menu off.
    "saved": "",
    "csv": "/timesheet/export.csv",
    "xlsx": "/timesheet/export.xlsx",
}
"""The URLs the page calls; inside Forge they are ``invokeRemote`` paths on the app's remote."""


def manifest_fragment() -> Mapping[str, Any]:
    """The Forge modules, resource and scopes the Timesheet adds to the manifest."""

    def page(key: str) -> dict[str, Any]:
        return {
            "key": key,
            "title": TITLE,
            "resource": RESOURCE_KEY,
            "resolver": {"endpoint": REMOTE_ENDPOINT_KEY},
        }

    return {
        "modules": {
            "jira:globalPage": [page(GLOBAL_PAGE_KEY)],
            "jira:projectPage": [page(PROJECT_PAGE_KEY)],
        },
        # An absolute folder: `ack manifest -o DIR/manifest.yml` copies it into DIR.
        "resources": [{"key": RESOURCE_KEY, "path": str(CUSTOM_UI_DIR)}],
        "scopes": list(SCOPES),
    }


def render_index_html() -> str:
    """The Custom UI's ``index.html``: the page's template with no per-request value.

    No token, no site, no project: inside Forge the page asks the bridge for its context (the
    project of a project page, the viewer's zone and locale, the site) and calls the app through
    ``invokeRemote``. Files are referenced relative to the folder; the template holds no inline
    script or style, as Custom UI's content security policy requires.
    """
    from chameleon import PageTemplateFile

    from smart_timesheet_plugin.params import GROUP_DIMENSIONS, PRESETS, parse_report_params

    # The same default form as a Connect page without parameters: this week, as a preset.
    defaults = parse_report_params({}, today=dt.date(2000, 1, 3)).to_query()
    del defaults["from"], defaults["to"]
    initial = {**defaults, "project": [], "preset": ["this-week"]}
    template = PageTemplateFile(str(TEMPLATE))
    html: str = template(
        context_token="",
        token_lifetime=0,
        all_js_url=None,
        forge_bridge=BRIDGE_BUNDLE,
        initial=json.dumps(initial, separators=(",", ":")),
        project_page=False,
        projects=[],
        site_url="",
        group_dimensions=GROUP_DIMENSIONS,
        presets=PRESETS,
        static=lambda path: path,
        api=API_PATHS,
    )
    return html if html.endswith("\n") else html + "\n"


class ExportFile(TypedDict):
    """An export as a Forge page receives it: ``invokeRemote`` carries JSON only."""

    filename: str
    mediaType: str
    content: str  # the file's bytes, base64


def export_file(body: bytes, media_type: str, filename: str) -> ExportFile:
    """The JSON answer of an export asked for through Forge (the page saves it as a download)."""
    content = base64.b64encode(body).decode("ascii")
    return {"filename": filename, "mediaType": media_type, "content": content}


def invoked_through_forge(request: Request) -> bool:
    """Whether ``request`` came from Forge (a verified Forge Invocation Token), not Connect."""
    return is_forge_request(request)
