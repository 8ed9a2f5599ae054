"""The Jira Cloud REST v3 endpoints the fake site serves, and the table routing to them.

Every handler sees only what its caller may see: the app sees every project, a user only the
projects they belong to. Refusals use Jira's error collection. Handlers return their response;
the server adds authentication, rate limiting and logging around them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from atlassian_connect_kit.testing.fakejira.auth import Caller
from atlassian_connect_kit.testing.fakejira.jql import (
    JqlError,
    check_values,
    parse_jql,
    select_issues,
)
from atlassian_connect_kit.testing.fakejira.model import Issue, SiteData, User
from atlassian_connect_kit.testing.fakejira.responses import (
    RequestError,
    Response,
    json_response,
)
from atlassian_connect_kit.testing.fakejira.serialize import (
    SEARCH_FIELDS,
    WORKING_DAYS_PER_WEEK,
    WORKING_HOURS_PER_DAY,
    fields_json,
    issue_json,
    jql_structure_json,
    project_json,
    user_details,
    worklog_json,
)
from atlassian_connect_kit.testing.fakejira.state import Dashboards, UserProperties

SEARCH_PAGE_LIMIT_IDS = 5000
"""Most issues a search page holds when only ``id``/``key`` are requested."""

SEARCH_PAGE_LIMIT_FIELDS = 100
"""Most issues a search page holds when any other field (such as ``worklog``) is requested."""

WORKLOG_PAGE_LIMIT = 5000
"""Most worklogs one page of ``/issue/{key}/worklog`` holds."""

WORKLOG_LIST_LIMIT = 1000
"""Most worklog ids ``/worklog/list`` accepts at once."""

PROPERTY_VALUE_LIMIT = 32768
"""Largest user property value in bytes."""

JQL_VALIDATION_MODES = ("strict", "warn", "none")
"""The ``validation`` modes of ``/jql/parse``."""

UNBOUNDED_QUERY_MESSAGE = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
"""Jira's refusal of a search without any restriction."""

_SEARCH_BODY_FIELDS = frozenset(
    {
        "jql",
        "nextPageToken",
        "maxResults",
        "fields",
        "expand",
        "properties",
        "fieldsByKeys",
        "reconcileIssues",
    }
)
_ID_FIELDS = frozenset({"id", "key"})
_ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."


