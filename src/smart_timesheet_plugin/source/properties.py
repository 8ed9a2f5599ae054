"""Saved reports' storage in Jira: a user property (as the viewer) and an app property (as the
app), and the permission check that guards shared reports.

Nothing here decides who may do what beyond asking Jira: the viewer's property is written with
the viewer's own client, so Jira only lets them write their own; the app property is written
with the app's client, and only after :func:`is_jira_admin` or the report's creator says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atlassian_connect_kit import JiraClient, JiraNotFound


def _user_path(key: str) -> str:
    return f"/rest/api/3/user/properties/{key}"


def _app_path(app_key: str, key: str) -> str:
    return f"/rest/atlassian-connect/1/addons/{app_key}/properties/{key}"


def _value(answer: object) -> object:
    return answer.get("value") if isinstance(answer, Mapping) else None


def read_user_property(client: JiraClient, account_id: str, key: str) -> object:
    """A user property's value, ``None`` when it is not set."""
    try:
        return _value(client.get(_user_path(key), params={"accountId": account_id}))
    except JiraNotFound:
        return None


def write_user_property(client: JiraClient, account_id: str, key: str, value: Any) -> None:
    """Set a user property (Jira lets a user write only their own)."""
    client.put(_user_path(key), params={"accountId": account_id}, json=value)


def read_app_property(client: JiraClient, app_key: str, key: str) -> object:
    """An app property's value, ``None`` when it is not set."""
    try:
        return _value(client.get(_app_path(app_key, key)))
    except JiraNotFound:
        return None


def write_app_property(client: JiraClient, app_key: str, key: str, value: Any) -> None:
    """Set an app property; ``client`` must act as the app."""
    client.put(_app_path(app_key, key), json=value)


def is_jira_admin(client: JiraClient) -> bool:
    """Whether the client's user holds Jira's Administer Jira permission, as Jira says."""
    answer = client.get("/rest/api/3/mypermissions", params={"permissions": "ADMINISTER"})
    permissions = answer.get("permissions") if isinstance(answer, Mapping) else None
    admin = permissions.get("ADMINISTER") if isinstance(permissions, Mapping) else None
    return isinstance(admin, Mapping) and admin.get("havePermission") is True


def _item_path(dashboard_id: str, item_id: str, key: str) -> str:
    return f"/rest/api/3/dashboard/{dashboard_id}/items/{item_id}/properties/{key}"


def read_dashboard_item_property(
    client: JiraClient, dashboard_id: str, item_id: str, key: str
) -> object:
    """A dashboard item property's value, ``None`` when it is not set.

    Jira answers 404 alike for a missing property and a dashboard the client may not view; the
    latter surfaces when the property is written.
    """
    try:
        return _value(client.get(_item_path(dashboard_id, item_id, key)))
    except JiraNotFound:
        return None


def write_dashboard_item_property(
    client: JiraClient, dashboard_id: str, item_id: str, key: str, value: Any
) -> None:
    """Set a dashboard item property (Jira lets only the dashboard's editors do so)."""
    client.put(_item_path(dashboard_id, item_id, key), json=value)
