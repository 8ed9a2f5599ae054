"""JSON shapes of Jira Cloud REST v3 for the fake site's entities.

The shapes follow Jira's OpenAPI description closely enough for clients to parse them the way they
parse the real thing: string ids, ``self`` links, dates like ``2026-03-08T09:30:00.000-0500`` in the
caller's zone, comments as Atlassian Document Format, and ``timeZone`` left out of a user whose
zone is hidden.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote

from atlassian_connect_kit.testing.fakejira.jql import (
    AllOf,
    AnyOf,
    Clause,
    Condition,
    JqlQuery,
    Negation,
    encode_jql_value,
)
from atlassian_connect_kit.testing.fakejira.model import (
    EMBEDDED_WORKLOG_LIMIT,
    EPIC,
    SPRINT_FIELD,
    SUB_TASK,
    Issue,
    Project,
    SiteData,
    User,
    Worklog,
)

JsonObject = dict[str, Any]
"""A JSON object as Python sees it."""

WORKING_HOURS_PER_DAY = 8
"""Hours in a Jira working day; ``timeSpent`` counts days of this length."""

WORKING_DAYS_PER_WEEK = 5
"""Days in a Jira working week; ``timeSpent`` counts weeks of this length."""

SEARCH_FIELDS = frozenset(
    {
        "summary",
        "issuetype",
        "project",
        "parent",
        "worklog",
        "created",
        "updated",
        "components",
        "fixVersions",
        "labels",
    }
)
"""The issue fields the fake can return from search besides ``id`` and ``key``."""

_ISSUE_TYPE_IDS = {
    EPIC: "10000",
    "Story": "10001",
    "Task": "10002",
    "Bug": "10003",
    SUB_TASK: "10004",
}
_HIERARCHY_LEVELS = {EPIC: 1, SUB_TASK: -1}
_AVATAR_SIZES = ("16x16", "24x24", "32x32", "48x48")


def jira_datetime(moment: datetime, zone: tzinfo) -> str:
    """Format an instant the way Jira does, in ``zone``: ``2026-03-08T09:30:00.000-0500``."""
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}{local:%z}"


def pretty_duration(seconds: int) -> str:
    """Format seconds like Jira's ``timeSpent``: ``1w 2d 3h 20m`` with 8-hour days, 5-day weeks."""
    minutes = seconds // 60
    units = (
        ("w", 60 * WORKING_HOURS_PER_DAY * WORKING_DAYS_PER_WEEK),
        ("d", 60 * WORKING_HOURS_PER_DAY),
        ("h", 60),
        ("m", 1),
    )
    parts = []
    for suffix, size in units:
        amount, minutes = divmod(minutes, size)
        if amount:
            parts.append(f"{amount}{suffix}")
    return " ".join(parts) or "0m"


