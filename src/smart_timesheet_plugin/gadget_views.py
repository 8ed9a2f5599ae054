"""The dashboard gadget's HTTP surface: its iframe page and its configuration API.

``GET /timesheet/gadget`` is the Connect dashboard item's iframe (Jira fills ``dashboard``,
``item`` and ``view`` from its URL template). ``GET``/``PUT /timesheet/api/gadget`` read and
write the gadget's configuration, a dashboard item property in Jira, as the viewer: Jira decides
who may see it and who may change it. ``GET /timesheet/api/gadget/saved?id=&shared=`` answers a
saved report's parameters for a Forge gadget, whose configuration Forge itself keeps (it also
answers the Connect gadget's context token). The grid itself comes from
``/timesheet/api/report``, as for the page. Nothing is stored on our side.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from atlassian_connect_kit import JiraAuthError, JiraBadRequest, JiraNotFound, get_settings
from smart_timesheet_plugin.errors import RequestFailed, jira_call
from smart_timesheet_plugin.gadget import (
    CONFIG_PROPERTY,
    DEFAULT_CONFIG,
    GADGET_GROUPS,
    GadgetConfig,
    GadgetConfigError,
    read_config,
    saved_query,
)
from smart_timesheet_plugin.params import COLUMN_UNITS, PRESETS
from smart_timesheet_plugin.saved import APP_PROPERTY, USER_PROPERTY, read_document
from smart_timesheet_plugin.source.properties import (
    app_properties,
    read_dashboard_item_property,
    read_user_property,
    write_dashboard_item_property,
)

if TYPE_CHECKING:
    from pyramid.config import Configurator

    from atlassian_connect_kit import KitRequest as Request

SIGN_IN_MESSAGE = "sign in to Jira to see this gadget"
PAGE_MODULE_KEY = "smart-timesheet"
"""The general page the gadget's "Open in Timesheet" link leads to."""

_ID = re.compile(r"[0-9]{1,19}")
VIEW_TYPES = ("default", "directory", "edit")


def _item(request: Request) -> tuple[str, str]:
    ids = []
    for name in ("dashboardId", "itemId"):
        value = request.GET.get(name, "").strip()
        if not _ID.fullmatch(value):
            raise RequestFailed(400, f"{name}: must be a Jira id", parameter=name)
        ids.append(value)
    return ids[0], ids[1]


def _query_of(request: Request, config: GadgetConfig) -> dict[str, list[str]] | None:
    """The report parameters a configuration stands for (``None``: its saved report is gone)."""
    if config.source == "grid":
        return config.grid_query()
    if config.shared:
        # Connect's add-on property or, invoked through Forge, Forge's app property.
        value = jira_call(lambda: app_properties(request).read(APP_PROPERTY))
    else:
        # Someone's own saved report is theirs only: another viewer of the dashboard finds none.
        identity = request.identity
        viewer = identity.account_id if identity is not None else None
        if viewer is None:  # the view requires a user; this keeps the types honest
            raise RequestFailed(401, SIGN_IN_MESSAGE)
        value = jira_call(lambda: read_user_property(request.jira, viewer, USER_PROPERTY))
    return saved_query(config, read_document(value))


def _id_or_blank(value: str) -> str:
    # Jira fills these from the URL template; anything else is not an id and is not echoed.
    return value if _ID.fullmatch(value) else ""


def _answer(request: Request, config: GadgetConfig | None) -> dict[str, Any]:
    # The configuration may change at any time: no cache keeps an old one.
    request.response.cache_control.no_store = True
    if config is None:
        return {"config": None, "query": None}
    return {"config": config.to_json(), "query": _query_of(request, config)}


def gadget_config(request: Request) -> dict[str, Any]:
    """``GET /timesheet/api/gadget?dashboardId=&itemId=``: ``{"config", "query"}``.

    ``config`` is ``null`` for a gadget not configured yet; ``query`` holds the report's
    parameters (``null`` when the saved report it names no longer exists for this viewer).
    """
    dashboard_id, item_id = _item(request)
    value = jira_call(
        lambda: read_dashboard_item_property(request.jira, dashboard_id, item_id, CONFIG_PROPERTY)
    )
    try:
        config = read_config(value) if value is not None else None
    except GadgetConfigError:
        config = None  # not ours to read: the gadget asks to be configured again
    return _answer(request, config)


