"""The application factory: one ordered configure step, the core first, then the add-ons.

The core's parts are configured by their ``includeme``, in the fixed order of
:func:`includeme`; each registers its services (see :mod:`atlassian_connect_kit.services`) and
its routes. The configuration is then committed, and only then is ``ack_configure`` called for
the add-ons, so an add-on's route, view or service replaces the core's rather than conflicting
with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy
from pyramid.config import Configurator

from atlassian_connect_kit.auth.managed_views import managed_configurator
from atlassian_connect_kit.deprecation import moved_names
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.request import KitRequest
from atlassian_connect_kit.settings import Settings, load_settings
from atlassian_connect_kit.template_compilation import serialise_template_compilation

if TYPE_CHECKING:
    from pyramid.router import Router

EXTRA_PLUGINS_SETTING = "ack.extra_plugins"

# Moved to the package root; these paths warn until the next release.
__getattr__ = moved_names(
    __name__,
    {
        "get_settings": ("atlassian_connect_kit", "get_settings"),
        "get_plugin_manager": ("atlassian_connect_kit", "get_plugin_manager"),
    },
)


def includeme(config: Configurator) -> None:
    """Turn the including Pyramid application into an Atlassian Connect app.

    Reads the ``ack.*`` settings from the configurator, builds the plugin manager (plugins named by
    ``ack.plugins``, plus plugin objects passed in the ``ack.extra_plugins`` setting by code that
    builds the app itself), configures the core's parts in order, commits, and then lets every
    add-on configure itself through ``ack_configure``.
    """
    raw = config.get_settings()
    settings = load_settings(raw, here=raw.get("here"))
    extra: Iterable[object] = raw.get(EXTRA_PLUGINS_SETTING) or ()
    pm = make_plugin_manager(settings.plugins, extra_plugins=extra)

    # The service registry, with the settings and the plugin manager in it; committed at once,
    # so every part below can find them while it configures itself.
    config.include("atlassian_connect_kit.services")
    config.register_service(settings, Settings)
    config.register_service(pm, pluggy.PluginManager)
    config.commit()
    # The kit's request class: request.identity, request.jira, request.jira_as_app, services.
    config.set_request_factory(KitRequest)
    # Authentication first: every view added afterwards must declare its connect_auth mode.
    config.include("atlassian_connect_kit.auth.policy")
    # The kit's own parts and the add-ons add their views through this configurator: the
    # connect_auth rule covers them (a host application's own views are left alone).
    managed = managed_configurator(config)
    # The descriptor is built and validated now, so a bad template or fragment fails start-up.
    managed.include("atlassian_connect_kit.descriptor")
    # The encrypted tenant store (dev mode migrates the database here) and its 503 views.
    managed.include("atlassian_connect_kit.storage.service")
    # Committed: the parts below build their services on the store's engine.
    config.commit()
    # The pure Forge installations (their invocations and lifecycle are known by them).
    managed.include("atlassian_connect_kit.storage.installations")
    # The Forge Invocation Token verifier (with ack.forge.app_id) and the Forge 403 answers.
    managed.include("atlassian_connect_kit.auth.forge_request")
    # The memo of verified Connect tokens (the ack_authenticate hook verifies them).
    managed.include("atlassian_connect_kit.auth.connect")
    # The lifecycle callbacks and the install-key fetcher they verify signed installs with.
    managed.include("atlassian_connect_kit.lifecycle")
    # Forge's lifecycle: /forge/lifecycle and /forge/uninstall (Forge Invocation Tokens only).
    managed.include("atlassian_connect_kit.forge_lifecycle")
    # The Connect host-client factory behind request.jira and request.jira_as_app.
    managed.include("atlassian_connect_kit.host.requests_api")
    # Committed: the Forge clients share the Connect factory's HTTP session.
    config.commit()
    # The Forge host clients (Forge's app tokens), on the Connect clients' HTTP session.
    managed.include("atlassian_connect_kit.host.forge_client")
    # Plugins' own tables: their migrations (dev mode) and request.ack_session on the same engine.
    managed.include("atlassian_connect_kit.storage.plugin_migrations")
    managed.include("atlassian_connect_kit.storage.sessions")
    # Plugins' own settings (ack_plugin_settings), parsed before any plugin configures itself.
    managed.include("atlassian_connect_kit.plugin_settings")
    # HTTPS only and security headers on every response (needs ack.security.contact in prod).
    managed.include("atlassian_connect_kit.security.transport")
    # Request bodies over ack.max_request_body_bytes get 413, whatever the WSGI server.
    managed.include("atlassian_connect_kit.security.limits")
    # /.well-known/security.txt (RFC 9116), from the ack.security.* settings.
    managed.include("atlassian_connect_kit.security.securitytxt")
    # Chameleon templates for the core's and plugins' pages.
    # Threads rendering not-yet-compiled templates at once could trip CPython 3.11.
    serialise_template_compilation()
    config.include("pyramid_chameleon")
    # The core is complete: what an add-on adds from here replaces it instead of conflicting.
    config.commit()
    # The add-ons, in the order of ack.plugins. Their views, like the core's, are the ones that
    # must declare connect_auth (not a host app's own).
    pm.hook.ack_configure(config=managed, settings=settings)


def make_app(
    settings: Mapping[str, Any],
    *,
    global_config: Mapping[str, Any] | None = None,
    extra_plugins: Iterable[object] = (),
) -> Router:
    """Build the WSGI application from a settings mapping (an ini's ``[app:main]`` section)."""
    merged: dict[str, Any] = dict(settings)
    if global_config and "here" in global_config:
        merged.setdefault("here", global_config["here"])
    if extra_plugins:
        merged[EXTRA_PLUGINS_SETTING] = tuple(extra_plugins)
    with Configurator(settings=merged) as config:
        config.include(includeme)
    app: Router = config.make_wsgi_app()
    return app
