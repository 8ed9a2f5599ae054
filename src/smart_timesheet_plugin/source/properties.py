"""Storage in Jira itself: user properties (as the viewer), app properties (as the app), and
the permission check that guards what the app writes for a viewer.

Nothing here decides who may do what beyond asking Jira: the viewer's property is written with
the viewer's own client, so Jira only lets them write their own; an app property is written
with the app's client, and only after :func:`is_jira_admin` or the caller's own rule says so.

Where the app's properties live depends on how the request reached the app, and
:func:`app_properties` is the one place that chooses: a Connect request uses Connect's add-on
properties (``/rest/atlassian-connect/1/addons/{appKey}/properties/{key}``) with the app's JWT,
a Forge invocation Forge's app properties (``/rest/forge/1/app/properties/{key}``) with the app
system token Forge sent. Both hold one JSON value of at most 32 KB per key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from atlassian_connect_kit import JiraClient, JiraNotFound, get_settings, is_forge_request

if TYPE_CHECKING:
    from pyramid.request import Request

FORGE_APP_PROPERTIES: Final = "/rest/forge/1/app/properties"
"""Forge's app-properties API; only the app itself (the app system token) may call it."""


def _user_path(key: str) -> str:
    return f"/rest/api/3/user/properties/{key}"


def _connect_app_properties(app_key: str) -> str:
    return f"/rest/atlassian-connect/1/addons/{app_key}/properties"


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


@dataclass(frozen=True, slots=True)
class AppProperties:
    """The app's properties on one site: where they live and the client that acts as the app.

    ``base`` is the properties' collection path (Connect's add-on properties or Forge's app
    properties); ``client`` must act as the app, never as a user.
    """

    client: JiraClient
    base: str

    def read(self, key: str) -> object:
        """A property's value, ``None`` when it is not set."""
        try:
            return _value(self.client.get(f"{self.base}/{key}"))
        except JiraNotFound:
            return None

    def write(self, key: str, value: Any) -> None:
        """Set a property (Jira refuses a value over 32 KB with a 400)."""
        self.client.put(f"{self.base}/{key}", json=value)


def connect_app_properties(client: JiraClient, app_key: str) -> AppProperties:
    """A Connect app's add-on properties, written with its JWT (``client`` acts as the app)."""
    return AppProperties(client, _connect_app_properties(app_key))


def forge_app_properties(client: JiraClient) -> AppProperties:
    """A Forge app's properties, written with the app system token (``client`` acts as the app).

    Jira answers 403 to any other caller, a user's token included.
    """
    return AppProperties(client, FORGE_APP_PROPERTIES)


def app_properties(request: Request) -> AppProperties:
    """The app's properties for ``request``, as the app: Forge's for a Forge invocation (the
    system token it carries), Connect's add-on properties under ``ack.app_key`` otherwise.

    Asking for them is not a permission: the caller decides first whether the viewer may have
    the app write on their behalf.
    """
    client: JiraClient = request.jira_as_app
    if is_forge_request(request):
        return forge_app_properties(client)
    return connect_app_properties(client, get_settings(request).app_key)


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