def gadget_configure(request: Request) -> dict[str, Any]:
    """``PUT /timesheet/api/gadget?dashboardId=&itemId=`` with a configuration: stores it in
    the dashboard item's property as the viewer and answers like ``GET``."""
    dashboard_id, item_id = _item(request)
    try:
        config = read_config(request.json_body)
    except ValueError as error:
        parameter = error.parameter if isinstance(error, GadgetConfigError) else "body"
        message = str(error) if isinstance(error, GadgetConfigError) else "body: must be JSON"
        raise RequestFailed(400, message, parameter=parameter) from None
    answer = _answer(request, config)
    if answer["query"] is None:
        raise RequestFailed(400, "id: no saved report has this id", parameter="id")
    try:
        jira_call(
            lambda: write_dashboard_item_property(
                request.jira, dashboard_id, item_id, CONFIG_PROPERTY, config.to_json()
            ),
            reraise=(JiraAuthError, JiraNotFound, JiraBadRequest),
        )
    except JiraAuthError:
        raise RequestFailed(
            403, "Only someone who may edit this dashboard can configure its gadgets."
        ) from None
    except JiraNotFound:
        raise RequestFailed(404, "Jira knows no such dashboard gadget for your account.") from None
    except JiraBadRequest:
        raise RequestFailed(400, "Jira refused the gadget's configuration.") from None
    return answer


def gadget_saved(request: Request) -> dict[str, Any]:
    """``GET /timesheet/api/gadget/saved?id=&shared=true``: ``{"config", "query"}`` for a gadget
    showing that saved report, as ``GET /timesheet/api/gadget`` answers it.

    A Forge gadget's configuration is kept by Forge and reaches the gadget in its context, so the
    gadget asks here for the report's parameters: the viewer's own reports are read with their
    token, shared ones as the app. ``query`` is ``null`` when the report no longer exists for
    this viewer.
    """
    body = {
        "source": "saved",
        "id": request.GET.get("id", ""),
        "shared": request.GET.get("shared", "").lower() == "true",
    }
    try:
        config = read_config(body)
    except GadgetConfigError as error:
        raise RequestFailed(400, str(error), parameter=error.parameter) from None
    return _answer(request, config)


def gadget_page(request: Request) -> dict[str, Any]:
    """``GET /timesheet/gadget``: the dashboard item Jira shows in its iframe."""
    settings = get_settings(request)
    view = request.GET.get("view", "default")
    identity = request.identity
    return {
        "context_token": request.ack_context_token(),
        "token_lifetime": settings.context_token_seconds,
        "all_js_url": settings.all_js_url,
        "forge_bridge": None,
        "dashboard_id": _id_or_blank(request.GET.get("dashboard", "")),
        "item_id": _id_or_blank(request.GET.get("item", "")),
        "view_type": view if view in VIEW_TYPES else "default",
        "site_url": identity.base_url.rstrip("/") if identity is not None else "",
        "app_key": settings.app_key,
        "page_key": PAGE_MODULE_KEY,
        "defaults": json.dumps(DEFAULT_CONFIG, separators=(",", ":")),
        "presets": PRESETS,
        "groups": GADGET_GROUPS,
        "column_units": COLUMN_UNITS,
        "static": lambda path: request.route_path("timesheet.static", subpath=path),
        "api": {
            "gadget": request.route_path("timesheet.api.gadget"),
            "report": request.route_path("timesheet.api.report"),
            "saved": request.route_path("timesheet.api.saved"),
            "gadgetSaved": request.route_path("timesheet.api.gadget.saved"),
        },
    }


def includeme(config: Configurator) -> None:
    """Register the gadget's page and configuration routes."""
    config.add_route("timesheet.gadget", "/timesheet/gadget", request_method="GET")
    config.add_view(
        gadget_page,
        route_name="timesheet.gadget",
        renderer="smart_timesheet_plugin:templates/gadget.pt",
        connect_auth="jwt",
        connect_require_user=SIGN_IN_MESSAGE,
    )
    config.add_route("timesheet.api.gadget", "/timesheet/api/gadget")
    for method, view in (("GET", gadget_config), ("PUT", gadget_configure)):
        config.add_view(
            view,
            route_name="timesheet.api.gadget",
            request_method=method,
            renderer="json",
            connect_auth="context",
            connect_require_user=SIGN_IN_MESSAGE,
        )
    config.add_route(
        "timesheet.api.gadget.saved", "/timesheet/api/gadget/saved", request_method="GET"
    )
    config.add_view(
        gadget_saved,
        route_name="timesheet.api.gadget.saved",
        renderer="json",
        # A Forge gadget's invocation (its configuration is Forge's), or the Connect gadget.
        connect_auth="context+forge",
        connect_require_user=SIGN_IN_MESSAGE,
    )


__all__ = ("gadget_config", "gadget_configure", "gadget_page", "gadget_saved", "includeme")
