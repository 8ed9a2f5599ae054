"""The plugin manager: the kit's core plugins plus the add-ons named by ``ack.plugins``.

Add-ons are found through the ``atlassian_connect_kit`` entry-point group, but only the ones named
in ``ack.plugins`` are registered, so installing a distribution never switches a feature on by
itself. The kit's own features are plugins too, registered ``trylast`` (through their hookimpl
markers) so an add-on can override them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

import pluggy

from atlassian_connect_kit import hookspecs

ENTRY_POINT_GROUP = "atlassian_connect_kit"

# The core, in the order its features are configured.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "atlassian_connect_kit.descriptor",
    # Before Connect, so its trylast hooks answer first: Forge's for bearer tokens, else None.
    "atlassian_connect_kit.auth.forge_request",
    "atlassian_connect_kit.auth.connect",
    "atlassian_connect_kit.lifecycle",
    # Before the Connect client, for the same reason: it answers for Forge identities only.
    "atlassian_connect_kit.host.forge_client",
    "atlassian_connect_kit.host.requests_api",
    "atlassian_connect_kit.storage.installations",
    "atlassian_connect_kit.forge_lifecycle",
    "atlassian_connect_kit.cli",
    "atlassian_connect_kit.storage.inventory",
    # Before the local directory, so the commands list that first (trylast hooks answer LIFO).
    "atlassian_connect_kit.backup.azure_blob",
    "atlassian_connect_kit.backup.targets",
    "atlassian_connect_kit.backup.commands",
    "atlassian_connect_kit.privacy.commands",
)


class PluginError(RuntimeError):
    """A plugin could not be enabled; the message is one line saying which and why."""


def installed_plugins() -> dict[str, EntryPoint]:
    """Return the add-ons installed in this environment, by entry-point name."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def make_plugin_manager(
    enabled: Sequence[str],
    *,
    extra_plugins: Iterable[object] = (),
) -> pluggy.PluginManager:
    """Create a plugin manager with the core, the ``enabled`` add-ons and ``extra_plugins``.

    ``extra_plugins`` are plugin objects or modules registered directly (a test suite's own
    plugins, or an application that builds its plugins in code). Unknown names, and hooks that no
    specification declares, fail here, at start-up.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for dotted in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(dotted), name=dotted)
    available = installed_plugins()
    for name in dict.fromkeys(enabled):
        entry_point = available.get(name)
        if entry_point is None:
            known = ", ".join(sorted(available)) or "none"
            raise PluginError(f"ack.plugins: unknown plugin {name!r} (installed plugins: {known})")
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken add-on must name itself, not crash obscurely
            raise PluginError(f"ack.plugins: plugin {name!r} failed to load: {exc}") from exc
        pm.register(plugin, name=name)
    for plugin in extra_plugins:
        pm.register(plugin, name=plugin_name(plugin))
    pm.check_pending()
    return pm


def plugin_name(plugin: object) -> str:
    """Return a readable name for a plugin object or module."""
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return getattr(plugin, "__name__", None) or type(plugin).__name__


def active_plugin_names(pm: pluggy.PluginManager) -> list[str]:
    """Return the names of the registered plugins, core first."""
    return [name for name, _ in pm.list_name_plugin()]
