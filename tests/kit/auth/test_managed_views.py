"""The connect_auth rule covers the kit's and plugins' views; a host app's views stay its own."""

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.security import Allowed, Denied, forget, remember
from pyramid.traversal import DefaultRootFactory
from webtest import TestApp

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.auth.policy import ConnectSecurityPolicy
from atlassian_connect_kit.auth.tokens import mint_context_token
from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.host.errors import SignInRequired
from atlassian_connect_kit.storage.service import get_tenant_store
from atlassian_connect_kit.storage.store import InstallPayload
from tests.kit.dev_settings import dev_settings

STATIC = "tests.kit.auth:static_files"


@pytest.fixture
def settings(tmp_path):
    return dev_settings(tmp_path)


class StaticAssets:
    """A plugin serving its CSS the documented way, and one page."""

    __name__ = "static_assets"

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_static_view("assets", STATIC)
        config.add_route("styled", "/styled")
        config.add_view(
            lambda request: {"css": request.static_url(STATIC + "/app.css")},
            route_name="styled",
            renderer="json",
            connect_auth="jwt",
        )
        config.add_route("styled.who", "/styled/who")
        config.add_view(
            lambda request: {
                "user": request.authenticated_userid,
                "may_administer": bool(request.has_permission("admin")),
            },
            route_name="styled.who",
            renderer="json",
            connect_auth="context",
        )


class CarelessPlugin:
    __name__ = "careless_plugin"

    @hookimpl
    def ack_configure(self, config, settings):
        config.add_route("careless", "/careless")
        config.add_view(lambda request: {}, route_name="careless", renderer="json")


class IncludingPlugin:
    """A plugin adding its views through config.include: they are the plugin's all the same."""

    __name__ = "including_plugin"

    @hookimpl
    def ack_configure(self, config, settings):
        config.include(_careless_include)


def _careless_include(config):
    config.add_route("included", "/included")
    config.add_view(lambda request: {}, route_name="included", renderer="json")


def test_a_plugins_static_view_is_public_without_declaring_anything(settings):
    app = TestApp(make_app(settings, extra_plugins=[StaticAssets()]))
    response = app.get("/assets/app.css", status=200)
    assert response.text == "body { color: #172b4d; }\n"
    assert response.content_type == "text/css"
    app.get("/assets/missing.css", status=404)
    # The plugin's page beside it still requires Jira's signature.
    assert app.get("/styled", status=401).json == {"error": "authentication required"}


class ModeStamp:
    """A plugin deriver placed beneath the kit's authentication, as docs/plugins.md says."""

    __name__ = "mode_stamp"

    @hookimpl
    def ack_configure(self, config, settings):
        def stamp(view, info):
            def stamped(context, request):
                response = view(context, request)
                response.headers["X-Auth-Mode"] = request.ack_auth_mode
                return response

            return stamped

        config.add_view_deriver(stamp, name="mode_stamp", under="connect_auth")
        for name, path, mode in (
            ("stamped", "/stamped", "public"),
            ("stamped.page", "/stamped/page", "jwt"),
        ):
            config.add_route(name, path)
            config.add_view(_stamped, route_name=name, renderer="json", connect_auth=mode)


def _stamped(request):
    return {"stamped": True}


def test_a_plugin_deriver_beneath_connect_auth_sees_the_authenticated_request(settings):
    app = TestApp(make_app(settings, extra_plugins=[ModeStamp()]))
    assert app.get("/stamped", status=200).headers["X-Auth-Mode"] == "public"
    # Refused by the kit before the plugin's deriver runs: no stamp.
    assert "X-Auth-Mode" not in app.get("/stamped/page", status=401).headers


@pytest.mark.parametrize("plugin", [CarelessPlugin(), IncludingPlugin()])
def test_a_plugin_view_without_connect_auth_still_fails_start_up(settings, plugin):
    with pytest.raises(ConfigurationError, match="must declare connect_auth"):
        make_app(settings, extra_plugins=[plugin])