@dataclass(frozen=True, slots=True)
class RestRequest:
    """One authenticated REST call, as a handler sees it.

    ``params`` holds every value of every query parameter, decoded; ``path_args`` the decoded
    values of the route's ``{placeholders}``.
    """

    method: str
    params: Mapping[str, Sequence[str]]
    path_args: Mapping[str, str]
    body: bytes
    caller: Caller
    data: SiteData
    base_url: str
    properties: UserProperties
    app_properties: UserProperties = field(default_factory=UserProperties)
    dashboards: Dashboards = field(default_factory=Dashboards)

    def param(self, name: str) -> str | None:
        """The first value of a query parameter, or ``None``."""
        values = self.params.get(name)
        return values[0] if values else None

    def json_body(self) -> Any:
        """The body parsed as JSON; a 400 when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise RequestError(400, "The request body is not valid JSON.") from error

    @property
    def zone(self) -> tzinfo:
        """The zone dates are shown in: the viewer's own, else the site's."""
        if self.caller.acting_as == "user" and self.caller.account_id is not None:
            user = self.data.user(self.caller.account_id)
            if user is not None and user.time_zone is not None:
                return ZoneInfo(user.time_zone)
        return self.data.zone

    @property
    def visible_projects(self) -> frozenset[str]:
        """The project keys the caller may browse."""
        return self.caller.visible_projects(self.data)


Handler = Callable[[RestRequest], Response]
"""A REST endpoint."""


@dataclass(frozen=True, slots=True)
class Route:
    """A REST endpoint: method, path template under the base URL, handler, required scope.

    ``scope`` is the Connect scope the caller needs; ``None`` for endpoints outside Connect's
    scopes, whose handlers check the caller themselves.
    """

    method: str
    template: str
    handler: Handler
    scope: str | None = "READ"
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # "{name}" matches one raw (still percent-encoded) path segment.
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def family(self) -> str:
        """The rate-limit family: requests to one endpoint share a burst bucket."""
        return f"{self.method} {self.template}"


def search_issues(request: RestRequest) -> Response:
    """``GET``/``POST /rest/api/3/search/jql``: one page of issues matching a bounded JQL query."""
    if request.method == "POST":
        jql, token, max_results, fields = _search_body(request.json_body())
    else:
        jql = request.param("jql")
        token = request.param("nextPageToken")
        max_results = _int(request.param("maxResults"), "maxResults", default=50, minimum=1)
        fields = [name for value in request.params.get("fields", []) for name in value.split(",")]
    requested, names = _resolve_fields(fields)
    limit = SEARCH_PAGE_LIMIT_IDS if names <= _ID_FIELDS else SEARCH_PAGE_LIMIT_FIELDS
    page_size = min(max_results, limit)
    try:
        query = parse_jql(jql or "")
        if not query.is_bounded:
            raise RequestError(400, UNBOUNDED_QUERY_MESSAGE)
        found = select_issues(query, request.data, request.visible_projects)
    except JqlError as error:
        raise RequestError(400, *error.messages) from error
    offset = _page_offset(token, jql or "") if token else 0
    page = found[offset : offset + page_size]
    body: dict[str, Any] = {
        "issues": [_issue(issue, requested, request) for issue in page],
        "isLast": offset + page_size >= len(found),
    }
    if not body["isLast"]:
        body["nextPageToken"] = _page_token(offset + page_size, jql or "")
    return json_response(200, body, points=len(page))


def parse_queries(request: RestRequest) -> Response:
    """``POST /rest/api/3/jql/parse?validation=``: each query's structure, errors and warnings.

    Syntax errors, unknown fields and operators are errors; under ``strict`` and ``warn`` values
    are checked against what the caller sees, a malformed date being an error and a project, issue
    or account the caller cannot see a warning. ``strict`` returns the structure only when nothing
    was found, ``warn`` whenever the query parses, ``none`` (no value checks) likewise. Unlike
    Jira, the fake checks fields and operators while parsing, so even ``none`` reports them.
    """
    validation = request.param("validation") or "strict"
    if validation not in JQL_VALIDATION_MODES:
        raise RequestError(
            400, f"The 'validation' parameter must be one of {', '.join(JQL_VALIDATION_MODES)}."
        )
    body = request.json_body()
    if not isinstance(body, dict):
        raise RequestError(400, "The request body must be a JSON object.")
    unknown = sorted(set(body) - {"queries"})
    if unknown:
        raise RequestError(400, f'Unrecognized field "{unknown[0][:40]}".')
    queries = body.get("queries")
    if (
        not isinstance(queries, list)
        or not queries
        or not all(isinstance(query, str) and query for query in queries)
    ):
        raise RequestError(400, "queries must be a list of one or more non-empty strings.")
    return json_response(
        200, {"queries": [_parsed_query(query, validation, request) for query in queries]}
    )


def _parsed_query(text: str, validation: str, request: RestRequest) -> dict[str, Any]:
    parsed: dict[str, Any] = {"query": text}
    try:
        query = parse_jql(text)
    except JqlError as error:
        parsed["errors"] = error.messages
        return parsed
    errors: list[str] = []
    warnings: list[str] = []
    if validation != "none":
        errors, warnings = check_values(query, request.data, request.visible_projects)
    if errors:
        parsed["errors"] = list(dict.fromkeys(errors))
    if warnings:
        parsed["warnings"] = list(dict.fromkeys(warnings))
    if validation != "strict" or not (errors or warnings):
        parsed["structure"] = jql_structure_json(query)
    return parsed


def issue_worklogs(request: RestRequest) -> Response:
    """``GET /rest/api/3/issue/{issueIdOrKey}/worklog``: one page of an issue's worklogs."""
    issue = _visible_issue(request, request.path_args["issueIdOrKey"])
    start_at = _int(request.param("startAt"), "startAt", default=0, minimum=0)
    max_results = _int(request.param("maxResults"), "maxResults", default=5000, minimum=0)
    max_results = min(max_results, WORKLOG_PAGE_LIMIT)
    after = _optional_int(request.param("startedAfter"), "startedAfter")
    before = _optional_int(request.param("startedBefore"), "startedBefore")
    logs = request.data.worklogs_started_between(issue.id, after, before)
    page = logs[start_at : start_at + max_results]
    return json_response(
        200,
        {
            "startAt": start_at,
            "maxResults": max_results,
            "total": len(logs),
            "worklogs": [
                worklog_json(log, request.data, request.base_url, request.zone) for log in page
            ],
        },
    )


