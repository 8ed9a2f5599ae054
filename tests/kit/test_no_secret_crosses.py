"""No secret crosses the wall between the kit and its plugins.

A recording plugin takes part in a signed install, enable, disable and uninstall over HTTP
through the fake Jira site, and calls Jira from a view through ``request.jira`` and
``request.jira_as_app``. Every hook call of the whole run is watched (pluggy's hook-call
monitoring), and every argument handed to a hook (the ``request`` and ``config`` themselves
aside: they are the framework's, and reach the app's own services), as well as every public
attribute reachable from the host clients, is searched for the shared secret and the OAuth
client id the site issued.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest
import requests

from atlassian_connect_kit import TenantView, get_plugin_manager, hookimpl

FRAMEWORK_ARGUMENTS = ("request", "config", "subparsers")


def reachable_secrets(value: Any, secrets: tuple[str, ...], *, depth: int = 6) -> list[str]:
    """Paths (``.attribute``, ``[key]``) from ``value`` to a text holding one of ``secrets``.

    Walks containers, dataclass fields, instance attributes and properties whose names do not
    start with ``_``; methods, classes and modules are not entered.
    """
    found: list[str] = []
    seen: set[int] = set()

    def walk(item: Any, path: str, level: int) -> None:
        if isinstance(item, str | bytes):
            text = item.decode("utf-8", "replace") if isinstance(item, bytes) else item
            if any(secret in text for secret in secrets):
                found.append(path or "<value>")
            return
        if item is None or isinstance(item, int | float | bool | enum.Enum) or level > depth:
            return
        if isinstance(item, ModuleType | type) or inspect.isroutine(item) or id(item) in seen:
            return
        seen.add(id(item))
        if isinstance(item, Mapping):
            for key, child in item.items():
                walk(key, f"{path}[key]", level + 1)
                walk(child, f"{path}[{key!r}]", level + 1)
            return
        if isinstance(item, list | tuple | set | frozenset):
            for index, child in enumerate(item):
                walk(child, f"{path}[{index}]", level + 1)
            return
        names = (
            {f.name for f in dataclasses.fields(item)} if dataclasses.is_dataclass(item) else set()
        )
        names |= {name for name in getattr(item, "__dict__", {}) if not name.startswith("_")}
        names |= {
            name
            for name, member in inspect.getmembers(type(item))
            if isinstance(member, property) and not name.startswith("_")
        }
        for name in sorted(names):
            try:
                child = getattr(item, name)
            except Exception:  # a property that cannot answer here holds nothing to find
                continue
            walk(child, f"{path}.{name}", level + 1)

    walk(value, "", 0)
    return found


class RecordingPlugin:
    """Records what its hooks receive, and the host clients a view is handed."""

    __name__ = "recording_plugin"

    def __init__(self) -> None:
        self.tenants: list[tuple[str, Any]] = []
        self.clients: list[Any] = []

    @hookimpl
    def ack_descriptor_fragment(self, settings):
        return {"scopes": ["READ", "ACT_AS_USER"]}

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("recording.clients", "/recording/clients")
        config.add_view(
            self.clients_view,
            route_name="recording.clients",
            renderer="json",
            connect_auth="context",
        )

    def clients_view(self, request):
        self.clients.extend([request.jira, request.jira_as_app])
        request.jira.get("/rest/api/3/myself")
        request.jira_as_app.get("/rest/api/3/myself")
        return {"ok": True}

    @hookimpl
    def ack_tenant_installed(self, tenant, request):
        self.tenants.append(("installed", tenant))

    @hookimpl
    def ack_tenant_enabled(self, tenant, request):
        self.tenants.append(("enabled", tenant))

    @hookimpl
    def ack_tenant_disabled(self, tenant, request):
        self.tenants.append(("disabled", tenant))

    @hookimpl
    def ack_tenant_uninstalled(self, client_key, request):
        self.tenants.append(("uninstalled", client_key))


@pytest.fixture
def recorder():
    return RecordingPlugin()


@pytest.fixture
def ack_extra_plugins(recorder):
    return [recorder]


def test_no_hook_argument_and_no_host_client_attribute_holds_a_secret(
    fake_jira, ack_server, recorder
):
    handed: list[tuple[str, str, Any]] = []

    def before(hook_name, hook_impls, kwargs):
        for name, value in kwargs.items():
            if name not in FRAMEWORK_ARGUMENTS:
                handed.append((hook_name, name, value))

    undo = get_plugin_manager(ack_server.app.registry).add_hookcall_monitoring(
        before, lambda outcome, hook_name, hook_impls, kwargs: None
    )
    try:
        app = fake_jira.install(ack_server.base_url)
        assert app.install_status == 204
        assert fake_jira.enable(app) == 204
        viewer = next(user for user in fake_jira.data.users if user.active)
        token = fake_jira.context_token(app, viewer.account_id)
        response = requests.get(
            f"{ack_server.base_url}/recording/clients",
            headers={"Authorization": f"JWT {token}"},
            timeout=30,
        )
        assert response.status_code == 200
        assert fake_jira.disable(app) == 204
        assert fake_jira.uninstall(app) == 204
    finally:
        undo()

    secrets = (app.shared_secret, app.oauth_client_id)
    # The run went through every lifecycle hook and both clients, and the search can see them.
    assert [event for event, _ in recorder.tenants] == [
        "installed",
        "enabled",
        "disabled",
        "uninstalled",
    ]
    assert {hook for hook, _, _ in handed} >= {
        "ack_tenant_installed",
        "ack_tenant_enabled",
        "ack_tenant_disabled",
        "ack_tenant_uninstalled",
        "ack_authenticate",
        "ack_host_client",
    }
    assert len(recorder.clients) == 2
    for client in recorder.clients:
        assert client.client_key == app.client_key
    leaks = [
        f"{hook}({name}=...){path}"
        for hook, name, value in handed
        for path in reachable_secrets(value, secrets)
    ]
    leaks += [
        f"request.jira{path}"
        for client in recorder.clients
        for path in reachable_secrets(client, secrets)
    ]
    assert leaks == []
    assert all(isinstance(tenant, TenantView) for _, tenant in recorder.tenants[:3])


def test_the_search_finds_a_secret_where_one_is_reachable(fake_jira, ack_server, recorder):
    """The search itself can fail: a tenant record, or a client with public credentials."""
    from atlassian_connect_kit.host.client import HostClient, HostConfig, TenantCredentials

    record_like = {"tenant": {"client_key": "jira:1", "shared_secret": "s3cret-value"}}
    assert reachable_secrets(record_like, ("s3cret-value",)) == ["['tenant']['shared_secret']"]
    credentials = TenantCredentials("jira:1", "https://example.atlassian.net", "s3cret-value")
    client = HostClient.as_app(credentials, HostConfig(app_key="app"))
    assert reachable_secrets(client, ("s3cret-value",)) == []
    client.credentials = credentials  # what HostClient had before its credentials went private
    assert reachable_secrets(client, ("s3cret-value",)) == [".credentials.shared_secret"]
