"""Expected hours' HTTP surface: the site's working week and the viewer's days off, in Jira.

``GET /timesheet/api/workweek`` answers the site's working week (the default, Monday to Friday
8 hours, until an administrator sets one) and whether the viewer may change it; ``PUT`` sets it,
written explicitly as the app (``request.jira_as_app``) and only after Jira confirms the viewer
holds the Administer Jira permission. ``GET``/``PUT /timesheet/api/daysoff`` read and set the
viewer's own days off, their user property written as the viewer. Nothing is kept on our side.

The same URLs answer the Connect page (context token) and Forge invocations: the working week is
then Forge's app property, written with the app system token
(:func:`~smart_timesheet_plugin.source.properties.app_properties` chooses), and the days off are
read and written with the app user token.

:func:`with_expected` gives a report its people's expected hours: the working week is read as
the app, the viewer's own days off as the viewer, and other people's days off as the app (a team
lead sees their team's expected hours; Jira lets only the app or an administrator read another
person's property). Where Jira refuses the app that read, as Forge may (its app user holds only
what the manifest's scopes grant), the viewer's token is tried, which a Jira administrator's
passes; otherwise the report is refused with a 403 rather than shown without those days off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TYPE_CHECKING, Any

from pyramid.response import Response

from atlassian_connect_kit import JiraAuthError, JiraBadRequest
from smart_timesheet_plugin.errors import RequestFailed, jira_call, json_body
from smart_timesheet_plugin.expected import (
    DAYS_OFF_PROPERTY,
    WORKING_WEEK_PROPERTY,
    ExpectedSettingError,
    days_off_document,
    days_off_from_body,
    read_days_off,
    read_week,
    week_from_body,
    week_or_default,
    week_to_json,
)
from smart_timesheet_plugin.report.expected import DEFAULT_WORKING_WEEK, add_expected
from smart_timesheet_plugin.report.model import Report
from smart_timesheet_plugin.source.properties import (
    app_properties,
    is_jira_admin,
    read_user_property,
    write_user_property,
)

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit import JiraClient

SIGN_IN_MESSAGE = "sign in to Jira to see expected hours"
DAYS_OFF_REFUSED = (
    "expected: Jira does not let the app read other people's days off on this site; "
    "show only your own hours, or ask a Jira administrator to open this report"
)


def _viewer(request: Request) -> str:
    account_id: str = request.identity.account_id
    return account_id


def _answer(body: dict[str, Any]) -> Response:
    response = Response(json_body=body)
    response.cache_control.no_store = True
    return response


def _stored_week(request: Request) -> object:
    return jira_call(lambda: app_properties(request).read(WORKING_WEEK_PROPERTY))


def _refused(error: JiraBadRequest, parameter: str) -> RequestFailed:
    detail = "; ".join(error.error_messages) or "Jira refused to store it"
    return RequestFailed(400, f"{parameter}: {detail}", parameter=parameter)


def workweek_get(request: Request) -> Response:
    """``GET /timesheet/api/workweek``: ``{"hours": {"mon": 8, ...}, "default", "canEdit"}``."""
    week = read_week(_stored_week(request))
    can_edit = jira_call(lambda: is_jira_admin(request.jira))
    return _answer(
        {
            **week_to_json(week or DEFAULT_WORKING_WEEK),
            "default": week is None,
            "canEdit": can_edit,
        }
    )


def workweek_put(request: Request) -> Response:
    """``PUT /timesheet/api/workweek`` with ``{"hours": {...}}``: a Jira administrator sets the
    site's working week; anyone else gets 403 and nothing is written."""
    try:
        week = week_from_body(json_body(request))
    except ExpectedSettingError as error:
        raise RequestFailed(400, str(error), parameter=error.parameter) from None
    # Jira is asked, as the viewer, before the app writes anything on the site's behalf.
    if not jira_call(lambda: is_jira_admin(request.jira)):
        raise RequestFailed(
            403,
            "hours: only a Jira administrator may change the site's working week",
            parameter="hours",
        )
    document = week_to_json(week)
    try:
        jira_call(
            lambda: app_properties(request).write(WORKING_WEEK_PROPERTY, document),
            reraise=(JiraBadRequest,),
        )
    except JiraBadRequest as error:
        raise _refused(error, "hours") from None
    return _answer({**document, "default": False, "canEdit": True})


def daysoff_get(request: Request) -> Response:
    """``GET /timesheet/api/daysoff``: the viewer's own days off, ``{"days": [...]}``."""
    value = jira_call(lambda: read_user_property(request.jira, _viewer(request), DAYS_OFF_PROPERTY))
    return _answer(days_off_document(tuple(sorted(read_days_off(value)))))


def daysoff_put(request: Request) -> Response:
    """``PUT /timesheet/api/daysoff`` with ``{"days": ["2026-12-24", ...]}``: the viewer's days
    off, replaced as a whole; answers the stored list."""
    try:
        document = days_off_document(days_off_from_body(json_body(request)))
    except ExpectedSettingError as error:
        raise RequestFailed(400, str(error), parameter=error.parameter) from None
    try:
        jira_call(
            lambda: write_user_property(
                request.jira, _viewer(request), DAYS_OFF_PROPERTY, document
            ),
            reraise=(JiraBadRequest,),
        )
    except JiraBadRequest as error:
        raise _refused(error, "days") from None
    return _answer(document)


def with_expected(
    request: Request,
    report: Report,
    *,
    viewer_tz: str,
    user_zones: dict[str, str | None],
    max_workers: int,
) -> Report:
    """``report`` with its people's expected hours (the working week read as the app, the
    viewer's days off as the viewer, other people's as the app; nothing is kept)."""
    week = week_or_default(_stored_week(request))
    people = sorted({row.key[0] for row in report.rows if len(row.key) == 1 and row.key[0]})
    viewer = _viewer(request)

    def read(client_of: Callable[[], JiraClient], account_id: str) -> object:
        return jira_call(
            lambda: read_user_property(client_of(), account_id, DAYS_OFF_PROPERTY),
            reraise=(JiraAuthError,),
        )

    def days_off(account_id: str) -> Collection[date]:
        if account_id == viewer:
            # Jira always lets a person read their own properties.
            return read_days_off(
                jira_call(lambda: read_user_property(request.jira, viewer, DAYS_OFF_PROPERTY))
            )
        try:
            return read_days_off(read(lambda: request.jira_as_app, account_id))
        except JiraAuthError:
            pass
        try:
            # A Jira administrator may read anyone's property with their own token.
            return read_days_off(read(lambda: request.jira, account_id))
        except JiraAuthError:
            raise RequestFailed(403, DAYS_OFF_REFUSED, parameter="expected") from None

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(people) or 1))) as pool:
        found = dict(zip(people, pool.map(days_off, people), strict=True))
    return add_expected(
        report,
        week,
        found,
        now_ms=time.time_ns() // 1_000_000,
        viewer_tz=viewer_tz,
        user_zones=user_zones,
    )


def includeme(config: Configurator) -> None:
    """Register the working week's and the days off's routes (a view per method)."""
    for name, pattern, views in (
        ("timesheet.api.workweek", "/timesheet/api/workweek", (workweek_get, workweek_put)),
        ("timesheet.api.daysoff", "/timesheet/api/daysoff", (daysoff_get, daysoff_put)),
    ):
        config.add_route(name, pattern)
        for method, view in zip(("GET", "PUT"), views, strict=True):
            config.add_view(
                view,
                route_name=name,
                request_method=method,
                # The Connect page's context token, or a Forge invocation (the Forge page).
                connect_auth="context+forge",
                connect_require_user=SIGN_IN_MESSAGE,
            )