def list_worklogs(request: RestRequest) -> Response:
    """``POST /rest/api/3/worklog/list``: the visible worklogs among up to 1000 ids."""
    body = request.json_body()
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list):
        raise RequestError(400, "The request body must be an object with a list of 'ids'.")
    if len(ids) > WORKLOG_LIST_LIMIT:
        raise RequestError(400, f"The number of worklog IDs must not exceed {WORKLOG_LIST_LIMIT}.")
    visible = request.visible_projects
    found = []
    seen: set[str] = set()
    for raw in ids:
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
            raise RequestError(400, "Worklog IDs must be integers.")
        worklog = request.data.worklog(str(raw))
        if worklog is None or worklog.id in seen:
            continue
        issue = request.data.issue(worklog.issue_id)
        if issue is not None and issue.project_key in visible:
            seen.add(worklog.id)
            found.append(worklog_json(worklog, request.data, request.base_url, request.zone))
    return json_response(200, found)


def myself(request: RestRequest) -> Response:
    """``GET /rest/api/3/myself``: the calling user, or the app's own bot user."""
    caller = request.caller
    if caller.acting_as == "user" and caller.account_id is not None:
        user = request.data.user(caller.account_id)
        if user is not None:
            return json_response(200, user_details(user, request.base_url))
    account_id = uuid.uuid5(uuid.NAMESPACE_URL, caller.app_id).hex[:24]
    return json_response(
        200,
        {
            "self": f"{request.base_url}/rest/api/3/user?accountId={account_id}",
            "accountId": account_id,
            "accountType": "app",
            "displayName": caller.app_name,
            "active": True,
            "timeZone": request.data.time_zone,
            "locale": "en_US",
        },
    )


def get_user(request: RestRequest) -> Response:
    """``GET /rest/api/3/user?accountId=``: one user."""
    account_id = request.param("accountId")
    if not account_id:
        raise RequestError(400, "The accountId query parameter needs to be provided.")
    user = request.data.user(account_id)
    if user is None:
        raise RequestError(404, "Specified user does not exist or you do not have permission.")
    return json_response(200, user_details(user, request.base_url))


def bulk_users(request: RestRequest) -> Response:
    """``GET /rest/api/3/user/bulk?accountId=..``: a page of the named users that exist."""
    account_ids = list(dict.fromkeys(request.params.get("accountId", [])))
    if not account_ids:
        raise RequestError(400, "At least one accountId needs to be provided.")
    start_at = _int(request.param("startAt"), "startAt", default=0, minimum=0)
    max_results = _int(request.param("maxResults"), "maxResults", default=10, minimum=1)
    users = [user for user in map(request.data.user, account_ids) if user is not None]
    page = users[start_at : start_at + max_results]
    values = [user_details(user, request.base_url) for user in page]
    return json_response(
        200, _page(request, "user/bulk", values, start_at, max_results, len(users))
    )


def search_users(request: RestRequest) -> Response:
    """``GET /rest/api/3/user/search?query=``: active users whose name or email starts a match.

    Like Jira, a word of the display name or the email address must start with the query (any
    case); a list, not a page object, comes back.
    """
    query = (request.param("query") or "").strip().casefold()
    account_id = request.param("accountId")
    if not query and not account_id:
        raise RequestError(400, "The query or accountId query parameter needs to be provided.")
    start_at = _int(request.param("startAt"), "startAt", default=0, minimum=0)
    max_results = min(_int(request.param("maxResults"), "maxResults", default=50, minimum=1), 1000)

    def matches(user: User) -> bool:
        if account_id:
            return user.account_id == account_id
        words = [*user.display_name.casefold().split(), user.email_address.casefold()]
        return user.active and any(word.startswith(query) for word in words)

    found = [user for user in request.data.users if matches(user)]
    page = found[start_at : start_at + max_results]
    return json_response(200, [user_details(user, request.base_url) for user in page])


def pick_groups(request: RestRequest) -> Response:
    """``GET /rest/api/3/groups/picker?query=``: groups whose name contains the query."""
    query = (request.param("query") or "").casefold()
    max_results = _int(request.param("maxResults"), "maxResults", default=20, minimum=1)
    found = [group for group in request.data.groups if query in group.name.casefold()]
    found.sort(key=lambda group: group.name.casefold())
    shown = found[:max_results]
    return json_response(
        200,
        {
            "header": f"Showing {len(shown)} of {len(found)} matching groups",
            "total": len(found),
            "groups": [
                {"name": group.name, "html": group.name, "groupId": group.group_id}
                for group in shown
            ],
        },
    )