def _host_app(settings, *, own_policy=None, opt_in=False):
    """An existing Pyramid app that includes the kit and keeps views of its own."""
    merged = {**settings, "ack.extra_plugins": (StaticAssets(),)}
    if opt_in:
        merged["ack.connect_auth_all_views"] = "true"
    with Configurator(settings=merged) as config:
        config.include("atlassian_connect_kit")
        config.add_route("home", "/")
        config.add_view(lambda request: {"home": True}, route_name="home", renderer="json")
        config.add_route("whoami", "/whoami")
        config.add_view(
            lambda request: {"user": request.authenticated_userid},
            route_name="whoami",
            renderer="json",
        )
        config.add_route("identity", "/identity")
        config.add_view(
            lambda request: {"identity": request.identity},
            route_name="identity",
            renderer="json",
        )
        config.add_route("admin", "/admin")
        config.add_view(
            lambda request: {"admin": True},
            route_name="admin",
            renderer="json",
            permission="admin",
        )
        config.add_route("login", "/login")
        config.add_view(
            lambda request: {"headers": remember(request, "ada", max_age=60)},
            route_name="login",
            renderer="json",
        )
        config.add_route("members", "/members")
        config.add_view(_members_only, route_name="members", renderer="json")
        config.add_route("logout", "/logout")
        config.add_view(
            lambda request: {"headers": forget(request, reason="done")},
            route_name="logout",
            renderer="json",
        )
        if own_policy is not None:
            config.set_security_policy(ConnectSecurityPolicy(fallback=own_policy))
    return TestApp(config.make_wsgi_app())


def _members_only(request):
    # A host view may refuse a visitor the way the kit's views do.
    raise SignInRequired("sign in to see the members")


class HeaderPolicy:
    """The host's own policy: the user named by a header; only 'root' may administer."""

    def __init__(self):
        self.asked = []

    def identity(self, request):
        return request.headers.get("X-User")

    def authenticated_userid(self, request):
        return self.identity(request)

    def permits(self, request, context, permission):
        self.asked.append((request.path, type(context), permission))
        if request.headers.get("X-User") == "root":
            return Allowed("root")
        return Denied("not root")

    def remember(self, request, userid, **kw):
        return [("X-Remembered", f"{userid} at {request.path} {kw}")]

    def forget(self, request, **kw):
        return [("X-Forgotten", f"at {request.path} {kw}")]


def test_including_the_kit_leaves_the_host_apps_own_views_alone(settings):
    app = _host_app(settings)
    assert app.get("/", status=200).json == {"home": True}
    assert app.get("/whoami", status=200).json == {"user": None}
    # The kit's own views beside them are served and guarded as usual.
    assert app.get("/atlassian-connect.json", status=200).json["key"] == "add-on-under-test"


def test_a_host_app_opts_in_to_the_rule_for_all_its_views(settings):
    with pytest.raises(ConfigurationError, match="must declare connect_auth"):
        _host_app(settings, opt_in=True)


def test_the_host_apps_own_security_policy_answers_for_its_views(settings):
    app = _host_app(settings, own_policy=HeaderPolicy())
    assert app.get("/whoami", headers={"X-User": "ada"}).json == {"user": "ada"}
    assert app.get("/identity", headers={"X-User": "ada"}).json == {"identity": "ada"}
    assert app.get("/admin", headers={"X-User": "root"}, status=200).json == {"admin": True}
    app.get("/admin", headers={"X-User": "ada"}, status=(401, 403))
    # A plugin's page still authenticates by its connect_auth mode, whatever the host's says.
    assert app.get("/styled", headers={"X-User": "root"}, status=401).json == {
        "error": "authentication required"
    }


def test_the_host_apps_policy_is_asked_with_the_request_context_and_permission(settings):
    policy = HeaderPolicy()
    app = _host_app(settings, own_policy=policy)
    app.get("/admin", headers={"X-User": "root"}, status=200)
    assert policy.asked == [("/admin", DefaultRootFactory, "admin")]


