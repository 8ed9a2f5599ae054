"""Smart Timesheet Report for Jira: worklogs as a timesheet grid, a plugin of atlassian-connect-kit.

Enabled by naming ``smart_timesheet`` in ``ack.plugins``. It contributes a general page and a
project page to the descriptor, the same pages as Forge modules to the manifest (see
:mod:`smart_timesheet_plugin.forge`), and its routes, and calls Jira only through the kit's host
client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from atlassian_connect_kit import hookimpl

if TYPE_CHECKING:
    from pyramid.config import Configurator

    from atlassian_connect_kit import Settings

PAGE_URL = "/timesheet"


def _signed_in_only() -> list[dict[str, str]]:
    # Jira offers the pages to signed-in users only; the views refuse anonymous tokens all the same.
    return [{"condition": "user_is_logged_in"}]


@hookimpl
def ack_descriptor_fragment(settings: Settings) -> Mapping[str, Any]:
    """The Timesheet pages (one in Jira's Apps menu, one in every project's sidebar) and its
    dashboard gadget."""
    return {
        # WRITE and DELETE: saved reports are Jira user and app properties.
        "scopes": ["READ", "WRITE", "DELETE", "ACT_AS_USER"],
        "modules": {
            "generalPages": [
                {
                    "key": "smart-timesheet",
                    "name": {"value": "Timesheet"},
                    "url": PAGE_URL,
                    "location": "system.top.navigation.bar",
                    "conditions": _signed_in_only(),
                }
            ],
            "jiraDashboardItems": [
                {
                    "key": "smart-timesheet-gadget",
                    "name": {"value": "Timesheet"},
                    "description": {
                        "value": "Hours logged per person or project, or a saved Timesheet report."
                    },
                    # Jira fills these per rendering; the gadget reads and writes its
                    # configuration as the dashboard item's property.
                    "url": PAGE_URL
                    + "/gadget?dashboard={dashboard.id}&item={dashboardItem.id}"
                    + "&view={dashboardItem.viewType}",
                    "thumbnailUrl": PAGE_URL + "/static/gadget-thumbnail.svg",
                    "configurable": True,
                    "conditions": _signed_in_only(),
                }
            ],
            "jiraProjectPages": [
                {
                    "key": "smart-timesheet-project",
                    "name": {"value": "Timesheet"},
                    "url": PAGE_URL + "?project={project.key}",
                    "weight": 100,
                    "conditions": _signed_in_only(),
                }
            ],
        },
    }


@hookimpl
def ack_manifest_fragment(settings: Settings) -> Mapping[str, Any]:
    """The Timesheet pages as Forge modules rendering the same page (a Custom UI resource), and
    its dashboard gadget (a second resource)."""
    from smart_timesheet_plugin.forge import manifest_fragment

    return manifest_fragment(settings.base_url)


@hookimpl
def ack_configure(config: Configurator, settings: Settings) -> None:
    """Add the Timesheet routes and views."""
    # One answer for every view's RequestFailed, registered before the views that raise it.
    config.include("smart_timesheet_plugin.errors")
    config.include("smart_timesheet_plugin.views")
    config.include("smart_timesheet_plugin.saved_views")
    config.include("smart_timesheet_plugin.gadget_views")
    config.include("smart_timesheet_plugin.expected_views")