def adf_document(text: str) -> JsonObject:
    """Wrap plain text in an Atlassian Document Format document, one paragraph per line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        if line
        else {"type": "paragraph", "content": []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def user_reference(user: User, base_url: str) -> JsonObject:
    """The short user object Jira nests in worklogs (authors) and other entities."""
    body: JsonObject = {
        "self": f"{base_url}/rest/api/3/user?accountId={quote(user.account_id, safe='')}",
        "accountId": user.account_id,
        "displayName": user.display_name,
        "active": user.active,
        "accountType": "atlassian",
        "avatarUrls": _avatar_urls(f"{base_url}/secure/useravatar?ownerId={user.account_id}"),
    }
    if user.time_zone is not None:
        body["timeZone"] = user.time_zone
    return body


def user_details(user: User, base_url: str) -> JsonObject:
    """The full user object of ``/myself``, ``/user`` and ``/user/bulk``."""
    body = user_reference(user, base_url)
    body["emailAddress"] = user.email_address
    body["locale"] = user.locale
    return body


def project_json(project: Project, base_url: str) -> JsonObject:
    """A project as ``/project/search`` and the ``project`` issue field show it."""
    return {
        "self": f"{base_url}/rest/api/3/project/{project.id}",
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "projectTypeKey": "software",
        "simplified": False,
        "style": "classic",
        "isPrivate": False,
        "avatarUrls": _avatar_urls(f"{base_url}/secure/projectavatar?pid={project.id}"),
    }


def issue_type_json(name: str, base_url: str) -> JsonObject:
    """The ``issuetype`` field of an issue."""
    type_id = _ISSUE_TYPE_IDS[name]
    return {
        "self": f"{base_url}/rest/api/3/issuetype/{type_id}",
        "id": type_id,
        "name": name,
        "description": f"A {name.lower()}.",
        "subtask": name == SUB_TASK,
        "hierarchyLevel": _HIERARCHY_LEVELS.get(name, 0),
        "iconUrl": f"{base_url}/images/icons/issuetypes/{name.lower()}.svg",
    }


def fields_json(data: SiteData) -> list[JsonObject]:
    """``/rest/api/3/field``: the system fields a timesheet reads, the sprint field and the
    site's custom fields, as Jira describes them."""
    system = [
        ("summary", "Summary", "string"),
        ("issuetype", "Issue Type", "issuetype"),
        ("project", "Project", "project"),
        ("parent", "Parent", "issuelink"),
        ("components", "Components", "array"),
        ("fixVersions", "Fix versions", "array"),
        ("labels", "Labels", "array"),
        ("worklog", "Log Work", "array"),
    ]
    described: list[JsonObject] = [
        {
            "id": field_id,
            "key": field_id,
            "name": name,
            "custom": False,
            "navigable": True,
            "searchable": True,
            "clauseNames": [field_id],
            "schema": {"type": kind, "system": field_id},
        }
        for field_id, name, kind in system
    ]
    custom = [(SPRINT_FIELD, "com.pyxis.greenhopper.jira:gh-sprint", "array")] + [
        (field, "com.atlassian.jira.plugin.system.customfieldtypes:select", "option")
        for field in data.custom_fields
    ]
    for field, plugin, kind in custom:
        number = field.id.removeprefix("customfield_")
        described.append(
            {
                "id": field.id,
                "key": field.id,
                "name": field.name,
                "custom": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{number}]", field.name],
                "schema": {"type": kind, "custom": plugin, "customId": int(number)},
            }
        )
    return described


def worklog_json(worklog: Worklog, data: SiteData, base_url: str, zone: tzinfo) -> JsonObject:
    """A worklog as Jira v3 serves it; ``comment`` is absent when there is none."""
    author = data.user(worklog.author_account_id)
    updater = data.user(worklog.updated_by)
    # SiteData guarantees both users exist; the checks keep the type checker honest.
    assert author is not None and updater is not None
    body: JsonObject = {
        "self": f"{base_url}/rest/api/3/issue/{worklog.issue_id}/worklog/{worklog.id}",
        "author": user_reference(author, base_url),
        "updateAuthor": user_reference(updater, base_url),
        "created": jira_datetime(worklog.created_at, zone),
        "updated": jira_datetime(worklog.updated_at, zone),
        "started": jira_datetime(worklog.started, zone),
        "timeSpent": pretty_duration(worklog.time_spent_seconds),
        "timeSpentSeconds": worklog.time_spent_seconds,
        "id": worklog.id,
        "issueId": worklog.issue_id,
    }
    if worklog.comment is not None:
        body["comment"] = adf_document(worklog.comment)
    return body


