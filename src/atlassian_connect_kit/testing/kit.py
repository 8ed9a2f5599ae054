"""Helpers for an add-on's tests that look at what the kit makes of the add-on.

An add-on imports the kit only through its package root; its tests may also use the testing
package, and these helpers reach the kit's own modules for them (the data inventory the
backups and purges follow, a fresh encryption key for a test's ini).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.privacy.inventory import Inventory, collect_inventory
from atlassian_connect_kit.settings import load_settings
from atlassian_connect_kit.storage.crypto import generate_key_line


def plugin_inventory(
    settings: Mapping[str, str], plugins: Sequence[object], *, enabled: Sequence[str] = ()
) -> Inventory:
    """The data inventory of the kit with ``plugins`` registered, under ``settings`` (an ini's
    ``ack.*`` values): which tables are backed up and purged, and by which tenant column."""
    manager = make_plugin_manager(enabled, extra_plugins=plugins)
    return collect_inventory(manager, load_settings(settings))


def encryption_key_line() -> str:
    """A new ``ack.encryption_keys`` value holding one fresh key."""
    return generate_key_line()
