"""A small add-on used only by the test suite: pages, context APIs and a public route.

It exercises the kit the way a real plugin does (hooks, ``connect_auth`` modes, host client) and
never ships with the package.
"""

from __future__ import annotations

from pyramid.response import Response

from atlassian_connect_kit import hookimpl

PAGE_KEY = "test-page"


class SampleAddon:
    """Registered by tests through ``extra_plugins``; records lifecycle notifications."""

    __name__ = "test_addon"

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        # What each notification carried: the callback's path, and the tenant's enabled flag.
        self.received: list[tuple[str, str | None, bool | None]] = []

    def _note(self, event, client_key, request, tenant=None):
        self.events.append((event, client_key))
        path = request.path if request is not None else None
        self.received.append((event, path, tenant.enabled if tenant is not None else None))

    @hookimpl
    def ack_descriptor_fragment(self, settings):
        return {
            "scopes": ["READ", "ACT_AS_USER"],
            "modules": {
                "generalPages": [
                    {"key": PAGE_KEY, "name": {"value": "Test page"}, "url": "/test/page"}
                ]
            },
        }

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("test.page", "/test/page")
        config.add_view(page, route_name="test.page", connect_auth="jwt")
        config.add_route("test.api", "/test/api/whoami")
        config.add_view(whoami, route_name="test.api", renderer="json", connect_auth="context")
        config.add_route("test.myself", "/test/api/myself")
        config.add_view(myself, route_name="test.myself", renderer="json", connect_auth="context")
        config.add_route("test.mine", "/test/api/mine")
        config.add_view(
            whoami,
            route_name="test.mine",
            renderer="json",
            connect_auth="context",
            connect_require_user="sign in to see yours",
        )
        config.add_route("test.members", "/test/members")
        config.add_view(
            page, route_name="test.members", connect_auth="jwt", connect_require_user=True
        )
        config.add_route("test.public", "/test/public")
        config.add_view(public, route_name="test.public", connect_auth="public")

    @hookimpl
    def ack_tenant_installed(self, tenant, request):
        self._note("installed", tenant.client_key, request, tenant)

    @hookimpl
    def ack_tenant_uninstalled(self, client_key, request):
        self._note("uninstalled", client_key, request)

    @hookimpl
    def ack_tenant_enabled(self, tenant, request):
        self._note("enabled", tenant.client_key, request, tenant)

    @hookimpl
    def ack_tenant_disabled(self, tenant, request):
        self._note("disabled", tenant.client_key, request, tenant)


def page(request):
    token = request.ack_context_token()
    user = request.identity.account_id
    body = f"<html><body data-user='{user}' data-token='{token}'>ok</body></html>"
    return Response(body, content_type="text/html")


def whoami(request):
    identity = request.identity
    return {
        "clientKey": identity.client_key,
        "accountId": identity.account_id,
        "mode": identity.mode,
        "userid": request.authenticated_userid,
    }


def myself(request):
    as_user = request.jira.get("/rest/api/3/myself")
    projects_as_user = request.jira.get("/rest/api/3/project/search")
    projects_as_app = request.jira_as_app.get("/rest/api/3/project/search")
    return {
        "accountId": as_user["accountId"],
        "userProjects": sorted(p["key"] for p in projects_as_user["values"]),
        "appProjects": sorted(p["key"] for p in projects_as_app["values"]),
    }


def public(request):
    return Response("public", content_type="text/plain")
