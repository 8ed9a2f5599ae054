"""The saved reports' HTTP surface: list, save and delete, stored in Jira (never our database).

``GET /timesheet/api/saved`` lists the viewer's own reports and those shared with the site;
``POST`` saves one (``"shared": true`` shares it); ``DELETE ?id=&shared=`` removes one. Personal
reports are the viewer's user property, written as the viewer. Shared reports are an app
property, written explicitly as the app (``request.jira_as_app``), and only after Jira confirms
the viewer may: a new report may be shared by anyone signed in, a shared report deleted by its
creator or by a Jira administrator (as Jira's ``/mypermissions`` tells).

The same URLs answer the Connect page (context token) and Forge invocations (a Forge Invocation
Token with the app user and system tokens); :func:`~smart_timesheet_plugin.source.properties.
app_properties` picks the app-property API that fits, so nothing here depends on the transport.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyramid.response import Response

from atlassian_connect_kit import JiraBadRequest
from smart_timesheet_plugin.errors import RequestFailed, jira_call, json_body
from smart_timesheet_plugin.saved import (
    APP_PROPERTY,
    USER_PROPERTY,
    SavedReport,
    SavedReportError,
    new_report,
    read_document,
    write_document,
)
from smart_timesheet_plugin.source.properties import (
    app_properties,
    is_jira_admin,
    read_user_property,
    write_user_property,
)

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

SIGN_IN_MESSAGE = "sign in to Jira to see your saved reports"


def _viewer(request: Request) -> str:
    account_id: str = request.identity.account_id
    return account_id


def _personal(request: Request) -> list[SavedReport]:
    value = jira_call(lambda: read_user_property(request.jira, _viewer(request), USER_PROPERTY))
    return read_document(value)


def _shared(request: Request) -> list[SavedReport]:
    # Shared reports are the app's: read as the app, shown to every signed-in viewer.
    value = jira_call(lambda: app_properties(request).read(APP_PROPERTY))
    return read_document(value)


def _store(request: Request, reports: list[SavedReport], *, shared: bool) -> None:
    try:
        document = write_document(reports)
    except SavedReportError as error:
        raise RequestFailed(400, str(error), parameter=error.parameter) from None
    try:
        if shared:
            jira_call(
                lambda: app_properties(request).write(APP_PROPERTY, document),
                reraise=(JiraBadRequest,),
            )
        else:
            jira_call(
                lambda: write_user_property(
                    request.jira, _viewer(request), USER_PROPERTY, document
                ),
                reraise=(JiraBadRequest,),
            )
    except JiraBadRequest as error:
        detail = "; ".join(error.error_messages) or "Jira refused to store the reports"
        raise RequestFailed(400, f"name: {detail}", parameter="name") from None


def saved_list(request: Request) -> dict[str, Any]:
    """``GET /timesheet/api/saved``: ``{"personal": [...], "shared": [...]}``."""
    return {
        "personal": [report.to_json() for report in _personal(request)],
        "shared": [report.to_json() for report in _shared(request)],
    }


def saved_create(request: Request) -> Response:
    """``POST /timesheet/api/saved`` with ``{"name", "query", "shared"}``: 201 and the report."""
    body = json_body(request)
    try:
        report = new_report(body, owner=_viewer(request))
    except SavedReportError as error:
        raise RequestFailed(400, str(error), parameter=error.parameter) from None
    shared = isinstance(body, dict) and body.get("shared") is True
    current = _shared(request) if shared else _personal(request)
    # A report saved again under its name replaces the viewer's own one of that name.
    kept = [r for r in current if not (r.name == report.name and r.owner == report.owner)]
    _store(request, [*kept, report], shared=shared)
    response = Response(json_body={"report": report.to_json(), "shared": shared}, status=201)
    response.cache_control.no_store = True
    return response


def saved_delete(request: Request) -> Response:
    """``DELETE /timesheet/api/saved?id=&shared=true``: 204; 404 for an unknown id, 403 for
    someone else's shared report unless Jira says the viewer administers it."""
    report_id = request.GET.get("id", "")
    shared = request.GET.get("shared", "").lower() == "true"
    current = _shared(request) if shared else _personal(request)
    target = next((report for report in current if report.id == report_id), None)
    if target is None:
        raise RequestFailed(404, "id: no saved report has this id", parameter="id")
    # Jira is asked, as the viewer, only when the report is someone else's.
    if (
        shared
        and target.owner != _viewer(request)
        and not jira_call(lambda: is_jira_admin(request.jira))
    ):
        raise RequestFailed(
            403,
            "id: only its creator or a Jira administrator may delete a shared report",
            parameter="id",
        )
    _store(request, [report for report in current if report.id != report_id], shared=shared)
    response = Response(status=204)
    response.cache_control.no_store = True
    return response


def includeme(config: Configurator) -> None:
    """Register the saved reports' route (one URL, a view per method)."""
    config.add_route("timesheet.api.saved", "/timesheet/api/saved")
    for method, view, renderer in (
        ("GET", saved_list, "json"),
        ("POST", saved_create, None),
        ("DELETE", saved_delete, None),
    ):
        config.add_view(
            view,
            route_name="timesheet.api.saved",
            request_method=method,
            renderer=renderer,
            # The Connect page's context token, or a Forge invocation (the Forge page).
            connect_auth="context+forge",
            connect_require_user=SIGN_IN_MESSAGE,
        )
