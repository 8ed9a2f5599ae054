"""The core is configured first, in a fixed order; then the add-ons, which may replace it.

An add-on's ``ack_configure`` runs after the core's parts are included and committed: it finds
the core's services already there, and a route, view or service it registers under the core's
name replaces the core's rather than conflicting with it.
"""

from __future__ import annotations

import pluggy
import pytest
from webtest import TestApp

from atlassian_connect_kit import (
    ITenantStore,
    KitRequest,
    Settings,
    find_service,
    get_plugin_manager,
    get_settings,
    hookimpl,
)
from atlassian_connect_kit.config import make_app
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY


def _settings(tmp_path):
    return {
        **TEST_APP_IDENTITY,
        "ack.base_url": "http://127.0.0.1:9",
        "ack.dev_mode": "true",
        "ack.encryption_keys": generate_key_line(),
        "sqlalchemy.url": f"sqlite:///{tmp_path / 'ack.sqlite'}",
        "here": str(tmp_path),
    }


class CountingStore:
    """Wraps the core's tenant store and counts the lookups."""

    def __init__(self, inner):
        self.inner = inner
        self.lookups = []

    def get(self, client_key, *, fresh=False):
        self.lookups.append(client_key)
        return self.inner.get(client_key, fresh=fresh)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class OverridingAddon:
    """Replaces the core's descriptor view and tenant store from its ``ack_configure``."""

    __name__ = "overriding_addon"

    def __init__(self):
        self.seen_core_store = None
        self.store = None

    @hookimpl
    def ack_configure(self, config, settings):
        # The core's services are there already: the add-on runs after the core.
        core_store = find_service(config, ITenantStore)
        self.seen_core_store = core_store
        self.store = CountingStore(core_store)
        config.register_service(self.store, ITenantStore)
        config.add_route("ack.descriptor", "/atlassian-connect.json", request_method="GET")
        config.add_view(
            lambda request: {"descriptor": "the add-on's"},
            route_name="ack.descriptor",
            renderer="json",
            connect_auth="public",
        )


def test_an_addon_replaces_a_core_route_view_and_service(tmp_path):
    addon = OverridingAddon()
    app = make_app(_settings(tmp_path), extra_plugins=[addon])
    client = TestApp(app)

    assert client.get("/atlassian-connect.json").json == {"descriptor": "the add-on's"}
    assert addon.seen_core_store is not None
    assert find_service(app.registry, ITenantStore) is addon.store
    # The kit's own lifecycle now asks the add-on's store (for a tenant it does not know).
    token = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqaXJhOm5vYm9keSJ9.c2ln"
    refused = client.post("/enabled", headers={"Authorization": f"JWT {token}"}, status=401)
    assert refused.json == {"error": "unknown tenant"}
    assert addon.store.lookups == ["jira:nobody"]


def test_without_an_addon_the_core_serves_its_own_descriptor(tmp_path):
    app = make_app(_settings(tmp_path))
    descriptor = TestApp(app).get("/atlassian-connect.json").json
    assert descriptor["baseUrl"] == "http://127.0.0.1:9"


def test_the_core_services_and_the_request_class_are_in_place(tmp_path):
    app = make_app(_settings(tmp_path))
    assert isinstance(get_settings(app.registry), Settings)
    assert isinstance(get_plugin_manager(app.registry), pluggy.PluginManager)
    seen = []

    class Probe:
        __name__ = "probe"

        @hookimpl
        def ack_configure(self, config, settings):
            config.add_route("probe", "/probe")
            config.add_view(self.view, route_name="probe", renderer="json", connect_auth="public")

        def view(self, request):
            seen.append(request)
            return {"store": type(find_service(request, ITenantStore)).__name__}

    probed = make_app(_settings(tmp_path), extra_plugins=[Probe()])
    assert TestApp(probed).get("/probe").json == {"store": "TenantStore"}
    assert isinstance(seen[0], KitRequest)


def test_the_old_settings_accessor_still_works_and_warns(tmp_path):
    app = make_app(_settings(tmp_path))
    from atlassian_connect_kit import config

    with pytest.warns(DeprecationWarning, match="from atlassian_connect_kit import get_settings"):
        old = config.get_settings
    assert old(app.registry) is get_settings(app.registry)


def test_a_service_registered_as_a_factory_is_built_per_request(tmp_path):
    built = []

    class PerRequestThing:
        def __init__(self, request):
            self.request = request

    class FactoryAddon:
        __name__ = "factory_addon"

        @hookimpl
        def ack_configure(self, config, settings):
            def factory(context, request):
                built.append(request)
                return PerRequestThing(request)

            config.register_service_factory(factory, PerRequestThing)
            config.add_route("thing", "/thing")
            config.add_view(self.view, route_name="thing", renderer="json", connect_auth="public")

        def view(self, request):
            thing = find_service(request, PerRequestThing)
            assert find_service(request, PerRequestThing) is thing
            return {"same_request": thing.request is request}

    client = TestApp(make_app(_settings(tmp_path), extra_plugins=[FactoryAddon()]))
    assert client.get("/thing").json == {"same_request": True}
    assert client.get("/thing").json == {"same_request": True}
    assert len(built) == 2
