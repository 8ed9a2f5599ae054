"""The application factory: one ordered configure step, the core first, then the plugins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy
from pyramid.config import Configurator

from atlassian_connect_kit.auth.managed_views import managed_configurator
from atlassian_connect_kit.auth.policy import PLUGIN_MANAGER_KEY
from atlassian_connect_kit.descriptor import REGISTRY_KEY as DESCRIPTOR_KEY
from atlassian_connect_kit.descriptor import build_descriptor
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.settings import Settings, load_settings

if TYPE_CHECKING:
    from pyramid.router import Router

SETTINGS_KEY = "ack.settings"
EXTRA_PLUGINS_SETTING = "ack.extra_plugins"


def get_settings(registry: Any) -> Settings:
    """Return the validated settings of the application that owns ``registry``."""
    settings: Settings = registry[SETTINGS_KEY]
    return settings


def get_plugin_manager(registry: Any) -> pluggy.PluginManager:
    """Return the plugin manager of the application that owns ``registry``."""
    pm: pluggy.PluginManager = registry[PLUGIN_MANAGER_KEY]
    return pm


def includeme(config: Configurator) -> None:
    """Turn the including Pyramid application into an Atlassian Connect app.

    Reads the ``ack.*`` settings from the configurator, builds the plugin manager (plugins named by
    ``ack.plugins``, plus plugin objects passed in the ``ack.extra_plugins`` setting by code that
    builds the app itself) and configures the core features, then every plugin, in order.
    """
    raw = config.get_settings()
    settings = load_settings(raw, here=raw.get("here"))
    extra: Iterable[object] = raw.get(EXTRA_PLUGINS_SETTING) or ()
    pm = make_plugin_manager(settings.plugins, extra_plugins=extra)
    config.registry[SETTINGS_KEY] = settings
    config.registry[PLUGIN_MANAGER_KEY] = pm

    # Authentication first: every view added afterwards must declare its connect_auth mode.
    config.include("atlassian_connect_kit.auth.policy")
    # The descriptor is built and validated now, so a bad template or fragment fails start-up.
    config.registry[DESCRIPTOR_KEY] = build_descriptor(settings, pm)
    # The encrypted tenant store (dev mode migrates the database here) and its 503 view.
    config.include("atlassian_connect_kit.storage.service")
    # Plugins' own tables: their migrations (dev mode) and request.ack_session on the same engine.
    config.include("atlassian_connect_kit.storage.plugin_migrations")
    config.include("atlassian_connect_kit.storage.sessions")
    # Plugins' own settings (ack_plugin_settings), parsed before any plugin configures itself.
    config.include("atlassian_connect_kit.plugin_settings")
    # HTTPS only and security headers on every response (needs ack.security.contact in prod).
    config.include("atlassian_connect_kit.security.transport")
    # Request bodies over ack.max_request_body_bytes get 413, whatever the WSGI server.
    config.include("atlassian_connect_kit.security.limits")
    # /.well-known/security.txt (RFC 9116), from the ack.security.* settings.
    config.include("atlassian_connect_kit.security.securitytxt")
    # Chameleon templates for the core's and plugins' pages.
    config.include("pyramid_chameleon")
    # Core features and plugins, through the same hook: core plugins are registered trylast.
    # Their views are the ones that must declare connect_auth (not a host app's own).
    pm.hook.ack_configure(config=managed_configurator(config), settings=settings)


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