def group_members(request: RestRequest) -> Response:
    """``GET /rest/api/3/group/member?groupId=|groupname=``: a page of a group's members.

    As in Jira, only the app or a user with the Administer Jira permission may list them.
    """
    group_id, name = request.param("groupId"), request.param("groupname")
    if not group_id and not name:
        raise RequestError(400, "You must specify a group name or group ID.")
    caller = request.caller
    if caller.acting_as == "user":
        user = request.data.user(caller.account_id or "")
        if user is None or not user.administrator:
            raise RequestError(403, "You do not have permission to view the members of this group.")
    group = request.data.group(group_id, name)
    if group is None:
        raise RequestError(404, "Specified group does not exist.")
    start_at = _int(request.param("startAt"), "startAt", default=0, minimum=0)
    max_results = min(_int(request.param("maxResults"), "maxResults", default=50, minimum=1), 50)
    include_inactive = (request.param("includeInactiveUsers") or "").lower() == "true"
    members = [
        user
        for user in request.data.users
        if user.account_id in group.members and (user.active or include_inactive)
    ]
    page = members[start_at : start_at + max_results]
    values = [user_details(user, request.base_url) for user in page]
    return json_response(
        200, _page(request, "group/member", values, start_at, max_results, len(members))
    )


def search_projects(request: RestRequest) -> Response:
    """``GET /rest/api/3/project/search``: a page of the projects the caller may browse."""
    start_at = _int(request.param("startAt"), "startAt", default=0, minimum=0)
    max_results = min(_int(request.param("maxResults"), "maxResults", default=50, minimum=1), 100)
    keys = {key.upper() for value in request.params.get("keys", []) for key in value.split(",")}
    text = (request.param("query") or "").lower()
    order = request.param("orderBy") or "key"
    field_name = order.lstrip("+-")
    if field_name not in ("key", "name"):
        raise RequestError(400, f"The orderBy value '{order[:40]}' is not supported.")
    projects = [
        project
        for project in request.data.projects
        if project.key in request.visible_projects
        and (not keys or project.key in keys)
        and (text in project.key.lower() or text in project.name.lower())
    ]
    projects.sort(key=lambda project: getattr(project, field_name).lower())
    if order.startswith("-"):
        projects.reverse()
    page = projects[start_at : start_at + max_results]
    values = [project_json(project, request.base_url) for project in page]
    return json_response(
        200, _page(request, "project/search", values, start_at, max_results, len(projects))
    )


def list_fields(request: RestRequest) -> Response:
    """``GET /rest/api/3/field``: every field of the site, system and custom."""
    return json_response(200, fields_json(request.data))


def configuration(request: RestRequest) -> Response:
    """``GET /rest/api/3/configuration``: global settings, notably time tracking."""
    return json_response(
        200,
        {
            "votingEnabled": True,
            "watchingEnabled": True,
            "unassignedIssuesAllowed": False,
            "subTasksEnabled": True,
            "issueLinkingEnabled": True,
            "timeTrackingEnabled": True,
            "attachmentsEnabled": True,
            "timeTrackingConfiguration": {
                "workingHoursPerDay": float(WORKING_HOURS_PER_DAY),
                "workingDaysPerWeek": float(WORKING_DAYS_PER_WEEK),
                "timeFormat": "pretty",
                "defaultUnit": "minute",
            },
        },
    )


def get_user_property(request: RestRequest) -> Response:
    """``GET /rest/api/3/user/properties/{propertyKey}?accountId=``: one stored value."""
    account_id, key = _property_target(request)
    found, value = request.properties.get(account_id, key)
    if not found:
        raise RequestError(404, f"The property with key '{key[:80]}' does not exist.")
    return json_response(200, {"key": key, "value": value})


def put_user_property(request: RestRequest) -> Response:
    """``PUT /rest/api/3/user/properties/{propertyKey}?accountId=``: store a JSON value."""
    account_id, key = _property_target(request)
    if not request.body.strip():
        raise RequestError(400, "The property value must not be empty.")
    if len(request.body) > PROPERTY_VALUE_LIMIT:
        raise RequestError(400, f"The property value must not exceed {PROPERTY_VALUE_LIMIT} bytes.")
    created = request.properties.put(account_id, key, request.json_body())
    return Response(201 if created else 200)


def delete_user_property(request: RestRequest) -> Response:
    """``DELETE /rest/api/3/user/properties/{propertyKey}?accountId=``: remove a value."""
    account_id, key = _property_target(request)
    if not request.properties.delete(account_id, key):
        raise RequestError(404, f"The property with key '{key[:80]}' does not exist.")
    return Response(204)


