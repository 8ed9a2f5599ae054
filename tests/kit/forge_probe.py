"""A small add-on for the Forge tests: views that opt in to Forge, and a record of lifecycle hooks.

Registered through ``ack_extra_plugins``; never ships with the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyramid.response import Response

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.host import JiraError


def whoami(request: Any) -> dict[str, Any]:
    """Who the kit says the request comes from."""
    identity = request.identity
    forge = getattr(identity, "invocation", None)
    return {
        "client_key": identity.client_key,
        "account_id": identity.account_id,
        "base_url": identity.base_url,
        "mode": identity.mode,
        "linked": getattr(identity, "linked", None),
        "installation_id": forge.installation_id if forge is not None else None,
        "license_active": forge.license.active if forge and forge.license else None,
    }


def where(request: Any) -> dict[str, Any]:
    """The context the kit says the request was made in (a Forge module's, a Connect page's)."""
    return {"context": _plain(request.identity.context)}


def _plain(value: Any) -> Any:
    # A Forge context is read-only all the way down (mapping proxies): JSON wants dicts.
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def myself(request: Any) -> dict[str, Any]:
    """Jira's answer to ``/myself`` as the viewer."""
    return {"accountId": request.jira.get("/rest/api/3/myself")["accountId"]}


def projects_as_app(request: Any) -> Any:
    """The projects the app itself sees (system token), or Jira's refusal's status."""
    try:
        found = request.jira_as_app.get("/rest/api/3/project/search")
    except JiraError as error:
        return Response(json_body={"jira_status": error.status}, status=502)
    return sorted(project["key"] for project in found["values"])


class ForgeProbe:
    """Views under ``/probe/`` and a record of the tenant hooks it heard."""

    __name__ = "forge_probe"

    def __init__(self) -> None:
        self.heard: list[tuple[str, str, str | None]] = []

    @hookimpl
    def ack_descriptor_fragment(self, settings: Any) -> dict[str, Any]:
        return {"scopes": ["READ", "ACT_AS_USER"]}

    @hookimpl
    def ack_configure(self, config: Any, settings: Any) -> None:
        for name, view, mode in (
            ("whoami", whoami, "context+forge"),
            ("where", where, "context+forge"),
            ("myself", myself, "context+forge"),
            ("projects", projects_as_app, "context+forge"),
            ("connect-only", whoami, "context"),
        ):
            config.add_route(f"probe.{name}", f"/probe/{name}")
            config.add_view(view, route_name=f"probe.{name}", renderer="json", connect_auth=mode)

    @hookimpl
    def ack_tenant_forge_installed(
        self, installation_id: str, cloud_id: str, event: str | None, request: Any
    ) -> None:
        self.heard.append(("forge_installed", installation_id, event))

    @hookimpl
    def ack_tenant_installed(self, tenant: Any, request: Any) -> None:
        self.heard.append(("installed", tenant.client_key, tenant.installation_id))

    @hookimpl
    def ack_tenant_uninstalled(self, client_key: str, request: Any) -> None:
        self.heard.append(("uninstalled", client_key, None))
