"""The Timesheet's HTTP surface: the page, the JSON API, the cell detail and the exports.

Every view reads the same parameters (:mod:`smart_timesheet_plugin.params`), fetches through the
kit's host client acting as the viewer (so Jira's permissions apply) and turns Jira's failures into
short messages a user can act on. Nothing is stored: exports are built in memory and streamed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from pyramid.response import Response
from pyramid.static import static_view

from atlassian_connect_kit import (
    JiraAuthError,
    JiraBadRequest,
    JiraError,
    JiraNotFound,
    JiraTimeout,
    get_settings,
)
from smart_timesheet_plugin.errors import RequestFailed, jira_call
from smart_timesheet_plugin.export import export_filename, export_title, report_csv, report_xlsx
from smart_timesheet_plugin.forge import export_file, invoked_through_forge
from smart_timesheet_plugin.page_strings import page_strings, page_strings_json
from smart_timesheet_plugin.params import (
    GROUP_DIMENSIONS,
    PRESETS,
    SORT_ORDERS,
    TZ_AUTHOR,
    TZ_VIEWER,
    ParameterError,
    ReportParams,
    is_known_zone,
    parse_report_params,
)
from smart_timesheet_plugin.report import (
    DetailJson,
    Report,
    ReportJson,
    build_report,
    detail_to_json,
    report_columns,
    report_to_json,
    worklogs_in_cell,
)
from smart_timesheet_plugin.source import (
    FetchResult,
    JqlRejected,
    fetch_cell_worklogs,
    fetch_worklogs,
    viewer_zone,
)
from smart_timesheet_plugin.source.people import (
    group_member_ids,
    name_people,
    search_groups,
    search_people,
)

if TYPE_CHECKING:
    from pyramid.config import Configurator

    from atlassian_connect_kit import KitRequest as Request

_T = TypeVar("_T")
SIGN_IN_MESSAGE = "sign in to Jira to see this report"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A locale as Jira names it in the iframe URL's ``loc`` (``de-DE``; ``de_DE`` elsewhere in Jira):
# a language, then up to three subtags. Anything else is ignored rather than handed to the page.
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")


def _query(request: Request) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for name, value in request.GET.items():
        if name != "jwt":
            query.setdefault(name, []).append(value)
    return query


def _today(request: Request, query: dict[str, list[str]]) -> dt.date:
    """Today where the report counts its days, which is where presets and the default week fall.

    That is the zone ``tz`` names, else the viewer's Jira zone (asked of Jira only when the query
    leaves the dates to a preset), so that "last month" on the morning of the 1st in Moscow is the
    month that just ended there, whatever the date in UTC.
    """
    now = dt.datetime.now(dt.UTC)
    if any(value.strip() for name in ("from", "to") for value in query.get(name, ())):
        return now.date()
    zone = next((value.strip() for value in query.get("tz", ()) if value.strip()), TZ_VIEWER)
    if zone in (TZ_VIEWER, TZ_AUTHOR):
        try:
            zone = viewer_zone(request.jira)
        except JiraError:
            # The report's own fetch meets the same failure and explains it.
            return now.date()
    elif not is_known_zone(zone):
        return now.date()  # the parser rejects the zone
    return now.astimezone(ZoneInfo(zone)).date()


def request_params(request: Request) -> ReportParams:
    """The report parameters of ``request``; a bad one becomes a 400 naming it.

    Groups (``usergroup``) come back resolved: their members, as Jira lists them to the viewer,
    join ``users``.
    """
    query = _query(request)
    try:
        params = parse_report_params(query, today=_today(request, query))
    except ParameterError as error:
        raise RequestFailed(400, str(error), parameter=error.parameter) from None
    # A pivot's columns are values known once the worklogs are in: any key may be sorted by.
    if (
        params.pivot is None
        and params.sort not in SORT_ORDERS
        and all(column.key != params.sort for column in report_columns(params))
    ):
        raise RequestFailed(400, "sort: is not a column of this report", parameter="sort")
    if params.usergroups:
        params = _with_group_members(request, params)
    return params


def _with_group_members(request: Request, params: ReportParams) -> ReportParams:
    members: dict[str, None] = dict.fromkeys(params.users)
    for group_id in params.usergroups:
        members.update(dict.fromkeys(_fetching(None, partial(_members_of, request, group_id))))
    if not members:
        raise RequestFailed(
            400, "usergroup: the group has no active members", parameter="usergroup"
        )
    return replace(params, users=tuple(members), usergroups=())


def _members_of(request: Request, group_id: str) -> list[str]:
    try:
        return group_member_ids(request.jira, group_id)
    except JiraNotFound:
        raise RequestFailed(
            400, "usergroup: Jira knows no such group", parameter="usergroup"
        ) from None
    except JiraAuthError:
        raise RequestFailed(
            403,
            "usergroup: Jira does not let you list this group's members "
            "(it asks for the Administer Jira permission); pick the people instead.",
            parameter="usergroup",
        ) from None


def _concurrency(request: Request) -> int:
    return get_settings(request).host_concurrency


def fetch_for(
    request: Request, params: ReportParams, *, with_comments: bool = False
) -> FetchResult:
    """Fetch the report's worklogs as the viewer, turning Jira's failures into RequestFailed."""
    return _fetching(
        params,
        lambda: fetch_worklogs(
            request.jira,
            params,
            max_workers=_concurrency(request),
            with_comments=with_comments,
        ),
    )


def _fetching(params: ReportParams | None, fetch: Callable[[], _T]) -> _T:
    """Run ``fetch``, turning Jira's failures into RequestFailed.

    ``params`` are the report's, whose filters a rejected search is blamed on; ``None`` for calls
    that are not a report's search (the pickers).
    """
    try:
        return jira_call(
            fetch,
            reraise=(JqlRejected, JiraBadRequest, JiraAuthError, JiraNotFound, JiraTimeout),
        )
    except JqlRejected as error:
        # Jira's parser judged the viewer's text alone: its positions point into that text.
        raise RequestFailed(400, f"jql: {error}", parameter="jql") from None
    except JiraBadRequest as error:
        detail = "; ".join(error.error_messages) or "Jira rejected the search"
        if params is None:
            raise RequestFailed(502, "Jira rejected the request") from None
        # Jira names the offending field; a project the viewer cannot browse "does not exist".
        if params.projects and "'project'" in detail:
            raise RequestFailed(400, f"project: {detail}", parameter="project") from None
        if params.users and "'worklogAuthor'" in detail:
            raise RequestFailed(400, f"user: {detail}", parameter="user") from None
        if params.jql:
            raise RequestFailed(400, f"jql: {detail}", parameter="jql") from None
        raise RequestFailed(502, "Jira rejected the report's search") from None
    except (JiraAuthError, JiraNotFound):
        raise RequestFailed(
            403, "Jira did not allow this report: you may lack permission to browse these issues."
        ) from None
    except JiraTimeout:
        raise RequestFailed(504, "Jira took too long to answer; try a shorter period.") from None
    # Rate limits, outages and anything else unexpected are answered as every Jira call's are.


def report_json(request: Request) -> ReportJson:
    """``GET /timesheet/api/report``: the grid as JSON (see docs/timesheet-api.md)."""
    return report_to_json(report_for(request, request_params(request)))


def _json_list(text: str | None, name: str) -> list[str | None]:
    if text is None:
        raise RequestFailed(400, f"{name}: is required", parameter=name)
    try:
        value = json.loads(text)
    except ValueError:
        raise RequestFailed(400, f"{name}: must be a JSON array", parameter=name) from None
    if (
        not isinstance(value, list)
        or len(value) > 2
        or not all(item is None or isinstance(item, str) for item in value)
    ):
        raise RequestFailed(400, f"{name}: must be a JSON array of up to two keys", parameter=name)
    return value


def worklogs_json(request: Request) -> DetailJson:
    """``GET /timesheet/api/worklogs``: the worklogs summed in one cell (``row``, ``column``).

    ``row=[]`` is every row (the Total row); without ``column`` the cell is the whole period (a
    row's total, or with ``row=[]`` the grand total).

    Only what the cell needs is fetched: the row's values on the column's days
    (:func:`~smart_timesheet_plugin.source.fetch_cell_worklogs`).
    """
    params = request_params(request)
    row_key = _json_list(request.GET.get("row"), "row")
    if len(row_key) > len(params.group):
        raise RequestFailed(
            400, "row: has more keys than the report has grouping levels", parameter="row"
        )
    column_key = request.GET.get("column") or None
    span = (params.date_from, params.date_to)
    row = tuple(zip(params.group, row_key, strict=False))
    if column_key is not None and params.pivot is not None:
        # A pivot's column is a value of its dimension over the whole range.
        row = (*row, (params.pivot, column_key))
    elif column_key is not None:
        column = next((c for c in report_columns(params) if c.key == column_key), None)
        if column is None:
            raise RequestFailed(400, "column: is not a column of this report", parameter="column")
        span = (column.first_day, column.last_day)
    fetched = _fetching(
        params,
        lambda: fetch_cell_worklogs(
            request.jira, params, row=row, span=span, max_workers=_concurrency(request)
        ),
    )
    try:
        details = worklogs_in_cell(
            fetched.worklogs,
            params,
            viewer_tz=fetched.viewer_tz,
            row_key=row_key,
            column_key=column_key,
        )
    except ValueError as error:
        raise RequestFailed(400, str(error), parameter="row") from None
    return detail_to_json(details)


#: Longest picker query, in characters.
MAX_PICKER_QUERY = 100


def _picker_query(request: Request) -> str:
    query = (request.GET.get("query") or "").strip()
    if len(query) > MAX_PICKER_QUERY:
        raise RequestFailed(
            400, f"query: may be at most {MAX_PICKER_QUERY} characters", parameter="query"
        )
    return query


def users_json(request: Request) -> dict[str, Any]:
    """``GET /timesheet/api/users``: people for the picker, found by Jira as the viewer.

    ``query`` searches names and emails (``/user/search``); ``accountId`` (repeatable) names
    known ids instead (``/user/bulk``), so a form restored from a URL shows names. Answers
    ``{"users": [{"accountId", "displayName"}]}``.
    """
    ids = [value.strip() for value in request.GET.getall("accountId") if value.strip()]
    if ids:
        try:
            ids = list(parse_report_params({"user": ids}, today=dt.date(2000, 1, 1)).users)
        except ParameterError as error:
            raise RequestFailed(400, f"accountId: {error}", parameter="accountId") from None
    query = _picker_query(request)
    if not ids and not query:
        return {"users": []}
    people = _fetching(
        None, lambda: name_people(request.jira, ids) if ids else search_people(request.jira, query)
    )
    return {"users": [{"accountId": p.account_id, "displayName": p.display_name} for p in people]}


def groups_json(request: Request) -> dict[str, Any]:
    """``GET /timesheet/api/groups?query=``: Jira groups whose name contains ``query``, found
    as the viewer: ``{"groups": [{"groupId", "name"}]}``."""
    query = _picker_query(request)
    groups = _fetching(None, lambda: search_groups(request.jira, query))
    return {"groups": [{"groupId": g.group_id, "name": g.name} for g in groups]}


def _download(request: Request, body: bytes, content_type: str, filename: str) -> Response:
    if invoked_through_forge(request):
        # Forge's invokeRemote passes JSON only: the file travels in it, base64-encoded.
        response = Response(json_body=export_file(body, content_type, filename))
    else:
        response = Response(body=body, content_type=content_type)
        response.content_disposition = f'attachment; filename="{filename}"'
    response.cache_control.no_store = True
    return response


def report_for(request: Request, params: ReportParams) -> Report:
    """The typed report for already parsed ``params`` (shared by the API and the exports)."""
    fetched = fetch_for(request, params)
    report = build_report(fetched.worklogs, params, viewer_tz=fetched.viewer_tz)
    if params.expected:
        # Imported here: the expected hours' views build on the saved reports' Jira helpers.
        from smart_timesheet_plugin.expected_views import with_expected

        zones = {worklog.author_id: worklog.author_tz for worklog in fetched.worklogs}
        report = with_expected(
            request,
            report,
            viewer_tz=fetched.viewer_tz,
            user_zones=zones,
            max_workers=_concurrency(request),
        )
    return report


def export_csv(request: Request) -> Response:
    """``GET /timesheet/export.csv``: the report as RFC 4180 CSV, in decimal hours.

    Asked for through Forge, the file comes as JSON ``{"filename", "mediaType", "content"}``
    (``content`` base64), as for the XLSX export.
    """
    report = report_for(request, request_params(request))
    body = report_csv(report)
    return _download(request, body, "text/csv; charset=utf-8", export_filename(report, "csv"))


def export_xlsx(request: Request) -> Response:
    """``GET /timesheet/export.xlsx``: the report as an Excel workbook built in memory."""
    report = report_for(request, request_params(request))
    body = report_xlsx(report, title=export_title(report))
    return _download(request, body, XLSX_TYPE, export_filename(report, "xlsx"))


def viewer_locale(request: Request) -> str:
    """The viewer's Jira locale as a BCP 47 tag (``de-DE``), from the ``loc`` parameter Jira
    appends to every iframe URL; ``""`` when there is none or it is not a locale.

    The page formats its dates and numbers in it. The URL is signed (its ``qsh`` covers ``loc``),
    and the value only ever chooses a format.
    """
    value = request.GET.get("loc", "").strip()
    return value.replace("_", "-") if _LOCALE.fullmatch(value) else ""


def timesheet_page(request: Request) -> dict[str, Any]:
    """``GET /timesheet``: the page Jira opens in its iframe (also the project page)."""
    settings = get_settings(request)
    query = _query(request)
    # The project page passes ?project=KEY; Jira's own context parameters are not report filters.
    initial = {name: values for name, values in query.items() if name in INITIAL_PARAMETERS}
    # Rendering the page asks Jira nothing, so it cannot know the viewer's date: a period without
    # dates goes to the API as its preset, which the API resolves in the report's zone. Any date
    # serves here to check the other parameters.
    any_day = dt.datetime.now(dt.UTC).date()
    try:
        params = parse_report_params(initial, today=any_day)
    except ParameterError:
        params = parse_report_params({}, today=any_day)
        initial = {}
    shown: dict[str, list[str]] = {**params.to_query(), "project": list(params.projects)}
    if not any(value.strip() for name in ("from", "to") for value in initial.get(name, ())):
        del shown["from"], shown["to"]
        preset = next((value.strip() for value in initial.get("preset", ()) if value.strip()), "")
        shown["preset"] = [preset.lower() or "this-week"]
    identity = request.identity
    return {
        "context_token": request.ack_context_token(),
        "token_lifetime": settings.context_token_seconds,
        "all_js_url": settings.all_js_url,
        "forge_bridge": None,  # only the Forge folder's copy loads @forge/bridge
        "initial": json.dumps(shown, separators=(",", ":")),
        "strings": page_strings(),
        "strings_json": page_strings_json(),
        "locale": viewer_locale(request),
        "project_page": bool(params.projects) and "project" in query,
        "projects": list(params.projects),
        "site_url": identity.base_url.rstrip("/") if identity is not None else "",
        "group_dimensions": GROUP_DIMENSIONS,
        "presets": PRESETS,
        "static": lambda path: request.route_path("timesheet.static", subpath=path),
        "api": {
            "report": request.route_path("timesheet.api.report"),
            "worklogs": request.route_path("timesheet.api.worklogs"),
            "users": request.route_path("timesheet.api.users"),
            "groups": request.route_path("timesheet.api.groups"),
            "saved": request.route_path("timesheet.api.saved"),
            "workweek": request.route_path("timesheet.api.workweek"),
            "daysoff": request.route_path("timesheet.api.daysoff"),
            "csv": request.route_path("timesheet.export.csv"),
            "xlsx": request.route_path("timesheet.export.xlsx"),
        },
    }


# Report parameters a page URL may preset. ``tz`` is left out: Jira itself appends ``tz`` (the
# viewer's zone) to every iframe URL, and it must not pin the report to a fixed zone; the page
# learns a chosen zone from the host page's URL instead (see docs/timesheet-api.md).
INITIAL_PARAMETERS = frozenset(
    {
        "from",
        "to",
        "preset",
        "columns",
        "week_start",
        "group",
        "project",
        "user",
        "usergroup",
        "field",
        "pivot",
        "jql",
        "sort",
        "order",
        "expected",
    }
)


def _add(
    config: Configurator,
    name: str,
    pattern: str,
    view: Callable[..., Any],
    *,
    auth: str,
    renderer: str | None = None,
) -> None:
    config.add_route(name, pattern, request_method="GET")
    # Worklogs are shown only to a signed-in viewer, as that viewer: a token without a user
    # (Jira sends them for anonymous visitors) gets 401, even where the descriptor's
    # user_is_logged_in condition should have kept Jira from sending one.
    config.add_view(
        view,
        route_name=name,
        renderer=renderer,
        connect_auth=auth,
        connect_require_user=SIGN_IN_MESSAGE,
    )


def includeme(config: Configurator) -> None:
    """Register the Timesheet's routes and views (the URLs are public contracts).

    The page is Jira's Connect iframe; the API and the exports also answer Forge invocations
    (``context+forge``), calling Jira with the invoking user's Forge token.
    """
    _add(
        config,
        "timesheet.page",
        "/timesheet",
        timesheet_page,
        auth="jwt",
        renderer="smart_timesheet_plugin:templates/timesheet.pt",
    )
    _add(
        config,
        "timesheet.api.report",
        "/timesheet/api/report",
        report_json,
        auth="context+forge",
        renderer="json",
    )
    _add(
        config,
        "timesheet.api.worklogs",
        "/timesheet/api/worklogs",
        worklogs_json,
        auth="context+forge",
        renderer="json",
    )
    _add(
        config,
        "timesheet.api.users",
        "/timesheet/api/users",
        users_json,
        auth="context+forge",
        renderer="json",
    )
    _add(
        config,
        "timesheet.api.groups",
        "/timesheet/api/groups",
        groups_json,
        auth="context+forge",
        renderer="json",
    )
    _add(config, "timesheet.export.csv", "/timesheet/export.csv", export_csv, auth="context+forge")
    _add(
        config, "timesheet.export.xlsx", "/timesheet/export.xlsx", export_xlsx, auth="context+forge"
    )
    config.add_route("timesheet.static", "/timesheet/static/*subpath")
    config.add_view(
        static_view("smart_timesheet_plugin:static", use_subpath=True, cache_max_age=3600),
        route_name="timesheet.static",
        connect_auth="public",
    )


__all__ = (
    "export_csv",
    "export_xlsx",
    "groups_json",
    "includeme",
    "report_json",
    "timesheet_page",
    "users_json",
    "worklogs_json",
)