def test_the_host_apps_policy_remembers_and_forgets_its_users(settings):
    app = _host_app(settings, own_policy=HeaderPolicy())
    assert app.get("/login", status=200).json == {
        "headers": [["X-Remembered", "ada at /login {'max_age': 60}"]]
    }
    assert app.get("/logout", status=200).json == {
        "headers": [["X-Forgotten", "at /logout {'reason': 'done'}"]]
    }


def test_without_a_host_policy_nothing_is_remembered_or_forgotten(settings):
    # Connect authenticates every request by its token: there is no session to keep.
    app = _host_app(settings)
    assert app.get("/login", status=200).json == {"headers": []}
    assert app.get("/logout", status=200).json == {"headers": []}


def test_a_host_view_refusing_a_visitor_gets_the_kit_s_401(settings):
    app = _host_app(settings)
    assert app.get("/members", status=401).json == {"error": "sign in to see the members"}


def test_in_a_host_app_a_kit_view_s_user_and_permissions_are_the_kit_s(settings):
    app = _host_app(settings, own_policy=HeaderPolicy())
    store = get_tenant_store(app.app.registry)
    store.save_install(
        InstallPayload("host-site", "https://host-site.atlassian.net", "s" * 32, None, None)
    )
    token = mint_context_token(
        client_key="host-site", shared_secret="s" * 32, account_id="557058:connect-user"
    )
    # The host's policy knows another user and would deny "admin" to anyone but root: a kit
    # view answers for the Connect viewer, guarded by its connect_auth mode alone.
    found = app.get(
        "/styled/who",
        headers={"Authorization": f"JWT {token}", "X-User": "someone-else"},
        status=200,
    ).json
    assert found == {"user": "557058:connect-user", "may_administer": True}


def test_host_policy_is_not_asked_about_kit_views(settings):
    class Exploding(HeaderPolicy):
        def identity(self, request):
            raise AssertionError("asked about a kit view")

    app = _host_app(settings, own_policy=Exploding())
    assert app.get("/atlassian-connect.json", status=200).json["key"] == "add-on-under-test"
    assert app.get("/styled", status=401).json == {"error": "authentication required"}
    assert app.get("/assets/app.css", status=200).content_type == "text/css"


def test_the_kits_own_views_are_covered_by_the_rule_in_a_host_app(settings):
    # The core's parts add their views in their includeme, not through ack_configure: they
    # must be managed all the same, or a core view could slip through unauthenticated.
    with Configurator(settings={**settings, "ack.extra_plugins": (StaticAssets(),)}) as config:
        config.include("atlassian_connect_kit")
        config.add_route("home", "/")
        config.add_view(lambda request: {"home": True}, route_name="home", renderer="json")
    managed = {}
    for item in config.registry.introspector.get_category("views"):
        view = item["introspectable"]
        if view["route_name"]:
            managed[view["route_name"]] = bool(view.get("connect_managed"))
    assert managed.pop("home") is False
    assert {"ack.descriptor", "ack.lifecycle.installed", "ack.forge.lifecycle", "styled"} <= set(
        managed
    )
    assert [name for name, is_managed in managed.items() if not is_managed] == []


def test_a_host_app_mounts_the_kit_and_its_plugins_under_a_route_prefix(settings):
    merged = {
        **settings,
        "ack.base_url": "http://localhost:6543/connect",
        "ack.extra_plugins": (StaticAssets(),),
    }
    with Configurator(settings=merged) as config:
        config.include("atlassian_connect_kit", route_prefix="/connect")
        config.add_route("home", "/")
        config.add_view(lambda request: {"home": True}, route_name="home", renderer="json")
    app = TestApp(config.make_wsgi_app())

    descriptor = app.get("/connect/atlassian-connect.json", status=200).json
    assert descriptor["baseUrl"] == "http://localhost:6543/connect"
    # The plugin's page and the kit's lifecycle callbacks live under the prefix too, guarded.
    assert app.get("/connect/styled", status=401).json == {"error": "authentication required"}
    app.post("/connect/installed", status=401)
    for path in ("/atlassian-connect.json", "/styled"):
        app.get(path, status=404)
    app.post("/installed", status=404)
    assert app.get("/", status=200).json == {"home": True}
