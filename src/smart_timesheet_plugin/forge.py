"""The Timesheet as a Forge app: its manifest modules and the Custom UI resources they render.

The Forge pages show the same page as the Connect iframe: the built folder
:data:`CUSTOM_UI_DIR` holds an ``index.html`` rendered from the page's template without any
per-request value, the page's CSS and JS, and ``@forge/bridge`` bundled for the browser (see
docs/deployment.md for how it is built). The dashboard gadget is a second folder,
:data:`GADGET_UI_DIR`, built the same way from the gadget's template; it is both the gadget's
view and its edit view, and keeps its configuration in Forge's gadget configuration. Every module
resolves through the kit's remote endpoint, which hands the app the viewer's user token and the
app system token; the scopes are those of reading issues, their worklogs and users, and of the
properties saved reports live in.
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

GADGET_UI_DIR = Path(__file__).resolve().parent / "custom_ui_gadget"
"""The built Custom UI folder of the dashboard gadget (view and edit view)."""

GADGET_RESOURCE_KEY = "timesheet-gadget"
"""The manifest ``resources`` key of :data:`GADGET_UI_DIR`."""

GADGET_KEY = "timesheet-dashboard-gadget"
"""The ``jira:dashboardGadget`` module: the Timesheet's gadget on Jira dashboards."""

GADGET_TEMPLATE = Path(__file__).resolve().parent / "templates" / "gadget.pt"
"""The gadget's template, rendered per request for Connect and once for the Forge folder."""

GADGET_FILES = ("gadget.css", "timesheet-transport.js", "timesheet-format.js", "gadget.js")
"""The gadget's static files, copied as they are from ``static/`` into :data:`GADGET_UI_DIR`."""

GADGET_THUMBNAIL = "/timesheet/static/gadget-thumbnail.svg"
"""The gadget's icon in Jira's gadget list, on the app's own server."""

SCOPES = ("read:jira-work", "read:jira-user", "read:app-data:jira", "write:app-data:jira")
"""Issues and their worklogs (``read:jira-work``), people's names and zones (``read:jira-user``),
and the app properties holding the reports shared with the site (``read:app-data:jira``,
``write:app-data:jira``: Forge's ``/rest/forge/1/app/properties``, with the app system token).
The descriptor's WRITE adds ``write:jira-work`` for the viewer's own saved reports."""

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
    # Saved reports: the viewer's user property and the app's Forge app property.
    "saved": "/timesheet/api/saved",
    # Expected hours: the site's working week (Forge's app property) and the viewer's days off
    # (their user property).
    "workweek": "/timesheet/api/workweek",
    "daysoff": "/timesheet/api/daysoff",
    "csv": "/timesheet/export.csv",
    "xlsx": "/timesheet/export.xlsx",
}
"""The URLs the page calls; inside Forge they are ``invokeRemote`` paths on the app's remote."""


GADGET_SAVED_PATH = "/timesheet/api/gadget/saved"
"""Where a Forge gadget showing a saved report asks for that report's parameters."""


def manifest_fragment(base_url: str) -> Mapping[str, Any]:
    """The Forge modules, resources and scopes the Timesheet adds to the manifest.

    ``base_url`` is the app's (``ack.base_url``): Forge wants the gadget's thumbnail absolute.
    """

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
            "jira:dashboardGadget": [
                {
                    "key": GADGET_KEY,
                    "title": TITLE,
                    "description": "Hours logged per person or project on a dashboard.",
                    "thumbnail": base_url.rstrip("/") + GADGET_THUMBNAIL,
                    "resource": GADGET_RESOURCE_KEY,
                    "resolver": {"endpoint": REMOTE_ENDPOINT_KEY},
                    # One folder: it opens its form when the context's entry point is "edit".
                    "edit": {"resource": GADGET_RESOURCE_KEY},
                }
            ],
        },
        # Absolute folders: `ack manifest -o DIR/manifest.yml` copies them into DIR.
        "resources": [
            {"key": RESOURCE_KEY, "path": str(CUSTOM_UI_DIR)},
            {"key": GADGET_RESOURCE_KEY, "path": str(GADGET_UI_DIR)},
        ],
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

    from smart_timesheet_plugin.page_strings import page_strings, page_strings_json
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
        strings=page_strings(),
        strings_json=page_strings_json(),
        locale="",
        project_page=False,
        projects=[],
        site_url="",
        group_dimensions=GROUP_DIMENSIONS,
        presets=PRESETS,
        static=lambda path: path,
        api=API_PATHS,
    )
    return html if html.endswith("\n") else html + "\n"


def render_gadget_html() -> str:
    """The gadget folder's ``index.html``: the gadget's template with no per-request value.

    Inside Forge the gadget learns its configuration and whether it is in its edit view from
    the bridge's context, and calls the app through ``invokeRemote``: the saved reports' list
    (:data:`API_PATHS` ``saved``), a saved report's parameters (:data:`GADGET_SAVED_PATH`) and
    the report. Its configuration is Forge's, so the Connect configuration path is empty.
    """
    from chameleon import PageTemplateFile

    from smart_timesheet_plugin.gadget import DEFAULT_CONFIG, GADGET_GROUPS
    from smart_timesheet_plugin.params import COLUMN_UNITS, PRESETS

    template = PageTemplateFile(str(GADGET_TEMPLATE))
    html: str = template(
        context_token="",
        token_lifetime=0,
        all_js_url=None,
        forge_bridge=BRIDGE_BUNDLE,
        dashboard_id="",
        item_id="",
        view_type="default",
        site_url="",
        app_key="",
        page_key=GLOBAL_PAGE_KEY,
        defaults=json.dumps(DEFAULT_CONFIG, separators=(",", ":")),
        presets=PRESETS,
        groups=GADGET_GROUPS,
        column_units=COLUMN_UNITS,
        static=lambda path: path,
        api={
            "gadget": "",
            "report": API_PATHS["report"],
            "saved": API_PATHS["saved"],
            "gadgetSaved": GADGET_SAVED_PATH,
        },
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
