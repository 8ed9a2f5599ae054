"""Every hook of atlassian-connect-kit, in one place.

Plugins implement these with ``@atlassian_connect_kit.hookimpl``. Hooks are always called with
keyword arguments, so an implementation may accept any subset of the arguments it needs. The kit's
hook implementations are plugins too (see ``plugins.DEFAULT_PLUGINS``), registered ``trylast``
so an add-on's implementation runs first. No argument of any hook holds a secret: tenants are
handed over as a :class:`~atlassian_connect_kit.tenants.TenantView`, and host clients keep their
credentials to themselves.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit.auth.forge import ForgeInvocation
    from atlassian_connect_kit.auth.identity import Identity
    from atlassian_connect_kit.backup.targets import BackupTarget
    from atlassian_connect_kit.host.protocol import JiraClient
    from atlassian_connect_kit.inventory import InventoryEntry
    from atlassian_connect_kit.plugin_settings import PluginSetting
    from atlassian_connect_kit.settings import Settings
    from atlassian_connect_kit.storage.plugin_migrations import PluginMigrations
    from atlassian_connect_kit.tenants import TenantView

PROJECT_NAME = "atlassian_connect_kit"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- Descriptor -------------------------------------------------------------------------------


@hookspec
def ack_descriptor_fragment(settings: Settings) -> Mapping[str, Any] | None:
    """Contribute a fragment to the Connect descriptor.

    Return a mapping with any of ``modules`` (``{module type: [module, ...]}``) and ``scopes``
    (a list of scope names), or ``None``. Module lists are concatenated per module type across
    plugins, scopes are unioned and sorted. Module keys must match ``^[a-z0-9-]+$`` and be unique
    across every plugin: a clash fails start-up naming both plugins. Module URLs are relative to
    the app's base URL.
    """


@hookspec
def ack_manifest_fragment(settings: Settings) -> Mapping[str, Any] | None:
    """Contribute a fragment to the Forge manifest that ``ack manifest`` renders.

    Return a mapping with any of ``modules`` (``{Forge module type: [module, ...]}``, such as
    ``jira:globalPage`` or ``jira:projectPage``), ``resources`` (Custom UI resources, each with a
    ``key`` and a ``path``; an absolute path names a built folder shipped in the plugin's package,
    which ``ack manifest -o DIR/manifest.yml`` copies into DIR), ``scopes`` (Forge scope names),
    ``remotes`` (more remotes, each with a ``key``) and ``permissions`` (anything under
    ``permissions`` but ``scopes``, such as ``external`` or ``content``), or ``None``. Module lists
    are concatenated per type, scopes unioned, permissions merged. A UI module reaches the app
    through the kit's endpoint: ``resolver: {endpoint: ack-remote-endpoint}``. A module type that
    Forge's manifest schema does not know, or a key used twice across plugins, the kit and the
    ``connectModules``, fails the command with one line naming the plugin. The kit itself
    contributes the remote, its endpoints, the lifecycle trigger, the ``preUninstall`` module and
    the scopes equivalent to the descriptor's (see docs/forge.md); with
    ``ack.forge.connect_adoption`` it also carries the descriptor's Connect modules, so a plugin
    contributes only Forge modules here.
    """


# --- Web application --------------------------------------------------------------------------


@hookspec
def ack_configure(config: Configurator, settings: Settings) -> None:
    """Add a plugin's routes, views, templates, static assets and services to the configuration.

    Called once at start-up, for the add-ons only, after the kit's core is configured and
    committed: a route, view or service an add-on registers under the same name as the core's
    replaces it (``config.register_service(my_store, ITenantStore)`` replaces the tenant store).
    Add-ons are called in the order ``ack.plugins`` names them. Every view must declare its
    authentication mode with the ``connect_auth`` view option: ``"jwt"`` (a Jira-signed URL whose
    qsh matches the request, for pages), ``"context"`` (a context token, for the page's own XHRs
    and downloads), ``"context+forge"`` (a context token or a Forge Invocation Token: the view
    also serves Forge Remote invocations), ``"forge"`` (a Forge Invocation Token only) or
    ``"public"``; start-up fails when one does not. A view may add
    ``connect_require_user`` (``True`` or a message) to refuse tokens without a user (anonymous
    visitors) with 401 before it runs.
    """


@hookspec(firstresult=True)
def ack_authenticate(request: Request, mode: str) -> Identity | None:
    """Authenticate an incoming request for a view declared with ``mode``.

    Return the request's :class:`~atlassian_connect_kit.auth.identity.Identity` (the tenant's
    ``client_key``, the viewer's ``account_id``, the site's ``base_url`` and the token's
    ``context``), ``None`` to let the next implementation try, or raise
    :class:`~atlassian_connect_kit.auth.identity.AuthenticationFailed` with a short, safe reason
    (the answer is its ``status``, 401 by default).
    The first implementation that returns a value wins: the kit's Connect JWT authentication is
    registered last, so an adapter for another host protocol can answer first for its requests
    and return ``None`` for the others.
    """


@hookspec(firstresult=True)
def ack_host_client(request: Request, identity: Identity, as_user: bool) -> JiraClient | None:
    """Return the client a view uses to call the request's Jira site.

    ``as_user`` asks for a client acting as the viewing user (``request.jira``), otherwise as the
    app (``request.jira_as_app``). ``request.jira`` never asks for a client acting as nobody: a
    request without a user gets ``SignInRequired`` before this hook is called. The kit's Connect
    implementation (signed JWTs, OAuth 2.0 impersonation) is registered last; an adapter for
    another host protocol returns its own client for the requests it authenticated and ``None``
    for the others. Together with :func:`ack_authenticate`, this is where another host protocol
    (such as Forge Remote, whose tokens arrive with each request) plugs in without any plugin
    changing.
    """


# --- Tenant lifecycle -------------------------------------------------------------------------


@hookspec
def ack_tenant_installed(tenant: TenantView, request: Request) -> None:
    """Tell a plugin that a tenant installed the app, or re-installed it.

    A re-install comes with an upgrade, a secret rotation or a site rename. Called after the
    tenant is stored, from the verified ``/installed`` callback; ``tenant`` is a
    :class:`~atlassian_connect_kit.tenants.TenantView` (no secret).
    """


@hookspec
def ack_tenant_uninstalled(client_key: str, request: Request | None) -> None:
    """Tell a plugin that a tenant is being removed, before its rows are deleted.

    A plugin deletes everything it keeps for ``client_key`` here. ``request`` is ``None`` when
    the removal comes from ``ack tenants purge`` or ``ack tenants purge-stale`` rather than a
    callback. The kit's own implementation (the privacy part, registered last) then deletes the
    site's rows from every table the data inventory declares, the tenant row included; a signed
    uninstall of a site already removed is passed on too, so rows left behind go as well. For a
    pure Forge installation ``client_key`` is its installation id (from
    ``/forge/uninstall``, Forge's ``preUninstall`` call, or the purge commands).
    """


@hookspec
def ack_tenant_forge_installed(
    installation_id: str,
    cloud_id: str,
    event: str | None,
    invocation: ForgeInvocation,
    request: Request,
) -> None:
    """Tell a plugin of a pure Forge installation: installed, upgraded, or first seen.

    ``event`` is ``avi:forge:installed:app`` or ``avi:forge:upgraded:app`` from the lifecycle
    trigger, ``None`` when the first invocation of an installation the app had not heard of
    arrives first. ``installation_id`` is then the tenant's key (``Identity.client_key``,
    ``ack_tenant_uninstalled``'s ``client_key``); ``invocation`` is the verified
    :class:`~atlassian_connect_kit.auth.forge.ForgeInvocation`. Forge redelivers events, so an
    implementation must be idempotent and quick (Forge waits 5 seconds). Installations that
    adopted Forge from Connect are announced by ``ack_tenant_installed`` instead.
    """


@hookspec
def ack_tenant_enabled(tenant: TenantView, request: Request) -> None:
    """Tell a plugin that a tenant enabled the app."""


@hookspec
def ack_tenant_disabled(tenant: TenantView, request: Request) -> None:
    """Tell a plugin that a tenant disabled the app; its requests get 401 until re-enabled."""


# --- Data inventory ---------------------------------------------------------------------------


@hookspec
def ack_data_inventory(settings: Settings) -> Sequence[InventoryEntry] | None:
    """Declare what a plugin stores: one entry per table column, with purpose and retention.

    Return a list of :class:`~atlassian_connect_kit.inventory.InventoryEntry` (table, column,
    purpose, retention and the table's ``tenant_column``), or ``None``. ``ack privacy`` prints
    the inventory and a test fails when the live schema holds a table or column that no plugin
    declared. Tables declared here are included in backups (unless declared ``backed_up=False``)
    and purged per tenant on uninstall (their ``tenant_column`` names the clientKey column;
    ``None`` for a table holding no tenant's rows).
    """


# --- Plugin storage and settings ----------------------------------------------------------------


@hookspec
def ack_storage_migrations(
    settings: Settings,
) -> PluginMigrations | Sequence[PluginMigrations] | None:
    """Contribute a plugin's own Alembic migrations, which create and change its tables.

    Return a :class:`~atlassian_connect_kit.storage.plugin_migrations.PluginMigrations` (a short
    ``name`` and the ``versions`` folder holding the plugin's revision files), a list of them, or
    ``None``. ``ack db upgrade`` (and start-up in dev mode) runs them after the kit's, each plugin
    with its own version table (``<name>_alembic_version``). The plugin's views reach the same
    database through ``request.ack_session``; its tables are backed up and purged per tenant once
    declared in :func:`ack_data_inventory` (see docs/plugins.md, "Storing data").
    """


@hookspec
def ack_plugin_settings() -> Sequence[PluginSetting] | None:
    """Declare a plugin's settings, read like the kit's: ini first, the environment overriding.

    Return a list of :class:`~atlassian_connect_kit.plugin_settings.PluginSetting` (name, default,
    parser, help). A name is the plugin's own prefix and a dotted name (``myplugin.greeting``);
    the environment variable ``MYPLUGIN_GREETING`` overrides it, as ``ACK_BASE_URL`` overrides
    ``ack.base_url``. Values are parsed once at start-up (a bad one stops it with one line naming
    the setting) and read with
    :func:`~atlassian_connect_kit.plugin_settings.get_plugin_settings`.
    """


# --- Backups ----------------------------------------------------------------------------------


@hookspec
def ack_backup_targets(settings: Settings) -> Sequence[BackupTarget] | None:
    """Return places where backups are kept, besides the kit's own (``ack.backup.dir``, Azure).

    Each target is a :class:`~atlassian_connect_kit.backup.targets.BackupTarget`: an object with
    a ``label`` (shown in command output, no credentials) and ``write(name, data)``, ``list()``
    (of ``StoredFile(name, size)``), ``read(name)`` and ``delete(name)``. ``write`` must be atomic
    and must not overwrite an existing name. The kit contributes the local directory of
    ``ack.backup.dir`` and the Azure Blob Storage container of ``ack.backup.azure.*``; a plugin
    adds others (another cloud's object store, a second disk). Every backup is written to every
    target; ``prune``, ``list`` and ``verify`` handle each target on its own. Return an empty list
    (or ``None``) to add none. ``MemoryTarget`` in the same module is an in-memory target for
    tests.
    """


# --- Command line -----------------------------------------------------------------------------


@hookspec
def ack_cli_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add subcommands to the ``ack`` command.

    Add a parser with ``subparsers.add_parser(name, help=...)`` and give it a handler with
    ``parser.set_defaults(handler=callable)``; the handler receives the parsed
    ``argparse.Namespace`` and returns the exit status. Only the core and the plugins enabled by
    the ``-c INI`` given on the command line contribute commands.
    """