def my_permissions(request: RestRequest) -> Response:
    """``GET /rest/api/3/mypermissions?permissions=``: which of the named permissions the caller
    has. The fake knows the global ``ADMINISTER`` (a user's ``administrator`` flag; the app has
    it) and ``BROWSE_PROJECTS`` (true when the caller may browse any project)."""
    names = [
        name.strip().upper()
        for value in request.params.get("permissions", [])
        for name in value.split(",")
        if name.strip()
    ]
    if not names:
        raise RequestError(400, "The permissions parameter must be provided.")
    caller = request.caller
    user = request.data.user(caller.account_id or "") if caller.acting_as == "user" else None
    known = {
        "ADMINISTER": ("0", "Administer Jira", "GLOBAL", user is None or user.administrator),
        "BROWSE_PROJECTS": ("10", "Browse Projects", "PROJECT", bool(request.visible_projects)),
    }
    unknown = [name for name in names if name not in known]
    if unknown:
        raise RequestError(400, f"Unrecognized permission: '{unknown[0][:40]}'.")
    permissions = {}
    for name in names:
        permission_id, title, kind, have = known[name]
        permissions[name] = {
            "id": permission_id,
            "key": name,
            "name": title,
            "type": kind,
            "description": title,
            "havePermission": have,
        }
    return json_response(200, {"permissions": permissions})


def _app_property_target(request: RestRequest, *, writing: bool) -> tuple[str, str]:
    addon_key = request.path_args["addonKey"]
    key = request.path_args["propertyKey"]
    if not 0 < len(key) <= 127:
        raise RequestError(400, "The property key must have 1 to 127 characters.")
    if writing and request.caller.acting_as != "app":
        # Users may read an app's properties through the app; only the app changes them.
        raise RequestError(403, "Only the app itself may change its properties.")
    return f"{request.caller.app_id}/{addon_key}", key


def get_app_property(request: RestRequest) -> Response:
    """``GET /rest/atlassian-connect/1/addons/{addonKey}/properties/{propertyKey}``."""
    owner, key = _app_property_target(request, writing=False)
    found, value = request.app_properties.get(owner, key)
    if not found:
        raise RequestError(404, f"Property with key not found: {key[:80]}")
    return json_response(200, {"key": key, "value": value, "self": f"{request.base_url}"})


def put_app_property(request: RestRequest) -> Response:
    """``PUT /rest/atlassian-connect/1/addons/{addonKey}/properties/{propertyKey}``: store a
    JSON value of at most 32 KB."""
    owner, key = _app_property_target(request, writing=True)
    if len(request.body) > PROPERTY_VALUE_LIMIT:
        raise RequestError(400, f"The property value must not exceed {PROPERTY_VALUE_LIMIT} bytes.")
    created = request.app_properties.put(owner, key, request.json_body())
    return json_response(201 if created else 200, {"message": "Property updated."})


def delete_app_property(request: RestRequest) -> Response:
    """``DELETE /rest/atlassian-connect/1/addons/{addonKey}/properties/{propertyKey}``."""
    owner, key = _app_property_target(request, writing=True)
    if not request.app_properties.delete(owner, key):
        raise RequestError(404, f"Property with key not found: {key[:80]}")
    return Response(204)


FORGE_APP_PROPERTIES_READ_SCOPE = "read:app-data:jira"
"""The Forge scope Jira requires to read a Forge app's properties."""

FORGE_APP_PROPERTY_KEY_LIMIT = 127
"""Longest Forge app property key."""

_APP_ONLY = "Access to this resource must be authenticated as an app."


def forge_app_properties_owner(installation_id: str) -> str:
    """Whose properties a Forge app's are in the site's store: its installation's."""
    return f"forge:{installation_id}"


def _forge_app(request: RestRequest, *, reading: bool) -> str:
    """The owner of the calling Forge app's properties; refuses every other caller.

    As documented for ``/rest/forge/1/app/properties``: only a Forge app acting as itself (the
    app system token) may call it; a user's token, an impersonated call and Connect apps get 403.
    Reading needs ``read:app-data:jira``; ``write:app-data:jira`` is documented as optional for
    now, so writes are not refused without it.
    """
    caller = request.caller
    if caller.forge_scopes is None or caller.acting_as != "app":
        raise RequestError(403, _APP_ONLY)
    if reading and FORGE_APP_PROPERTIES_READ_SCOPE not in caller.forge_scopes:
        needed = FORGE_APP_PROPERTIES_READ_SCOPE
        raise RequestError(403, f"The app's scopes do not allow this request; it needs {needed}.")
    return forge_app_properties_owner(caller.app_id)


