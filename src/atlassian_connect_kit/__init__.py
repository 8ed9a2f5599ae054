"""atlassian-connect-kit: turn a Pyramid application into an Atlassian Connect app for Jira Cloud.

Everything an add-on may use is importable from here and listed in ``__all__``: the hook marker,
the settings accessor, the request's identity and host clients (typed through
:class:`KitRequest` and :class:`JiraClient`), Jira's errors and the paging helpers, the tenant
view handed to lifecycle hooks, the ``connect_auth`` modes, the JSON error helper and the
interfaces of the kit's services. Other modules of the package are the kit's own and may change
between releases; tests may also use :mod:`atlassian_connect_kit.testing`.

Names are loaded on first use (module ``__getattr__``), so ``import atlassian_connect_kit`` stays
cheap and importing the package from one of its own modules creates no import cycle.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from atlassian_connect_kit.hookspecs import hookimpl

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.router import Router

    from atlassian_connect_kit.auth.forge_request import ForgeTokenMissing, is_forge_request
    from atlassian_connect_kit.auth.identity import (
        AUTH_CONTEXT,
        AUTH_CONTEXT_FORGE,
        AUTH_FORGE,
        AUTH_JWT,
        AUTH_MODES,
        AUTH_PUBLIC,
        AuthenticationFailed,
        Identity,
    )
    from atlassian_connect_kit.backup.targets import BackupTarget, StoredFile
    from atlassian_connect_kit.host.client import QueryParams
    from atlassian_connect_kit.host.errors import (
        JiraAuthError,
        JiraBadRequest,
        JiraError,
        JiraNotFound,
        JiraRateLimited,
        JiraTimeout,
        JiraUnavailable,
        SignInRequired,
    )
    from atlassian_connect_kit.host.fanout import fan_out
    from atlassian_connect_kit.host.paging import iter_start_at, iter_token_pages
    from atlassian_connect_kit.host.protocol import JiraClient
    from atlassian_connect_kit.interfaces import (
        IHostClientFactory,
        IInstallKeyFetcher,
        IKeyRing,
        ILifecycleTokens,
        ITenantStore,
    )
    from atlassian_connect_kit.inventory import InventoryEntry
    from atlassian_connect_kit.manifest import REMOTE_ENDPOINT_KEY
    from atlassian_connect_kit.plugin_settings import PluginSetting, get_plugin_settings
    from atlassian_connect_kit.request import KitRequest
    from atlassian_connect_kit.responses import json_error
    from atlassian_connect_kit.services import find_service, get_plugin_manager, get_settings
    from atlassian_connect_kit.settings import Settings, SettingsError
    from atlassian_connect_kit.storage.db import NAMING_CONVENTION, UnicodeString, UTCDateTime
    from atlassian_connect_kit.storage.plugin_migrations import PluginMigrations
    from atlassian_connect_kit.storage.sessions import session_factory
    from atlassian_connect_kit.tenants import TenantView

__version__ = "0.1.0"

# Public name -> the module defining it, imported on first access.
_EXPORTS: dict[str, str] = {
    "session_factory": "atlassian_connect_kit.storage.sessions",
    "is_forge_request": "atlassian_connect_kit.auth.forge_request",
    "REMOTE_ENDPOINT_KEY": "atlassian_connect_kit.manifest",
    "AUTH_CONTEXT_FORGE": "atlassian_connect_kit.auth.identity",
    "AUTH_FORGE": "atlassian_connect_kit.auth.identity",
    "ForgeTokenMissing": "atlassian_connect_kit.auth.forge_request",
    "PluginSetting": "atlassian_connect_kit.plugin_settings",
    "get_plugin_settings": "atlassian_connect_kit.plugin_settings",
    "PluginMigrations": "atlassian_connect_kit.storage.plugin_migrations",
    "NAMING_CONVENTION": "atlassian_connect_kit.storage.db",
    "UnicodeString": "atlassian_connect_kit.storage.db",
    "UTCDateTime": "atlassian_connect_kit.storage.db",
    "AUTH_CONTEXT": "atlassian_connect_kit.auth.identity",
    "AUTH_JWT": "atlassian_connect_kit.auth.identity",
    "AUTH_MODES": "atlassian_connect_kit.auth.identity",
    "AUTH_PUBLIC": "atlassian_connect_kit.auth.identity",
    "AuthenticationFailed": "atlassian_connect_kit.auth.identity",
    "Identity": "atlassian_connect_kit.auth.identity",
    "BackupTarget": "atlassian_connect_kit.backup.targets",
    "StoredFile": "atlassian_connect_kit.backup.targets",
    "QueryParams": "atlassian_connect_kit.host.client",
    "JiraAuthError": "atlassian_connect_kit.host.errors",
    "JiraBadRequest": "atlassian_connect_kit.host.errors",
    "JiraError": "atlassian_connect_kit.host.errors",
    "JiraNotFound": "atlassian_connect_kit.host.errors",
    "JiraRateLimited": "atlassian_connect_kit.host.errors",
    "JiraTimeout": "atlassian_connect_kit.host.errors",
    "JiraUnavailable": "atlassian_connect_kit.host.errors",
    "SignInRequired": "atlassian_connect_kit.host.errors",
    "fan_out": "atlassian_connect_kit.host.fanout",
    "iter_start_at": "atlassian_connect_kit.host.paging",
    "iter_token_pages": "atlassian_connect_kit.host.paging",
    "JiraClient": "atlassian_connect_kit.host.protocol",
    "IHostClientFactory": "atlassian_connect_kit.interfaces",
    "IInstallKeyFetcher": "atlassian_connect_kit.interfaces",
    "IKeyRing": "atlassian_connect_kit.interfaces",
    "ILifecycleTokens": "atlassian_connect_kit.interfaces",
    "ITenantStore": "atlassian_connect_kit.interfaces",
    "InventoryEntry": "atlassian_connect_kit.inventory",
    "KitRequest": "atlassian_connect_kit.request",
    "json_error": "atlassian_connect_kit.responses",
    "find_service": "atlassian_connect_kit.services",
    "get_plugin_manager": "atlassian_connect_kit.services",
    "get_settings": "atlassian_connect_kit.services",
    "Settings": "atlassian_connect_kit.settings",
    "SettingsError": "atlassian_connect_kit.settings",
    "TenantView": "atlassian_connect_kit.tenants",
}

# Written out (not computed) so type checkers and linters see the public names.
__all__ = [
    "AUTH_CONTEXT",
    "AUTH_CONTEXT_FORGE",
    "AUTH_FORGE",
    "AUTH_JWT",
    "AUTH_MODES",
    "AUTH_PUBLIC",
    "NAMING_CONVENTION",
    "REMOTE_ENDPOINT_KEY",
    "AuthenticationFailed",
    "BackupTarget",
    "ForgeTokenMissing",
    "IHostClientFactory",
    "IInstallKeyFetcher",
    "IKeyRing",
    "ILifecycleTokens",
    "ITenantStore",
    "Identity",
    "InventoryEntry",
    "JiraAuthError",
    "JiraBadRequest",
    "JiraClient",
    "JiraError",
    "JiraNotFound",
    "JiraRateLimited",
    "JiraTimeout",
    "JiraUnavailable",
    "KitRequest",
    "PluginMigrations",
    "PluginSetting",
    "QueryParams",
    "Settings",
    "SettingsError",
    "SignInRequired",
    "StoredFile",
    "TenantView",
    "UTCDateTime",
    "UnicodeString",
    "__version__",
    "fan_out",
    "find_service",
    "get_plugin_manager",
    "get_plugin_settings",
    "get_settings",
    "hookimpl",
    "includeme",
    "is_forge_request",
    "iter_start_at",
    "iter_token_pages",
    "json_error",
    "main",
    "session_factory",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first access (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access does not come here
    return value


def __dir__() -> list[str]:
    """The public names, for ``dir()`` and completion."""
    return sorted({*globals(), *_EXPORTS})


def main(global_config: dict[str, Any], **settings: Any) -> Router:
    """PasteDeploy app factory (``use = egg:atlassian-connect-kit``): return the WSGI app.

    A configuration mistake (a bad setting, an unknown plugin, an invalid descriptor, a database
    driver that is not installed) stops the server with one line naming it, not a traceback.
    """
    # Imported when the app is built, not with the package: importing it stays cheap.
    from atlassian_connect_kit.config import make_app
    from atlassian_connect_kit.descriptor import DescriptorError
    from atlassian_connect_kit.plugins import PluginError
    from atlassian_connect_kit.settings import SettingsError
    from atlassian_connect_kit.storage.drivers import DatabaseDriverMissing

    try:
        return make_app(settings, global_config=global_config)
    except (SettingsError, PluginError, DescriptorError, DatabaseDriverMissing) as error:
        raise SystemExit(f"atlassian-connect-kit: cannot start: {error}") from None


def includeme(config: Configurator) -> None:
    """Let an existing Pyramid app ``config.include("atlassian_connect_kit")``."""
    from atlassian_connect_kit.config import includeme as configure

    configure(config)