def issue_json(
    issue: Issue, fields: frozenset[str], data: SiteData, base_url: str, zone: tzinfo
) -> JsonObject:
    """An issue as search returns it: ``id``, ``key``, ``self`` and the requested ``fields``.

    ``parent`` is left out of issues without one, as Jira does; the embedded ``worklog`` holds
    the first 20 worklogs by ``started`` with the real ``total``.
    """
    body: JsonObject = {
        "expand": "",
        "id": issue.id,
        "self": f"{base_url}/rest/api/3/issue/{issue.id}",
        "key": issue.key,
    }
    wanted = fields & SEARCH_FIELDS
    custom = {SPRINT_FIELD.id, *(field.id for field in data.custom_fields)} & fields
    if not wanted and not custom:
        return body
    values: JsonObject = {}
    if "summary" in wanted:
        values["summary"] = issue.summary
    if "issuetype" in wanted:
        values["issuetype"] = issue_type_json(issue.issue_type, base_url)
    if "project" in wanted:
        project = data.project(issue.project_key)
        assert project is not None
        values["project"] = project_json(project, base_url)
    if "parent" in wanted and issue.parent_key is not None:
        parent = data.issue(issue.parent_key)
        assert parent is not None
        values["parent"] = {
            "id": parent.id,
            "key": parent.key,
            "self": f"{base_url}/rest/api/3/issue/{parent.id}",
            "fields": {
                "summary": parent.summary,
                "issuetype": issue_type_json(parent.issue_type, base_url),
            },
        }
    if "created" in wanted:
        values["created"] = jira_datetime(issue.created, zone)
    if "updated" in wanted:
        values["updated"] = jira_datetime(issue.updated, zone)
    if "components" in wanted:
        values["components"] = [
            {
                "self": f"{base_url}/rest/api/3/component/{_name_id(name)}",
                "id": _name_id(name),
                "name": name,
            }
            for name in issue.components
        ]
    if "fixVersions" in wanted:
        values["fixVersions"] = [
            {
                "self": f"{base_url}/rest/api/3/version/{_name_id(name)}",
                "id": _name_id(name),
                "name": name,
                "archived": False,
                "released": False,
            }
            for name in issue.fix_versions
        ]
    if "labels" in wanted:
        values["labels"] = list(issue.labels)
    if SPRINT_FIELD.id in fields:
        values[SPRINT_FIELD.id] = [
            {"id": int(_name_id(name)), "name": name, "state": "active", "boardId": 1}
            for name in issue.sprints
        ] or None
    for field in data.custom_fields:
        if field.id in fields:
            options = [
                {
                    "self": f"{base_url}/rest/api/3/customFieldOption/{_name_id(value)}",
                    "value": value,
                    "id": _name_id(value),
                }
                for field_id, value in issue.custom_values
                if field_id == field.id
            ]
            values[field.id] = options or None
    if "worklog" in wanted:
        logs = data.worklogs_of(issue.id)
        values["worklog"] = {
            "startAt": 0,
            "maxResults": EMBEDDED_WORKLOG_LIMIT,
            "total": len(logs),
            "worklogs": [
                worklog_json(log, data, base_url, zone) for log in logs[:EMBEDDED_WORKLOG_LIMIT]
            ],
        }
    body["fields"] = values
    return body


def _name_id(name: str) -> str:
    # A stable numeric id for an entity the fake knows by name (component, version, sprint).
    return str(10000 + int.from_bytes(name.encode("utf-8")[:6].ljust(6, b"\0"), "big") % 90000)


def _avatar_urls(base: str) -> dict[str, str]:
    separator = "&" if "?" in base else "?"
    return {size: f"{base}{separator}size={size.split('x')[0]}" for size in _AVATAR_SIZES}


def jql_structure_json(query: JqlQuery) -> JsonObject:
    """A parsed query as ``/jql/parse`` describes it: ``where`` clauses and ``orderBy`` fields."""
    structure: JsonObject = {}
    if query.where is not None:
        structure["where"] = _condition_json(query.where)
    if query.order_by:
        structure["orderBy"] = {
            "fields": [
                {
                    "field": {"name": key.field, "encodedName": key.field},
                    "direction": "desc" if key.descending else "asc",
                }
                for key in query.order_by
            ]
        }
    return structure


def _condition_json(condition: Condition) -> JsonObject:
    if isinstance(condition, AllOf | AnyOf):
        operator = "and" if isinstance(condition, AllOf) else "or"
        return {
            "clauses": [_condition_json(part) for part in condition.parts],
            "operator": operator,
        }
    if isinstance(condition, Negation):
        return {"clauses": [_condition_json(condition.part)], "operator": "not"}
    return {
        "field": {"name": condition.field, "encodedName": condition.field},
        "operator": condition.operator,
        "operand": _operand_json(condition),
    }


def _operand_json(clause: Clause) -> JsonObject:
    if not clause.values:
        return {"keyword": "empty"}
    values = [{"value": value, "encodedValue": encode_jql_value(value)} for value in clause.values]
    if clause.operator in ("in", "not in"):
        encoded = ", ".join(value["encodedValue"] for value in values)
        return {"values": values, "encodedOperand": f"({encoded})"}
    return values[0]