def _forge_property_key(request: RestRequest) -> str:
    key = request.path_args["propertyKey"]
    if len(key) > FORGE_APP_PROPERTY_KEY_LIMIT:
        raise RequestError(400, "The property key can't be longer than 127 characters.")
    return key


def forge_app_property_keys(request: RestRequest) -> Response:
    """``GET /rest/forge/1/app/properties``: the keys of the calling Forge app's properties."""
    owner = _forge_app(request, reading=True)
    base = f"{request.base_url}/rest/forge/1/app/properties"
    keys = [{"key": key, "self": f"{base}/{key}"} for key in request.app_properties.keys(owner)]
    return json_response(200, {"keys": keys})


def get_forge_app_property(request: RestRequest) -> Response:
    """``GET /rest/forge/1/app/properties/{propertyKey}``: ``{key, value}``, 404 when unset."""
    owner = _forge_app(request, reading=True)
    key = _forge_property_key(request)
    found, value = request.app_properties.get(owner, key)
    if not found:
        raise RequestError(404, f"Property with key not found: {key[:80]}")
    return json_response(200, {"key": key, "value": value})


def put_forge_app_property(request: RestRequest) -> Response:
    """``PUT /rest/forge/1/app/properties/{propertyKey}``: a non-empty JSON value of at most
    32768 characters; 201 when created, 200 when updated."""
    owner = _forge_app(request, reading=False)
    key = _forge_property_key(request)
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(400, "The property value isn't valid JSON.") from error
    if not text.strip():
        raise RequestError(400, "The property value must not be empty.")
    if len(text) > PROPERTY_VALUE_LIMIT:
        raise RequestError(
            400, f"The property value can't be longer than {PROPERTY_VALUE_LIMIT} characters."
        )
    created = request.app_properties.put(owner, key, request.json_body())
    status = 201 if created else 200
    message = "Property created." if created else "Property updated."
    return json_response(status, {"message": message, "statusCode": status})


def delete_forge_app_property(request: RestRequest) -> Response:
    """``DELETE /rest/forge/1/app/properties/{propertyKey}``: 204, 404 when unset."""
    owner = _forge_app(request, reading=False)
    key = _forge_property_key(request)
    if not request.app_properties.delete(owner, key):
        raise RequestError(404, f"Property with key not found: {key[:80]}")
    return Response(204)


def _dashboard_item(request: RestRequest, *, writing: bool) -> tuple[str, str]:
    """The dashboard and item ids of the path, checked as Jira checks them.

    A dashboard the caller may not view is "not found" (404), as is an unknown item; changing an
    item's properties takes edit permission, which the fake gives the dashboard's owner alone
    (403 for anyone else who can see it). The app itself reads any dashboard but edits none.
    """
    dashboard_id = request.path_args["dashboardId"]
    item_id = request.path_args["itemId"]
    if not dashboard_id.isdigit() or not item_id.isdigit():
        raise RequestError(400, "The dashboard or dashboard item ID is invalid.")
    dashboard = request.dashboards.get(dashboard_id)
    caller = request.caller
    viewer = caller.account_id if caller.acting_as == "user" else None
    visible = dashboard is not None and (
        caller.acting_as == "app" or dashboard.owner == viewer or dashboard.shared
    )
    if dashboard is None or not visible or item_id not in dashboard.items:
        raise RequestError(404, "The dashboard item does not exist or you cannot see it.")
    if writing and dashboard.owner != viewer:
        raise RequestError(403, "You are not the owner of this dashboard.")
    return dashboard_id, item_id


def _dashboard_property_key(request: RestRequest) -> str:
    key = request.path_args["propertyKey"]
    if not 0 < len(key) <= 255:
        raise RequestError(400, "The property key must have 1 to 255 characters.")
    return key


def dashboard_item_property_keys(request: RestRequest) -> Response:
    """``GET /rest/api/3/dashboard/{dashboardId}/items/{itemId}/properties``: the keys."""
    dashboard_id, item_id = _dashboard_item(request, writing=False)
    base = f"{request.base_url}/rest/api/3/dashboard/{dashboard_id}/items/{item_id}/properties"
    keys = request.dashboards.keys(dashboard_id, item_id)
    return json_response(200, {"keys": [{"key": k, "self": f"{base}/{k}"} for k in keys]})


def get_dashboard_item_property(request: RestRequest) -> Response:
    """``GET /rest/api/3/dashboard/{dashboardId}/items/{itemId}/properties/{propertyKey}``."""
    dashboard_id, item_id = _dashboard_item(request, writing=False)
    key = _dashboard_property_key(request)
    found, value = request.dashboards.property(dashboard_id, item_id, key)
    if not found:
        raise RequestError(404, f"The property with key '{key[:80]}' does not exist.")
    return json_response(200, {"key": key, "value": value})


def put_dashboard_item_property(request: RestRequest) -> Response:
    """``PUT /rest/api/3/dashboard/{dashboardId}/items/{itemId}/properties/{propertyKey}``: a
    non-empty JSON value of at most 32 KB, by someone who may edit the dashboard."""
    dashboard_id, item_id = _dashboard_item(request, writing=True)
    key = _dashboard_property_key(request)
    if not request.body.strip():
        raise RequestError(400, "The property value must not be empty.")
    if len(request.body) > PROPERTY_VALUE_LIMIT:
        raise RequestError(400, f"The property value must not exceed {PROPERTY_VALUE_LIMIT} bytes.")
    created = request.dashboards.put(dashboard_id, item_id, key, request.json_body())
    return Response(201 if created else 200)


def delete_dashboard_item_property(request: RestRequest) -> Response:
    """``DELETE /rest/api/3/dashboard/{dashboardId}/items/{itemId}/properties/{propertyKey}``."""
    dashboard_id, item_id = _dashboard_item(request, writing=True)
    key = _dashboard_property_key(request)
    if not request.dashboards.delete(dashboard_id, item_id, key):
        raise RequestError(404, f"The property with key '{key[:80]}' does not exist.")
    return Response(204)


_DASHBOARD_ITEM = "/rest/api/3/dashboard/{dashboardId}/items/{itemId}/properties"

ROUTES: tuple[Route, ...] = (
    Route("GET", "/rest/api/3/search/jql", search_issues),
    Route("POST", "/rest/api/3/search/jql", search_issues),
    Route("POST", "/rest/api/3/jql/parse", parse_queries),
    Route("GET", "/rest/api/3/issue/{issueIdOrKey}/worklog", issue_worklogs),
    Route("POST", "/rest/api/3/worklog/list", list_worklogs),
    Route("GET", "/rest/api/3/myself", myself),
    Route("GET", "/rest/api/3/user", get_user),
    Route("GET", "/rest/api/3/user/bulk", bulk_users),
    Route("GET", "/rest/api/3/user/search", search_users),
    Route("GET", "/rest/api/3/groups/picker", pick_groups),
    Route("GET", "/rest/api/3/group/member", group_members),
    Route("GET", "/rest/api/3/project/search", search_projects),
    Route("GET", "/rest/api/3/configuration", configuration),
    Route("GET", "/rest/api/3/field", list_fields),
    Route("GET", "/rest/api/3/mypermissions", my_permissions),
    Route(
        "GET",
        "/rest/atlassian-connect/1/addons/{addonKey}/properties/{propertyKey}",
        get_app_property,
    ),
    Route(
        "PUT",
        "/rest/atlassian-connect/1/addons/{addonKey}/properties/{propertyKey}",
        put_app_property,
        "WRITE",
    ),
    Route(
        "DELETE",
        "/rest/atlassian-connect/1/addons/{addonKey}/properties/{propertyKey}",
        delete_app_property,
        "DELETE",
    ),
    # Forge's own app properties: the Connect scope ladder does not apply (any Forge app may
    # call them as itself), the handlers check the caller and its Forge scopes.
    Route("GET", "/rest/forge/1/app/properties", forge_app_property_keys, None),
    Route("GET", "/rest/forge/1/app/properties/{propertyKey}", get_forge_app_property, None),
    Route("PUT", "/rest/forge/1/app/properties/{propertyKey}", put_forge_app_property, None),
    Route("DELETE", "/rest/forge/1/app/properties/{propertyKey}", delete_forge_app_property, None),
    Route("GET", "/rest/api/3/user/properties/{propertyKey}", get_user_property),
    Route("PUT", "/rest/api/3/user/properties/{propertyKey}", put_user_property, "WRITE"),
    Route("DELETE", "/rest/api/3/user/properties/{propertyKey}", delete_user_property, "DELETE"),
    Route("GET", _DASHBOARD_ITEM, dashboard_item_property_keys),
    Route("GET", _DASHBOARD_ITEM + "/{propertyKey}", get_dashboard_item_property),
    Route("PUT", _DASHBOARD_ITEM + "/{propertyKey}", put_dashboard_item_property, "WRITE"),
    Route("DELETE", _DASHBOARD_ITEM + "/{propertyKey}", delete_dashboard_item_property, "DELETE"),
)
"""Every REST endpoint of the fake site."""


def _search_body(body: Any) -> tuple[str | None, str | None, int, list[str]]:
    if not isinstance(body, dict):
        raise RequestError(400, "The request body must be a JSON object.")
    unknown = sorted(set(body) - _SEARCH_BODY_FIELDS)
    if unknown:
        raise RequestError(400, f'Unrecognized field "{unknown[0][:40]}".')
    jql, token = body.get("jql"), body.get("nextPageToken")
    max_results, fields = body.get("maxResults", 50), body.get("fields") or []
    if jql is not None and not isinstance(jql, str):
        raise RequestError(400, "jql must be a string.")
    if token is not None and not isinstance(token, str):
        raise RequestError(400, "nextPageToken must be a string.")
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise RequestError(400, "maxResults must be a positive integer.")
    if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
        raise RequestError(400, "fields must be a list of strings.")
    return jql, token, max_results, [name for value in fields for name in value.split(",")]


def _resolve_fields(names: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Return (fields to serve, names asked for) from Jira's ``fields`` syntax."""
    wanted: set[str] = set()
    asked: set[str] = set()
    excluded: set[str] = set()
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if name.startswith("-"):
            excluded.add(name[1:])
        elif name in ("*all", "*navigable"):
            wanted |= SEARCH_FIELDS
            asked.add(name)
        else:
            wanted.add(name)
            asked.add(name)
    return frozenset(wanted - excluded), frozenset(asked - excluded)


def _issue(issue: Issue, fields: frozenset[str], request: RestRequest) -> dict[str, Any]:
    return issue_json(issue, fields, request.data, request.base_url, request.zone)


def _page_token(offset: int, jql: str) -> str:
    # Opaque to clients, like Jira's; it remembers the query so that a token cannot be replayed
    # against another one.
    payload = json.dumps({"offset": offset, "query": _query_fingerprint(jql)}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _page_offset(token: str, jql: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        offset, query = payload["offset"], payload["query"]
    except (ValueError, KeyError, TypeError, UnicodeEncodeError) as error:
        raise RequestError(400, "The nextPageToken is invalid.") from error
    if not isinstance(offset, int) or offset < 0 or query != _query_fingerprint(jql):
        raise RequestError(400, "The nextPageToken is invalid.")
    return offset


def _query_fingerprint(jql: str) -> str:
    return hashlib.sha256(jql.encode("utf-8")).hexdigest()[:16]


def _visible_issue(request: RestRequest, id_or_key: str) -> Issue:
    issue = request.data.issue(id_or_key)
    if issue is None or issue.project_key not in request.visible_projects:
        raise RequestError(404, _ISSUE_NOT_FOUND)
    return issue


def _property_target(request: RestRequest) -> tuple[str, str]:
    key = request.path_args["propertyKey"]
    if not 0 < len(key) <= 255:
        raise RequestError(400, "The property key must have 1 to 255 characters.")
    account_id = request.param("accountId")
    if not account_id:
        raise RequestError(400, "The accountId query parameter needs to be provided.")
    if request.data.user(account_id) is None:
        raise RequestError(404, "Specified user does not exist or you do not have permission.")
    caller = request.caller
    if caller.acting_as == "user" and caller.account_id != account_id:
        raise RequestError(403, "You may only access your own user properties.")
    return account_id, key


def _page(
    request: RestRequest, path: str, values: list[Any], start_at: int, max_results: int, total: int
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "self": f"{request.base_url}/rest/api/3/{path}?startAt={start_at}&maxResults={max_results}",
        "maxResults": max_results,
        "startAt": start_at,
        "total": total,
        "isLast": start_at + max_results >= total,
        "values": values,
    }
    if not body["isLast"]:
        next_start = start_at + max_results
        body["nextPage"] = (
            f"{request.base_url}/rest/api/3/{path}?startAt={next_start}&maxResults={max_results}"
        )
    return body


def _int(value: str | None, name: str, *, default: int, minimum: int) -> int:
    if value is None or value == "":
        return default
    parsed = _optional_int(value, name)
    assert parsed is not None
    if parsed < minimum:
        raise RequestError(400, f"The '{name}' parameter must be at least {minimum}.")
    return parsed


def _optional_int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as error:
        raise RequestError(400, f"The '{name}' parameter must be an integer.") from error
